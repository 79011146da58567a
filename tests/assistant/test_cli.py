"""``retain assistant train / evaluate / ask`` and clear refusals of bad example files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from retain.assistant.examples import ExamplesError, read_examples
from retain.assistant.models import AssistantEvaluation
from retain.cli import app
from retain.settings import Settings
from retain.store import session_scope

runner = CliRunner()


def _csv(folder: Path, text: str) -> Path:
    path = folder / "examples.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        ("message,label\nhi,greeting\n", [], "column 'text' missing (found: message, label)"),
        ("text,intent\nhi,greeting\n ,greeting\n", [], "row 3: field 'text' is empty"),
        ("text,intent\nhi,greeting\nhello,\n", [], "row 3: field 'intent' is empty"),
        ("text,intent\nhi,greeting\nhello,greeting\n", [], "at least two intents"),
        (
            "message,label\nhi,greeting\n",
            ["--text", "message", "--intent", "nope"],
            "column 'nope' missing",
        ),
    ],
)
def test_bad_examples_are_refused_naming_file_row_and_field(
    tmp_path: Path,
    content: str,
    options: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETAIN_DATA_DIR", str(tmp_path))
    path = _csv(tmp_path, content)
    result = runner.invoke(app, ["assistant", "train", "--examples", str(path), *options])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "assistant" / "model.joblib").exists()


def test_clinc_json_splits_are_read(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"train": [["hi", "greet"]], "oos_train": [["sky", "oos"]]}))
    examples = read_examples(path)
    assert (examples.texts, examples.intents) == (["hi", "sky"], ["greet", "oos"])
    path.write_text(json.dumps({"train": [["hi"]]}))
    with pytest.raises(ExamplesError, match=r"train\[0\]: expected \[text, intent\]"):
        read_examples(path)


def test_train_evaluate_and_ask_with_the_bilingual_demo(
    environment: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retain.assistant.intents import DEMO_EXAMPLES
    from retain.settings import get_settings

    monkeypatch.setenv("RETAIN_ASSISTANT_MODEL", str(tmp_path / "trained.joblib"))
    get_settings.cache_clear()

    trained = runner.invoke(
        app, ["assistant", "train", "--examples", str(DEMO_EXAMPLES), "--format", "json"]
    )
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)[0]["intents"] == 10
    evaluated = runner.invoke(
        app, ["assistant", "evaluate", "--examples", str(DEMO_EXAMPLES), "--format", "json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(evaluated.stdout)[0]
    assert set(figures) >= {
        "accuracy",
        "coverage",
        "answered_accuracy",
        "escalation_rate",
        "oos_recall",
    }
    with session_scope(environment.storage.store_url) as session:
        stored = session.scalars(select(AssistantEvaluation)).one()
        assert stored.answered_accuracy == figures["answered_accuracy"]
    asked = runner.invoke(app, ["assistant", "ask", "我的订单发货了吗", "--format", "json"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)[0]["intent"] == "order_status"
