"""``retain churn train|score --table``: messy labelled tables, and each bad-input message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from retain.churn.model import ChurnInputError
from retain.churn.service import score_table, train_table
from retain.cli import app
from tests.conftest import shared_data_file


def messy_table(rows: int = 600, seed: int = 3) -> pd.DataFrame:
    """Customers whose churn depends on usage, tickets and plan, written as people write CSVs."""
    rng = np.random.default_rng(seed)
    usage = rng.gamma(2.0, 10.0, rows)
    tickets = rng.poisson(1.0, rows)
    plan = rng.choice(["Basic", "Pro", "Team"], rows)
    logit = -1.0 - 0.08 * usage + 0.7 * tickets + np.where(plan == "Basic", 0.8, -0.4)
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    spend = [f"{value:,.2f}" for value in rng.gamma(2.0, 800.0, rows)]  # "1,234.50"
    table = pd.DataFrame(
        {
            "account": [f"A-{n:04d}" for n in range(rows)],
            "usage": [f" {value:.1f} " for value in usage],  # numbers stored as text
            "tickets": tickets.astype(str),
            "plan": plan,
            "spend": spend,
            "churned": np.where(churned, "Yes", "no"),
        }
    )
    table.loc[::17, "usage"] = ""  # blank cells
    table.loc[::23, "plan"] = ""
    return table


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_a_messy_csv_trains_with_a_cross_validated_auc_and_interval(tmp_path: Path) -> None:
    path = write(messy_table(), tmp_path / "accounts.csv")

    model, report = train_table(path=path, label_column="churned", id_column="account")

    assert set(report["numeric"]) == {"usage", "tickets", "spend"}
    assert report["categorical"] == ["plan"]
    auc = report["roc_auc"]
    assert auc["low"] < auc["value"] < auc["high"]
    assert auc["value"] > 0.7
    assert report["baseline_roc_auc"]["value"] > 0.7
    scores = score_table(path=path, model=model)
    assert scores.customer_id.tolist()[:2] == ["A-0000", "A-0001"]
    assert scores.probability.between(0, 1).all()
    assert all(reason["en"] for reasons in scores.reasons for reason in reasons)


def test_parquet_tables_with_true_false_labels_train_too(tmp_path: Path) -> None:
    frame = messy_table(seed=4)
    frame["churned"] = frame.churned == "Yes"
    frame["usage"] = pd.to_numeric(frame.usage, errors="coerce")
    frame.to_parquet(tmp_path / "accounts.parquet")
    _, report = train_table(path=tmp_path / "accounts.parquet", label_column="churned")
    assert report["roc_auc"]["value"] > 0.7


@pytest.mark.parametrize(
    ("change", "label", "id_column", "message"),
    [
        (None, "left", "account", "accounts.csv: no label column 'left'; the columns are: account"),
        (None, "churned", "acct", "accounts.csv: no id column 'acct'"),
        ("one_class", "churned", "account", "label column 'churned' has only stayers"),
        ("repeat", "churned", "account", "id column 'account' repeats: 'A-0001' (2 times)"),
        ("maybe", "churned", "account", "neither yes nor no: 'maybe'"),
    ],
)
def test_bad_input_gets_a_clear_message_naming_file_and_column(
    tmp_path: Path, change: str | None, label: str, id_column: str, message: str
) -> None:
    frame = messy_table(rows=60)
    if change == "one_class":
        frame["churned"] = "no"
    elif change == "repeat":
        frame.loc[2, "account"] = "A-0001"
    elif change == "maybe":
        frame.loc[5, "churned"] = "maybe"
    path = write(frame, tmp_path / "accounts.csv")

    with pytest.raises(ChurnInputError, match="accounts.csv") as raised:
        train_table(path=path, label_column=label, id_column=id_column)
    assert message in str(raised.value)


def test_cli_trains_and_scores_a_table_and_refuses_bad_input(tmp_path: Path) -> None:
    path = write(messy_table(), tmp_path / "accounts.csv")
    runner = CliRunner()
    model = tmp_path / "model.joblib"

    trained = runner.invoke(
        app,
        [
            "churn",
            "train",
            "--table",
            str(path),
            "--label",
            "churned",
            "--id",
            "account",
            "--model",
            str(model),
            "--format",
            "json",
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)[0]["roc_auc"]["value"] > 0.7

    scored = runner.invoke(
        app,
        [
            "churn",
            "score",
            "--table",
            str(path),
            "--model",
            str(model),
            "--format",
            "json",
            "--out",
            str(tmp_path / "scores.csv"),
        ],
    )
    assert scored.exit_code == 0, scored.output
    rows = json.loads(scored.stdout)
    assert len(rows) == 600
    assert rows[0]["probability"] >= rows[-1]["probability"]
    assert len(pd.read_csv(tmp_path / "scores.csv")) == 600

    missing = runner.invoke(app, ["churn", "train", "--table", str(path), "--label", "nope"])
    assert missing.exit_code == 2
    assert "no label column 'nope'" in missing.stderr
    unlabelled = runner.invoke(app, ["churn", "train", "--table", str(path)])
    assert unlabelled.exit_code == 2
    assert "--label" in unlabelled.stderr


def test_ravenstack_accounts_a_real_bring_your_own_table(tmp_path: Path) -> None:
    path = shared_data_file("ravenstack_saas", "ravenstack_accounts.csv")
    model, report = train_table(path=path, label_column="churn_flag", id_column="account_id")
    assert report["customers"] == 500
    # The accounts' own columns carry little about churn: the interval must say so honestly.
    assert report["roc_auc"]["low"] < report["roc_auc"]["value"] < report["roc_auc"]["high"]
    assert "account_name" not in model.columns
    assert len(score_table(path=path, model=model)) == 500
