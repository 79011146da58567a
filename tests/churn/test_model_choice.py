"""Training keeps whichever model ranked churners better on held-out rows, and says which."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from retain.churn.linear import LinearChurnModel, fit_linear_churn_model
from retain.churn.model import ChurnModel
from retain.churn.service import LOGISTIC, TREES, load_model, train_table
from retain.cli import app


def linear_table(rows: int = 400, seed: int = 1) -> pd.DataFrame:
    """Churn that is exactly a logistic function of usage, tickets and plan."""
    rng = np.random.default_rng(seed)
    usage = rng.normal(0.0, 1.0, rows)
    tickets = rng.normal(0.0, 1.0, rows)
    plan = rng.choice(["Basic", "Pro"], rows)
    logit = -1.5 * usage + 1.0 * tickets + np.where(plan == "Basic", 0.5, -0.5)
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {"usage": usage, "tickets": tickets, "plan": plan, "churned": churned.astype(int)}
    )


def interaction_table(rows: int = 3000, seed: int = 2) -> pd.DataFrame:
    """Churn only when usage and tickets are both high or both low: no straight line finds it."""
    rng = np.random.default_rng(seed)
    usage = rng.normal(0.0, 1.0, rows)
    tickets = rng.normal(0.0, 1.0, rows)
    risky = (usage > 0) == (tickets > 0)
    churned = rng.random(rows) < np.where(risky, 0.8, 0.1)
    plan = rng.choice(["Basic", "Pro"], rows)
    return pd.DataFrame(
        {"usage": usage, "tickets": tickets, "plan": plan, "churned": churned.astype(int)}
    )


def test_the_better_backtested_model_is_the_one_kept(tmp_path: Path) -> None:
    for table, expected_kind, expected_type in (
        (linear_table(), LOGISTIC, LinearChurnModel),
        (interaction_table(), TREES, ChurnModel),
    ):
        path = tmp_path / f"{expected_kind}.csv"
        table.to_csv(path, index=False)

        model, report = train_table(path=path, label_column="churned")

        trees, logistic = report["roc_auc"]["value"], report["baseline_roc_auc"]["value"]
        assert (logistic > trees) == (expected_kind == LOGISTIC), (trees, logistic)
        assert report["kept"] == expected_kind
        assert isinstance(model, expected_type)


def test_the_cli_says_which_model_it_keeps_and_saves_that_one(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    linear_table().to_csv(path, index=False)
    model_path = tmp_path / "model.joblib"

    result = CliRunner().invoke(
        app,
        ["churn", "train", "--table", str(path), "--label", "churned", "--model", str(model_path)],
    )

    assert result.exit_code == 0, result.output
    assert "kept the logistic regression" in " ".join(result.output.split())
    assert isinstance(load_model(path=model_path), LinearChurnModel)


def test_linear_reasons_add_up_to_the_log_odds_away_from_the_average_customer() -> None:
    table = linear_table()
    model = fit_linear_churn_model(
        frame=table, label=table.churned, numeric=["usage", "tickets"], categorical=["plan"]
    )

    probability = model.predict(table)
    contributions = model.contributions(table)

    assert list(contributions.columns) == ["usage", "tickets", "plan"]
    log_odds = np.log(probability / (1 - probability))
    average_customer = log_odds - contributions.sum(axis=1).to_numpy()
    assert np.allclose(average_customer, average_customer[0])
    heavy_user = contributions.usage.to_numpy()[table.usage.to_numpy() > 1.5]
    assert (heavy_user < 0).all(), "high usage lowers the risk, as the data were made"
