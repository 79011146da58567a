"""The shared metrics suite: hand-worked cases, run on DuckDB, PostgreSQL and Spark alike."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from retain.currency.money import Money
from retain.metrics import CohortQuery, MetricsInputError, MetricsQuery, compute_cohorts
from retain.metrics import compute_metrics as compute
from tests.metrics.conftest import Loader
from tests.metrics.scenarios import shop, subscriptions

USD = Money(rates={})
JANUARY_TO_APRIL = {"start": date(2025, 1, 1), "end": date(2025, 4, 30)}


def column(rows: list[dict], name: str) -> list:
    return [row[name] for row in rows]


def test_customer_counts_of_the_shop(load_warehouse: Loader) -> None:
    backend = load_warehouse(shop())

    rows = compute(
        backend=backend,
        money=USD,
        query=MetricsQuery(**JANUARY_TO_APRIL, basis="orders", active_window_days=60),
    )

    assert column(rows, "customers_start") == [3, 4, 4, 3]
    assert column(rows, "customers_end") == [4, 4, 3, 1]
    assert column(rows, "new_customers") == [2, 0, 0, 0]  # C, and E on the stroke of Feb 1
    assert column(rows, "retained_customers") == [2, 4, 3, 0]
    assert column(rows, "lost_customers") == [1, 0, 1, 3]
    assert column(rows, "reactivated_customers") == [0, 0, 0, 1]  # C in April
    assert column(rows, "crr") == pytest.approx([2 / 3, 1.0, 0.75, 1 / 3], abs=1e-6)
    assert column(rows, "churn_rate") == pytest.approx([1 / 3, 0.0, 0.25, 1.0], abs=1e-6)
    assert column(rows, "meets_target") == [False, True, False, False]


def test_order_metrics_of_the_shop(load_warehouse: Loader) -> None:
    backend = load_warehouse(shop())

    rows = compute(
        backend=backend,
        money=USD,
        query=MetricsQuery(**JANUARY_TO_APRIL, basis="orders", active_window_days=60),
    )

    assert column(rows, "orders") == [2, 2, 0, 1]  # the cancelled order does not count
    assert column(rows, "revenue") == [50.0, 130.0, 0.0, 60.0]
    assert column(rows, "returned") == [0.0, 10.0, 0.0, 0.0]
    assert column(rows, "net_revenue") == [50.0, 120.0, 0.0, 60.0]
    assert column(rows, "average_order_value") == [25.0, 65.0, None, 60.0]
    assert column(rows, "repeat_purchase_rate") == [0.0, 1.0, None, 1.0]
    # Feb: A after 57 days, D after 59 days and one second; Apr: C after 95 days.
    assert column(rows, "average_days_between_orders") == pytest.approx(
        [None, 58.0000058, None, 95.0], abs=1e-6
    )
    assert column(rows, "revenue_retention") == [0.0, 0.0, 0.0, None]
    # Net revenue so far over buyers so far: 200/5, 320/5, 320/5, 380/5.
    assert column(rows, "clv_historical") == [40.0, 64.0, 64.0, 76.0]


def test_nps_and_csat(load_warehouse: Loader) -> None:
    backend = load_warehouse(shop())

    rows = compute(
        backend=backend,
        money=USD,
        query=MetricsQuery(**JANUARY_TO_APRIL, basis="orders", active_window_days=60),
    )

    assert (rows[0]["nps"], rows[0]["nps_responses"]) == (25.0, 4)  # 2 promoters, 1 detractor
    assert rows[0]["csat"] == pytest.approx(2 / 3, abs=1e-6)
    assert rows[1]["nps"] is None and rows[1]["csat"] is None


def test_subscription_revenue_retention(load_warehouse: Loader) -> None:
    backend = load_warehouse(subscriptions())

    rows = compute(
        backend=backend, money=USD, query=MetricsQuery(**JANUARY_TO_APRIL, basis="subscriptions")
    )

    assert column(rows, "mrr_start") == [250.0, 330.0, 350.0, 320.0]
    assert column(rows, "mrr_end") == [330.0, 350.0, 320.0, 320.0]
    assert column(rows, "new_mrr") == [100.0, 0.0, 0.0, 0.0]
    assert column(rows, "expansion_mrr") == [0.0, 50.0, 0.0, 0.0]
    assert column(rows, "contraction_mrr") == [20.0, 0.0, 0.0, 0.0]
    assert column(rows, "churned_mrr") == [0.0, 30.0, 150.0, 0.0]
    assert column(rows, "reactivation_mrr") == [0.0, 0.0, 120.0, 0.0]
    assert column(rows, "grr") == pytest.approx([0.92, 300 / 330, 200 / 350, 1.0], abs=1e-6)
    assert column(rows, "ndr") == pytest.approx([0.92, 350 / 330, 200 / 350, 1.0], abs=1e-6)
    assert column(rows, "arpa") == pytest.approx([110.0, 175.0, 160.0, 160.0], abs=1e-6)
    # F churns and comes back on Mar 20: still a retained customer of March.
    assert column(rows, "customers_start") == [2, 3, 2, 2]
    assert column(rows, "retained_customers") == [2, 2, 2, 2]
    assert column(rows, "new_customers") == [1, 0, 0, 0]
    assert column(rows, "crr") == pytest.approx([1.0, 2 / 3, 1.0, 1.0], abs=1e-6)


def test_cut_by_country(load_warehouse: Loader) -> None:
    backend = load_warehouse(shop())

    rows = compute(
        backend=backend,
        money=USD,
        query=MetricsQuery(**JANUARY_TO_APRIL, basis="orders", active_window_days=60, by="country"),
    )

    january = {row["country"]: row for row in rows if row["period_start"].month == 1}
    assert (january["CN"]["customers_start"], january["CN"]["customers_end"]) == (1, 3)  # A; A C E
    assert (january["US"]["customers_start"], january["US"]["customers_end"]) == (2, 1)  # B D; D


def test_cut_by_latest_plan(load_warehouse: Loader) -> None:
    backend = load_warehouse(subscriptions())

    rows = compute(
        backend=backend,
        money=USD,
        query=MetricsQuery(**JANUARY_TO_APRIL, basis="subscriptions", by="plan"),
    )

    february = {row["plan"]: row for row in rows if row["period_start"].month == 2}
    assert sorted(february) == ["basic", "pro", "team"]  # G, F (back on pro), H
    assert (february["basic"]["customers_start"], february["basic"]["lost_customers"]) == (1, 1)
    assert february["pro"]["expansion_mrr"] == 50.0
    assert february["team"]["mrr_start"] == 200.0


def test_amounts_convert_to_the_reporting_currency(load_warehouse: Loader) -> None:
    data = shop()
    data["order"].loc[data["order"].order_id == "o2", ["amount", "currency"]] = [350.0, "CNY"]
    backend = load_warehouse(data)
    query = MetricsQuery(**JANUARY_TO_APRIL, basis="orders", active_window_days=60)

    rows = compute(backend=backend, money=Money(rates={"CNY": Decimal("0.142857")}), query=query)

    assert rows[1]["revenue"] == pytest.approx(80.0 + 350 * 0.142857, abs=0.01)
    with pytest.raises(ValueError, match="CNY have no exchange rate to USD"):
        compute(backend=backend, money=USD, query=query)


def test_cohorts_classic_and_unbounded(load_warehouse: Loader) -> None:
    backend = load_warehouse(shop())
    window = {"start": date(2024, 11, 1), "end": date(2025, 4, 30), "basis": "orders"}

    classic = compute_cohorts(backend=backend, money=USD, query=CohortQuery(**window))
    unbounded = compute_cohorts(
        backend=backend, money=USD, query=CohortQuery(**window, mode="unbounded")
    )
    revenue = compute_cohorts(
        backend=backend, money=USD, query=CohortQuery(**window, value="revenue")
    )

    def series(rows: list[dict], month: int, name: str) -> list:
        return [row[name] for row in rows if row["cohort"].month == month]

    assert series(classic, 12, "customers") == [2, 0, 2, 0, 0]  # A and D, in Dec and Feb
    assert series(unbounded, 12, "customers") == [2, 2, 2, 0, 0]
    assert series(classic, 1, "customers") == [2, 0, 0, 1]  # C and E; C again in April
    assert series(unbounded, 1, "customers") == [2, 1, 1, 1]
    assert series(classic, 11, "share") == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert series(revenue, 12, "revenue") == [120.0, 0.0, 130.0, 0.0, 0.0]
    assert series(revenue, 1, "revenue") == [50.0, -10.0, 0.0, 60.0]


def test_bad_requests_are_refused(load_warehouse: Loader) -> None:
    backend = load_warehouse(shop())

    with pytest.raises(MetricsInputError, match="is after"):
        compute(
            backend=backend,
            money=USD,
            query=MetricsQuery(start=date(2025, 5, 1), end=date(2025, 1, 1)),
        )
    with pytest.raises(MetricsInputError, match="unknown dimension 'segment'"):
        compute(backend=backend, money=USD, query=MetricsQuery(**JANUARY_TO_APRIL, by="segment"))
    with pytest.raises(MetricsInputError, match="no customers, orders or subscriptions"):
        compute(
            backend=backend,
            money=USD,
            query=MetricsQuery(start=date(2019, 1, 1), end=date(2019, 6, 30)),
        )
