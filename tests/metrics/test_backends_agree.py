"""On a generated business, every backend gives the same metrics, and they match brute force."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from retain.currency.money import Money
from retain.ingest.demo import generate_demo
from retain.ingest.kinds import KINDS
from retain.metrics import CohortQuery, MetricsQuery, compute_cohorts, compute_metrics
from retain.warehouse import connect
from tests.metrics.conftest import Loader
from tests.metrics.warehouse_data import fill_canonical_tables

MONEY = Money(rates={"CNY": Decimal(1) / Decimal(7)})
QUERY = MetricsQuery(start=date(2025, 1, 1), end=date(2026, 9, 30), basis="any", by="country")
COHORTS = CohortQuery(start=date(2025, 1, 1), end=date(2026, 9, 30), value="revenue")


@pytest.fixture(scope="module")
def business(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """A 400-customer demo business as canonical frames."""
    folder: Path = tmp_path_factory.mktemp("demo")
    demo = generate_demo(out_dir=folder, customers=400, seed=5, as_of=datetime(2026, 10, 1))
    frames = {}
    for kind_name, path in demo.files.items():
        kind = KINDS[kind_name]
        frame = pd.read_parquet(path)
        frames[kind.table] = frame[[c for c in kind.warehouse_columns if c in frame]]
    return frames


@pytest.fixture(scope="module")
def reference(business: dict[str, pd.DataFrame]) -> tuple[list[dict], list[dict]]:
    duckdb = fill_canonical_tables(connect("duckdb://"), business)
    return (
        compute_metrics(backend=duckdb, query=QUERY, money=MONEY),
        compute_cohorts(backend=duckdb, query=COHORTS, money=MONEY),
    )


def assert_same_rows(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for got_row, want_row in zip(got, want, strict=True):
        assert got_row.keys() == want_row.keys()
        for key, value in want_row.items():
            if isinstance(value, float):
                assert got_row[key] == pytest.approx(value, rel=1e-9, abs=1e-6), key
            else:
                assert got_row[key] == value, key


def test_every_backend_gives_the_same_metrics_and_cohorts(
    load_warehouse: Loader,
    business: dict[str, pd.DataFrame],
    reference: tuple[list[dict], list[dict]],
) -> None:
    backend = load_warehouse(business)

    metrics = compute_metrics(backend=backend, query=QUERY, money=MONEY)
    cohorts = compute_cohorts(backend=backend, query=COHORTS, money=MONEY)

    assert_same_rows(metrics, reference[0])
    assert_same_rows(cohorts, reference[1])


def test_counts_match_a_brute_force_reading_of_the_definitions(
    business: dict[str, pd.DataFrame],
    reference: tuple[list[dict], list[dict]],
) -> None:
    orders = business["order"]
    orders = orders[orders.status != "cancelled"]
    changes = business["subscription_change"].sort_values("changed_at")
    country = business["customer"].set_index("customer_id").country
    firsts = (
        pd.concat(
            [
                orders.groupby("customer_id").ordered_at.min(),
                changes.groupby("customer_id").changed_at.min(),
            ]
        )
        .groupby(level=0)
        .min()
    )

    def active(at: datetime) -> set[str]:
        recent = orders[
            (orders.ordered_at > at - pd.Timedelta(days=365)) & (orders.ordered_at <= at)
        ]
        latest = changes[changes.changed_at <= at].groupby("customer_id").mrr_after.last()
        return set(recent.customer_id) | set(latest[latest > 0].index)

    for row in reference[0]:
        start, end = row["period_start"], row["period_end"]
        in_country = set(country[country == row["country"]].index)
        at_start, at_end = active(start) & in_country, active(end) & in_country
        first = firsts.reindex(sorted(at_end))
        new = int(((first > start) & (first <= end)).sum())
        assert (
            row["customers_start"],
            row["customers_end"],
            row["new_customers"],
            row["retained_customers"],
        ) == (len(at_start), len(at_end), new, len(at_start & at_end)), row
