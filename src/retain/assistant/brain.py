"""Training, evaluating and loading the assistant's intent model with its optional encoder."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from retain.assistant.encoder import MiniLMEncoder, encoder_available
from retain.assistant.examples import Examples, read_examples
from retain.assistant.intents import DEMO_EXAMPLES, DEMO_INTENTS, IntentReply, load_intents
from retain.assistant.model import (
    Embed,
    IntentModel,
    Prediction,
    load_model,
    save_model,
    split_validation,
    train_intent_model,
)
from retain.settings import Settings


@cache
def shared_encoder() -> MiniLMEncoder:
    """One encoder per process: its weights are 90 MB."""
    return MiniLMEncoder()


def default_embed() -> Embed | None:
    """The sentence encoder when installed, else None (TF-IDF features only)."""
    return shared_encoder().encode if encoder_available() else None


def model_path(settings: Settings) -> Path:
    return settings.assistant.model or settings.storage.data_dir / "assistant" / "model.joblib"


def intents_path(settings: Settings) -> Path:
    return settings.assistant.intents or DEMO_INTENTS


@dataclass(frozen=True)
class Evaluation:
    examples: int
    accuracy: float
    coverage: float
    answered_accuracy: float
    escalation_rate: float
    oos_recall: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "examples": self.examples,
            "accuracy": self.accuracy,
            "coverage": self.coverage,
            "answered_accuracy": self.answered_accuracy,
            "escalation_rate": self.escalation_rate,
            "oos_recall": self.oos_recall,
        }


def train_from_file(
    settings: Settings,
    path: Path,
    *,
    text_column: str = "text",
    intent_column: str = "intent",
    validation_path: Path | None = None,
    embed: Embed | None = None,
) -> IntentModel:
    """Train on a CSV (hold-out validation) or a CLINC150 JSON (its own val split); save it."""
    examples = read_examples(path, text_column=text_column, intent_column=intent_column)
    if validation_path is not None:
        validation = read_examples(
            validation_path, text_column=text_column, intent_column=intent_column
        )
        train = examples
    elif path.suffix.lower() == ".json":
        train, validation = examples, read_examples(path, split="validation")
    else:
        train, validation = split_validation(examples)
    model = train_intent_model(
        train,
        validation,
        embed=embed,
        out_of_scope_label=settings.assistant.out_of_scope_label,
        target_escalation=settings.assistant.target_escalation,
    )
    save_model(model, model_path(settings))
    return model


def evaluate(model: IntentModel, examples: Examples, *, embed: Embed | None) -> Evaluation:
    """Accuracy, coverage, accuracy on answered messages, escalation and out-of-scope recall.

    accuracy and coverage are over in-scope examples (those whose intent is not the
    out-of-scope label); escalation_rate is over all examples; oos_recall is the share of
    out-of-scope examples escalated (None when there are none).
    """
    predictions = model.predict(examples.texts, embed)
    label = model.out_of_scope_label
    in_scope = [(p, i) for p, i in zip(predictions, examples.intents, strict=True) if i != label]
    out_of_scope = [p for p, i in zip(predictions, examples.intents, strict=True) if i == label]
    answered = [(p, i) for p, i in in_scope if p.answered]
    return Evaluation(
        examples=len(examples),
        accuracy=_share([p.intent == i for p, i in in_scope]),
        coverage=_share([p.answered for p, _ in in_scope]),
        answered_accuracy=_share([p.intent == i for p, i in answered]),
        escalation_rate=_share([not p.answered for p in predictions]),
        oos_recall=_share([not p.answered for p in out_of_scope]) if out_of_scope else None,
    )


def _share(flags: Sequence[bool]) -> float:
    return float(np.mean(flags)) if flags else 0.0


class Brain:
    """A loaded intent model, its encoder and the intents' replies."""

    def __init__(self, model: IntentModel, intents: dict[str, IntentReply]) -> None:
        self.model = model
        self.intents = intents
        self.embed: Embed | None = shared_encoder().encode if model.uses_encoder else None

    def understand(self, text: str) -> Prediction:
        return self.model.predict([text], self.embed)[0]


_brains: dict[tuple[str, float, str, float], Brain] = {}
_brain_lock = threading.Lock()


def load_brain(settings: Settings) -> Brain:
    """The trained model (the bilingual demo one, trained now, when none was trained yet)."""
    path, intents = model_path(settings), intents_path(settings)
    with _brain_lock:
        if not path.exists():
            train_from_file(settings, DEMO_EXAMPLES, embed=default_embed())
        key = (str(path), path.stat().st_mtime, str(intents), intents.stat().st_mtime)
        if key not in _brains:
            _brains.clear()
            _brains[key] = Brain(load_model(path), load_intents(intents))
        return _brains[key]
