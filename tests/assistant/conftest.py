"""Assistant fixtures: the bilingual demo model, trained once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from retain.assistant.brain import default_embed, train_from_file
from retain.assistant.intents import DEMO_EXAMPLES
from retain.settings import AssistantSettings, Settings
from tests.api.conftest import client, configure, tokens, users

__all__ = ["client", "configure", "tokens", "users"]


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo intent model (encoder included), trained once for every test that chats."""
    path = tmp_path_factory.mktemp("assistant") / "model.joblib"
    train_from_file(
        Settings(assistant=AssistantSettings(model=path)), DEMO_EXAMPLES, embed=default_embed()
    )
    return path


@pytest.fixture
def assistant_settings(settings: Settings, demo_model: Path) -> Settings:
    """``settings`` with the demo model."""
    return settings.replacing(assistant={"model": demo_model})


@pytest.fixture
def chat_environment(
    environment: Settings, demo_model: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """``environment`` with the demo model, for the API and the CLI."""
    from retain.settings import get_settings

    monkeypatch.setenv("RETAIN_ASSISTANT_MODEL", str(demo_model))
    get_settings.cache_clear()
    yield environment.replacing(assistant={"model": demo_model})
    get_settings.cache_clear()
