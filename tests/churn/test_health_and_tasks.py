"""Health score formula and weights; renewal forecast; tasks: due dates, deduplication, outcomes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retain.churn.health import HealthConfig, health_scores, load_health_config
from retain.churn.renewals import forecast_renewed_mrr, owners_from_attributes
from retain.churn.tasks import (
    TaskDraft,
    TaskError,
    close_task,
    drafts_from_alerts,
    drafts_from_renewals,
    list_tasks,
    open_tasks,
)
from retain.settings import Settings
from retain.store import ensure_store, session_scope

TODAY = date(2026, 10, 1)


def features(**overrides: list[float]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "customer_id": ["A", "B"],
        "plan": ["basic", "team"],
        "usage_change_30d": [-0.6, 0.2],
        "days_since_usage": [3.0, 1.0],
        "open_tickets": [1.0, 0.0],
        "tickets_90d": [2.0, 0.0],
        "last_nps": [4.0, np.nan],
        "last_csat": [np.nan, np.nan],
        "contractions_180d": [1.0, 0.0],
        "returns_180d": [0.0, 0.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_health_is_the_documented_weighted_mean_of_its_components() -> None:
    scores = health_scores(features(), pd.Series([0.3, 0.1]), config=HealthConfig()).set_index(
        "customer_id"
    )
    a = scores.loc["A"]
    # usage 100×(1−0.6)=40, risk 70, support 100−30−20=50, nps 40, payment 60
    assert (a.usage, a.risk, a.support, a.nps, a.payment) == (40, 70, 50, 40, 60)
    assert a.score == pytest.approx(
        0.3 * 40 + 0.3 * 70 + 0.15 * 50 + 0.15 * 40 + 0.1 * 60, abs=0.05
    )
    b = scores.loc["B"]
    # No survey answered: the other four components carry the score.
    assert np.isnan(b.nps)
    assert b.score == pytest.approx(
        (0.3 * 100 + 0.3 * 90 + 0.15 * 100 + 0.1 * 100) / 0.85, abs=0.05
    )


def test_weights_per_plan_change_only_that_plans_scores(tmp_path: Path) -> None:
    path = tmp_path / "weights.yaml"
    path.write_text(
        "plans:\n  team:\n    usage: 1.0\n    risk: 0\n    support: 0\n    payment: 0\n"
    )
    config = load_health_config(path)
    custom = health_scores(features(), pd.Series([0.3, 0.1]), config=config).set_index(
        "customer_id"
    )
    default = health_scores(features(), pd.Series([0.3, 0.1]), config=HealthConfig()).set_index(
        "customer_id"
    )
    assert custom.loc["A"].score == default.loc["A"].score
    assert custom.loc["B"].score == 100.0


def test_unknown_components_and_zero_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown components happiness"):
        HealthConfig(default={"happiness": 1.0})
    with pytest.raises(ValueError, match="not all 0"):
        HealthConfig(by_segment={"team": {"usage": 0, "risk": 0}})


def test_a_month_without_usage_scores_zero_on_usage() -> None:
    frame = features(days_since_usage=[45.0, 1.0], usage_change_30d=[0.0, 0.0])
    scores = health_scores(frame, pd.Series([0.3, 0.1]), config=HealthConfig())
    assert scores.usage.tolist() == [0.0, 100.0]


def test_renewed_mrr_forecast_is_the_expectation_with_a_normal_interval() -> None:
    pipeline = pd.DataFrame({"mrr": [100.0, 300.0, 50.0], "risk": [0.1, 0.2, np.nan]})
    forecast = forecast_renewed_mrr(pipeline)
    # The unscored customer takes the mean risk of the scored ones, 0.15.
    expected = 100 * 0.9 + 300 * 0.8 + 50 * 0.85
    spread = 1.959964 * np.sqrt(100**2 * 0.09 + 300**2 * 0.16 + 50**2 * 0.1275)
    assert forecast["expected_renewed_mrr"] == pytest.approx(expected, abs=0.01)
    assert forecast["low"] == pytest.approx(max(0.0, expected - spread), abs=0.01)
    assert forecast["high"] == pytest.approx(min(450.0, expected + spread), abs=0.01)
    assert forecast["unscored"] == 1


def test_owners_come_from_the_customer_attributes() -> None:
    attributes = pd.Series(['{"owner": "li.wei", "tier": "gold"}', None, '{"tier": "x"}'])
    assert owners_from_attributes(attributes).tolist() == ["li.wei", "unassigned", "unassigned"]


def test_due_dates_follow_severity_and_the_renewal_date() -> None:
    alerts = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "severity": ["high", "low"],
            "evidence": ["fell 95%", "fell 61%"],
        }
    )
    drafts = drafts_from_alerts(alerts, {"A": "ana"}, today=TODAY)
    assert [(d.owner, d.due_on) for d in drafts] == [
        ("ana", date(2026, 10, 3)),
        ("unassigned", date(2026, 10, 11)),
    ]
    assert drafts[0].title == "Call about falling usage: fell 95%"
    pipeline = pd.DataFrame(
        {
            "customer_id": ["C", "D", "E"],
            "owner": ["bo", "bo", "bo"],
            "renews_at": [datetime(2026, 10, 20), datetime(2026, 10, 3), datetime(2026, 10, 20)],
            "mrr": [79.0, 29.0, 29.0],
            "risk": [0.4, 0.35, 0.05],
            "health": [70.0, 80.0, 90.0],
        }
    )
    renewal = drafts_from_renewals(pipeline, today=TODAY, min_risk=0.3, max_health=50)
    assert [(d.customer_id, d.due_on) for d in renewal] == [
        ("C", date(2026, 10, 13)),
        ("D", date(2026, 10, 2)),
    ]
    assert renewal[0].title == "Renewal on 2026-10-20 at 40% churn risk, 79.00 MRR"


def draft(customer: str, kind: str = "usage_decline", owner: str = "ana") -> TaskDraft:
    return TaskDraft(customer, owner, kind, f"call {customer}", TODAY)


def test_tasks_are_deduplicated_listed_by_owner_and_closed_with_an_outcome(
    settings: Settings,
) -> None:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        first = [draft("A"), draft("A"), draft("A", "renewal_risk"), draft("B", owner="bo")]
        assert open_tasks(session=session, drafts=first) == 3
    with session_scope(settings.storage.store_url) as session:
        assert open_tasks(session=session, drafts=[draft("A"), draft("B", owner="bo")]) == 0
        assert [t.customer_id for t in list_tasks(session=session, owner="ana")] == ["A", "A"]
        task = list_tasks(session=session, owner="bo")[0]
        closed = close_task(session=session, task_id=task.task_id, outcome="retained", note="ok")
        assert (closed.outcome, closed.note, closed.open_key) == ("retained", "ok", None)
    with session_scope(settings.storage.store_url) as session:
        # Closed, the customer can get a new task of that kind.
        assert open_tasks(session=session, drafts=[draft("B", owner="bo")]) == 1
        assert len(list_tasks(session=session, owner="bo", include_closed=True)) == 2
        with pytest.raises(TaskError, match="already closed"):
            close_task(session=session, task_id=task.task_id, outcome="churned")
        with pytest.raises(TaskError, match="unknown outcome 'won'"):
            close_task(session=session, task_id=task.task_id + 1, outcome="won")
        with pytest.raises(TaskError, match="no task 999"):
            close_task(session=session, task_id=999, outcome="churned")
