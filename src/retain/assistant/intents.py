"""What the assistant does for each intent: a fixed answer, a knowledge-base article or an action.

The business writes it as YAML (``retain/assistant/examples/intents.yaml`` is the demo's); it is
validated up front so that a typo fails at load time with the intent's name, not mid-chat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from retain.sandbox import load_yaml

EXAMPLES_DIR = Path(__file__).parent / "examples"
DEMO_EXAMPLES = EXAMPLES_DIR / "demo.csv"
DEMO_INTENTS = EXAMPLES_DIR / "intents.yaml"

Action = Literal["order_status", "start_return", "renewal_date"]


class IntentsError(ValueError):
    """The intents file is unreadable or names an unknown action."""


class IntentReply(BaseModel):
    """How one intent is answered; ``answer`` also serves as the article's summary."""

    model_config = ConfigDict(extra="forbid")

    answer: dict[Literal["en", "zh-CN"], str] = Field(default_factory=dict)
    article: str | None = None
    action: Action | None = None

    @model_validator(mode="after")
    def needs_something_to_say(self) -> IntentReply:
        if not (self.answer or self.article or self.action):
            raise ValueError("give an answer, an article or an action")
        return self

    def text(self, language: str) -> str | None:
        """The answer in ``language``, else in English, else None."""
        return self.answer.get(language) or self.answer.get("en")  # type: ignore[call-overload, no-any-return]


class IntentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intents: dict[str, IntentReply]


def load_intents(path: Path = DEMO_INTENTS) -> dict[str, IntentReply]:
    """The intents of ``path``, validated."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise IntentsError(f"{path}: {error}") from None
    try:
        return IntentsFile.model_validate(raw).intents
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise IntentsError(f"{path}: {where}: {first['msg']}") from None
