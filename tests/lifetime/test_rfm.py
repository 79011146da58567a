"""The RFM summary expression on hand-made orders, on DuckDB and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
from ibis.backends import BaseBackend

from retain.lifetime import LifetimeInputError, rfm_summary
from retain.warehouse import connect
from tests.metrics.warehouse_data import fill_canonical_tables

ORDERS = pd.DataFrame(
    [
        # A: first on Jan 1; two orders on Jan 8 make one purchase of 30; Jan 15 again.
        ("o1", "A", "2024-01-01 09:00", 10.0),
        ("o2", "A", "2024-01-08 10:00", 12.0),
        ("o3", "A", "2024-01-08 23:59", 18.0),
        ("o4", "A", "2024-01-15 00:00", 60.0),
        # After the calibration end (Jan 29, included): ignored.
        ("o5", "A", "2024-01-30 00:00", 99.0),
        # B: a single purchase; two orders on its first day are still no repeat.
        ("o6", "B", "2024-01-22 08:00", 5.0),
        ("o7", "B", "2024-01-22 20:00", 5.0),
        # C: first buys after the calibration end: not a customer yet.
        ("o8", "C", "2024-02-02 08:00", 7.0),
        # D: last order on the calibration end day itself.
        ("o9", "D", "2023-12-30 08:00", 20.0),
        ("o10", "D", "2024-01-29 23:00", 40.0),
    ],
    columns=["order_id", "customer_id", "ordered_at", "amount"],
).assign(ordered_at=lambda frame: pd.to_datetime(frame["ordered_at"]), currency="USD")

END = date(2024, 1, 29)
# (frequency, recency in days, T in days, monetary), worked out by hand.
BY_HAND = {
    "A": (2, 14, 28, (30 + 60) / 2),
    "B": (0, 0, 7, None),
    "D": (1, 30, 30, 40.0),
}


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[BaseBackend]:
    if request.param == "duckdb":
        connected = connect("duckdb://")
    else:
        database = request.getfixturevalue("postgres_database")
        connected = connect(f"postgresql://postgres@127.0.0.1:5432/{database}")
    fill_canonical_tables(connected, {"order": ORDERS})
    yield connected
    connected.disconnect()


def summarise(backend: BaseBackend, unit: str, **options: date) -> pd.DataFrame:
    expression = rfm_summary(backend.table("order"), calibration_end=END, unit=unit, **options)  # type: ignore[arg-type]
    return expression.to_pandas().set_index("customer_id").sort_index()


@pytest.mark.parametrize("unit", ["days", "weeks", "months"])
def test_summary_equals_the_hand_computation(backend: BaseBackend, unit: str) -> None:
    days = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}[unit]
    summary = summarise(backend, unit)
    assert list(summary.index) == sorted(BY_HAND)
    for customer, (frequency, recency, age, monetary) in BY_HAND.items():
        row = summary.loc[customer]
        assert row["frequency"] == frequency
        assert row["recency"] == pytest.approx(recency / days)
        assert row["T"] == pytest.approx(age / days)
        if monetary is None:
            assert pd.isna(row["monetary"])
        else:
            assert row["monetary"] == pytest.approx(monetary)


def test_observation_start_keeps_the_cohort_that_starts_then(backend: BaseBackend) -> None:
    summary = summarise(backend, "days", observation_start=date(2024, 1, 1))
    assert list(summary.index) == ["A", "B"]


def test_bad_requests_are_refused(backend: BaseBackend) -> None:
    orders = backend.table("order")
    with pytest.raises(LifetimeInputError, match="unit"):
        rfm_summary(orders, calibration_end=END, unit="hours")  # type: ignore[arg-type]
    with pytest.raises(LifetimeInputError, match="observation_start"):
        rfm_summary(orders, calibration_end=END, unit="days", observation_start=date(2024, 3, 1))
    with pytest.raises(LifetimeInputError, match="amount"):
        rfm_summary(orders.drop("amount"), calibration_end=END, unit="days")
