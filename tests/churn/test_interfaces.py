"""``retain churn|health|renewals|tasks`` and the churn API on an imported demo, both backends."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from ibis.backends import BaseBackend
from typer.testing import CliRunner

from retain.churn.features import FEATURES, churn_features
from retain.cli import app
from retain.settings import Settings
from retain.warehouse import connect
from tests.churn.conftest import AS_OF, MONEY
from tests.helpers import signed_in_client
from tests.metrics.warehouse_data import fill_canonical_tables


def run(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_features_are_the_same_on_duckdb_and_postgresql(
    demo: dict[str, pd.DataFrame], demo_duckdb: BaseBackend, postgres_database: str
) -> None:
    postgres = fill_canonical_tables(
        connect(f"postgresql://postgres@127.0.0.1:5432/{postgres_database}"), demo
    )
    at = AS_OF - timedelta(days=45)
    try:
        got = churn_features(postgres, as_of=at, money=MONEY).order_by("customer_id").execute()
    finally:
        postgres.disconnect()
    want = churn_features(demo_duckdb, as_of=at, money=MONEY).order_by("customer_id").execute()
    assert len(want) > 500
    assert got.customer_id.tolist() == want.customer_id.tolist()
    assert got.plan.tolist() == want.plan.tolist()
    pd.testing.assert_frame_equal(
        got[list(FEATURES)].astype(float), want[list(FEATURES)].astype(float), rtol=1e-9, atol=1e-6
    )


def test_commands_and_routes_from_training_to_closed_task(environment: Settings) -> None:
    run("demo", "--customers", "1200", "--seed", "3", "--no-serve", "--minimal", "--format", "json")

    report = json.loads(run("churn", "train", "--format", "json"))[0]
    assert 0.5 < report["roc_auc"]["value"] <= 1
    assert json.loads(run("churn", "report", "--format", "json"))[0] == report
    scores = json.loads(run("churn", "score", "--format", "json"))
    assert scores[0]["probability"] >= scores[-1]["probability"]
    run("churn", "alerts", "--format", "json")
    health = json.loads(run("health", "--format", "json"))
    assert {row["customer_id"] for row in health} == {row["customer_id"] for row in scores}
    assert all(0 <= row["score"] <= 100 for row in health)
    renewals = json.loads(run("renewals", "--within", "60", "--format", "json"))[0]
    assert renewals["forecast"]["renewals"] == len(renewals["renewals"]) > 0
    assert {row["within_days"] for row in renewals["renewals"]} <= {30, 60}
    due = {row["customer_id"] for row in renewals["renewals"] if row["within_days"] == 30}
    opened = int(run("tasks", "generate", "--min-risk", "0.0").split()[0])
    assert opened >= len(due) > 0
    assert run("tasks", "generate", "--min-risk", "0.0") == "0 new tasks\n"

    client = signed_in_client(environment)
    riskiest = client.get("/api/v1/churn/scores", params={"limit": 2}).json()["items"]
    assert [row["customer_id"] for row in riskiest] == [row["customer_id"] for row in scores[:2]]
    assert (
        client.get("/api/v1/churn/scores", params={"limit": 1, "offset": 1}).json()["items"]
        == riskiest[1:]
    )
    one = client.get(f"/api/v1/customers/{scores[0]['customer_id']}/churn").json()
    assert one["reasons"] and {"feature", "en", "zh-CN", "contribution"} <= set(one["reasons"][0])
    assert client.get("/api/v1/customers/NOBODY/churn").status_code == 404
    assert len(client.get("/api/v1/health-scores", params={"limit": 3}).json()["items"]) == 3
    history = client.get(f"/api/v1/customers/{health[0]['customer_id']}/health").json()["items"]
    assert [row["score"] for row in history] == [health[0]["score"]]
    page = client.get("/api/v1/renewals", params={"within": 60, "limit": 2}).json()
    assert page["forecast"] == renewals["forecast"]
    assert len(page["renewals"]) == min(2, len(renewals["renewals"]))
    client.get("/api/v1/churn/alerts").raise_for_status()
    tasks = client.get("/api/v1/tasks", params={"owner": "unassigned"}).json()["items"]
    assert tasks
    closed = client.post(f"/api/v1/tasks/{tasks[0]['task_id']}/close", json={"outcome": "retained"})
    assert closed.json()["outcome"] == "retained"
    again = client.post(f"/api/v1/tasks/{tasks[0]['task_id']}/close", json={"outcome": "retained"})
    assert again.status_code == 422
    assert client.post("/api/v1/tasks/99999/close", json={"outcome": "churned"}).status_code == 404
    listed = json.loads(run("tasks", "--format", "json"))
    assert len(listed) == len(tasks) - 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["churn", "score", "--model", "missing.joblib"], "no such model file"),
        (["churn", "report", "--model", "missing.joblib"], "no report"),
        (["tasks", "close", "7", "--outcome", "won"], "unknown outcome 'won'"),
    ],
)
def test_commands_refuse_bad_input_with_one_line(
    environment: Settings, arguments: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    assert message in result.stderr
