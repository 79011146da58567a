"""Usage-decline alerts on hand-made usage: real drops, weekly rhythm, sparse users, holidays."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from retain.churn.usage import AlertThresholds, detect_declines, usage_windows
from retain.warehouse import connect
from tests.churn.conftest import MONEY
from tests.metrics.warehouse_data import fill_canonical_tables

AS_OF = datetime(2026, 6, 1)
DAYS = 120


def usage_frames(daily: dict[str, list[float]]) -> dict[str, pd.DataFrame]:
    """Subscribers since long before, each with the given quantity per day up to AS_OF."""
    start = AS_OF - timedelta(days=DAYS)
    rows = [
        (f"{customer}-{day}", customer, start + timedelta(days=day, hours=10), "login", quantity)
        for customer, quantities in daily.items()
        for day, quantity in enumerate(quantities)
        if quantity > 0
    ]
    changes = pd.DataFrame(
        {
            "change_id": list(daily),
            "customer_id": list(daily),
            "changed_at": datetime(2025, 1, 1),
            "plan": "pro",
            "mrr_before": 0.0,
            "mrr_after": 79.0,
            "currency": "USD",
            "kind": "new",
        }
    )
    usage = pd.DataFrame(
        rows, columns=["event_id", "customer_id", "occurred_at", "name", "quantity"]
    )
    customers = pd.DataFrame({"customer_id": list(daily), "signup_at": datetime(2025, 1, 1)})
    return {"customer": customers, "subscription_change": changes, "usage_event": usage}


def alerts_for(
    daily: dict[str, list[float]], thresholds: AlertThresholds | None = None
) -> pd.DataFrame:
    chosen = thresholds or AlertThresholds()
    backend = fill_canonical_tables(connect("duckdb://"), usage_frames(daily))
    windows = usage_windows(backend, as_of=AS_OF, thresholds=chosen, money=MONEY).execute()
    return detect_declines(windows, thresholds=chosen, as_of=AS_OF).set_index("customer_id")


def steady(rng: np.random.Generator, rate: float, *, weekend: float = 1.0) -> list[float]:
    """Active on each day with probability ``rate`` (times ``weekend`` on two days a week)."""
    weights = np.array([1, 1, 1, 1, 1, weekend, weekend] * (DAYS // 7 + 1))[:DAYS]
    return list((rng.random(DAYS) < rate * weights) * rng.integers(1, 6, DAYS).astype(float))


def cut(days: list[float], *, last: int, keep: float) -> list[float]:
    """The last ``last`` days scaled down to ``keep`` of their usage."""
    return [
        *days[:-last],
        *(value * keep if index % 3 == 0 else 0.0 for index, value in enumerate(days[-last:])),
    ]


def test_a_real_drop_is_flagged_with_severity_and_evidence_and_steady_users_are_not() -> None:
    rng = np.random.default_rng(1)
    daily = {f"S{n:02d}": steady(rng, 0.7) for n in range(20)}
    daily["DROP"] = cut(steady(rng, 0.7), last=28, keep=0.1)
    alerts = alerts_for(daily)

    assert list(alerts.index) == ["DROP"]
    alert = alerts.loc["DROP"]
    assert alert.severity == "high"
    assert alert["drop"] > 0.9
    assert alert.evidence.startswith(
        f"usage fell {round(alert['drop'] * 100)}% vs their own 12-week"
    )
    assert "active days in the last 28" in alert.evidence


def test_weekday_only_users_are_not_flagged_for_their_weekends() -> None:
    rng = np.random.default_rng(2)
    daily = {f"W{n:02d}": steady(rng, 0.9, weekend=0.0) for n in range(20)}
    assert alerts_for(daily).empty


def test_sparse_users_cannot_raise_an_alert_by_a_quiet_month() -> None:
    rng = np.random.default_rng(3)
    sparse = steady(rng, 0.05)
    daily = {f"S{n:02d}": steady(rng, 0.6) for n in range(10)}
    daily["SPARSE"] = [*sparse[:-28], *([0.0] * 28)]
    assert "SPARSE" not in alerts_for(daily).index


def test_no_alert_storm_when_everyone_drops_in_a_holiday_fortnight() -> None:
    rng = np.random.default_rng(4)
    daily = {f"H{n:02d}": cut(steady(rng, 0.7), last=14, keep=0.5) for n in range(30)}
    daily["LEAVING"] = cut(steady(rng, 0.7), last=28, keep=0.0)
    alerts = alerts_for(daily)
    assert list(alerts.index) == ["LEAVING"]
    assert "allowing for a" in alerts.loc["LEAVING"].evidence


def test_thresholds_decide_what_alerts_and_how_severe() -> None:
    rng = np.random.default_rng(5)
    daily = {f"S{n:02d}": steady(rng, 0.8) for n in range(20)}
    # Active on a third of the days it used to be: a drop of about two thirds.
    daily["THIRD"] = cut(steady(rng, 0.8), last=28, keep=1.0)
    strict = AlertThresholds(min_drop=0.8, medium_drop=0.85, high_drop=0.9)
    assert "THIRD" not in alerts_for(daily, strict).index
    loose = AlertThresholds(min_drop=0.4, medium_drop=0.5, high_drop=0.9)
    assert alerts_for(daily, loose).loc["THIRD"].severity == "medium"


def test_thresholds_must_be_whole_weeks_and_ordered() -> None:
    with pytest.raises(ValueError, match="whole weeks"):
        AlertThresholds(recent_days=10)
    with pytest.raises(ValueError, match="min_drop <= medium_drop"):
        AlertThresholds(min_drop=0.9, medium_drop=0.5)
