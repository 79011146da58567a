"""Retention metrics per period, assembled from the Ibis expressions of this package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from retain.currency.money import Money
from retain.currency.service import check_rates, to_reporting
from retain.metrics.activity import ActivitySource, Basis, active_ranges, events
from retain.metrics.cohorts import CohortMode, CohortValue, cohort_customers, cohort_revenue
from retain.metrics.feedback import survey_counts
from retain.metrics.periods import MONTHS_PER_UNIT, PeriodGrid, PeriodUnit
from retain.metrics.retention import boundary_counts, running_totals
from retain.metrics.revenue import (
    lifetime_steps,
    mrr_movements,
    order_metrics,
    returns_per_period,
    revenue_retention,
    with_order_history,
)

if TYPE_CHECKING:
    # Only for annotations: pandas takes longer to import than a metrics query takes to run,
    # and the server and the CLI import this module at start (issue 16).
    import pandas as pd
DIMENSIONS = ("country", "channel", "language", "plan")
Row = dict[str, Any]
Lookup = dict[tuple[str, int], Row]
ALL = "all"
CURRENCY_TABLES = ("order", "subscription_change", "return_event")


class MetricsInputError(ValueError):
    """A request that cannot be answered: bad range, unknown dimension, no data."""


@dataclass(frozen=True)
class MetricsQuery:
    """Which periods to measure, on what basis, cut by what."""

    start: date | None = None
    end: date | None = None
    period: PeriodUnit = "month"
    by: str | None = None
    basis: Basis = "any"
    active_window_days: int = 365
    crr_target: float = 0.85


@dataclass(frozen=True)
class PreparedTables:
    """Canonical tables with ``dimension`` and amounts in the reporting currency."""

    orders: ir.Table
    changes: ir.Table
    returns: ir.Table
    surveys: ir.Table


def compute_metrics(
    *, backend: BaseBackend, query: MetricsQuery, money: Money
) -> list[dict[str, Any]]:
    """One row per (dimension and) period with customer, revenue, order and survey metrics."""
    if query.by is not None and query.by not in DIMENSIONS:
        raise MetricsInputError(
            f"unknown dimension {query.by!r}; choose one of: {', '.join(DIMENSIONS)}"
        )
    _check_currencies(backend, money)
    tables = prepare_tables(backend=backend, by=query.by, money=money)
    grid = _grid(backend, query)
    frames = _measure(tables, grid, query)
    if not _has_data(frames):
        raise MetricsInputError(
            f"no customers, orders or subscriptions between {grid.boundary(0):%Y-%m-%d} and "
            f"{grid.boundary(grid.count):%Y-%m-%d}"
        )
    return _assemble(frames, grid, query)


def prepare_tables(*, backend: BaseBackend, by: str | None, money: Money) -> PreparedTables:
    """The canonical tables with a ``dimension`` column and converted amounts."""
    labels = _dimension_labels(backend, by) if by is not None else None

    def cut(table: ir.Table) -> ir.Table:
        if labels is None:
            return table.mutate(dimension=ibis.literal(ALL))
        joined = table.left_join(labels, "customer_id")
        return joined.mutate(dimension=joined.dimension.fill_null("unknown"))

    def convert(amount: ir.Value, currency: ir.Value) -> ir.FloatingValue:
        return to_reporting(amount=amount, currency=currency, rates=money.rates)  # type: ignore[arg-type]

    order = backend.table("order")
    orders = order.filter(order.status != "cancelled").select(
        "order_id",
        "customer_id",
        "ordered_at",
        "status",
        amount=convert(order.amount, order.currency),
    )
    change = backend.table("subscription_change")
    changes = change.select(
        "customer_id",
        "changed_at",
        "kind",
        mrr_before=convert(change.mrr_before, change.currency),
        mrr_after=convert(change.mrr_after, change.currency),
    )
    returned = backend.table("return_event")
    returns = returned.select(
        "customer_id", "returned_at", amount=convert(returned.amount, returned.currency)
    )
    surveys = backend.table("survey_response").select("customer_id", "answered_at", "kind", "score")
    return PreparedTables(cut(orders), cut(changes), cut(returns), cut(surveys))


def _dimension_labels(backend: BaseBackend, by: str) -> ir.Table:
    """customer_id and its ``dimension`` label: a customer field, or the latest plan."""
    if by == "plan":
        changes = backend.table("subscription_change")
        return changes.group_by("customer_id").aggregate(
            dimension=changes.plan.argmax(changes.changed_at)
        )
    customers = backend.table("customer")
    return customers.select("customer_id", dimension=customers[by])


def _check_currencies(backend: BaseBackend, money: Money) -> None:
    # One query for the three tables: each query costs more to compile than to run.
    used = ibis.union(
        *(backend.table(name).select("currency") for name in CURRENCY_TABLES), distinct=True
    )
    codes = used.filter(used.currency.notnull()).to_pandas()
    found = {str(code) for code in codes["currency"]}
    check_rates(currencies=found, rates=money.rates, reporting=money.reporting_currency)


def _grid(backend: BaseBackend, query: MetricsQuery) -> PeriodGrid:
    end = query.end or _latest_event_day(backend)
    start = query.start or (end - timedelta(days=364))
    try:
        return PeriodGrid.covering(start=start, end=end, unit=query.period)
    except ValueError as error:
        raise MetricsInputError(str(error)) from None


def _latest_event_day(backend: BaseBackend) -> date:
    return max(_event_days(backend, lambda instants: instants.max()))


def _event_days(
    backend: BaseBackend, pick: Callable[[ir.TimestampColumn], ir.TimestampScalar]
) -> list[date]:
    """The days ``pick`` chooses among the order times and among the subscription changes."""
    order, change = backend.table("order"), backend.table("subscription_change")
    picked = ibis.union(
        order.aggregate(at=pick(order.ordered_at)), change.aggregate(at=pick(change.changed_at))
    )
    present = [instant.date() for instant in picked.to_pandas()["at"].dropna()]
    if not present:
        raise MetricsInputError("the warehouse holds no orders or subscription changes yet")
    return present


def metric_expressions(
    *, tables: PreparedTables, grid: PeriodGrid, query: MetricsQuery
) -> dict[str, ir.Table]:
    """Every small result table that compute_metrics reads, as unexecuted Ibis expressions."""
    source = ActivitySource(order=tables.orders, subscription_change=tables.changes)
    ranges = active_ranges(events(source, query.basis), grid, window_days=query.active_window_days)
    labels = ibis.union(
        tables.orders.select("customer_id", "dimension"),
        tables.changes.select("customer_id", "dimension"),
        distinct=True,
    )
    ranges = ranges.left_join(labels, "customer_id").select(ranges, "dimension")
    return {
        "counts": boundary_counts(ranges, grid),
        "movements": mrr_movements(tables.changes, grid),
        "orders": order_metrics(with_order_history(tables.orders), grid),
        "returns": returns_per_period(tables.returns, grid),
        "revenue_retention": revenue_retention(tables.orders, grid),
        "lifetime": running_totals(
            lifetime_steps(tables.orders, tables.returns, grid),
            grid,
            running=["d_net_revenue", "d_buyers"],
            points=[],
        ),
        "surveys": survey_counts(tables.surveys, grid),
    }


def _measure(
    tables: PreparedTables, grid: PeriodGrid, query: MetricsQuery
) -> dict[str, pd.DataFrame]:
    expressions = metric_expressions(tables=tables, grid=grid, query=query)
    return {name: expression.to_pandas() for name, expression in expressions.items()}


def _lookup(frame: pd.DataFrame, index: str) -> Lookup:
    """Rows of a small result frame by (dimension, index)."""
    records = cast(list[Row], frame.to_dict("records"))
    return {(str(row["dimension"]), int(row[index])): row for row in records}


def _has_data(frames: dict[str, pd.DataFrame]) -> bool:
    counts = frames["counts"]
    return bool(len(counts)) and bool((counts["active"] > 0).any() or len(frames["orders"]))


def _assemble(
    frames: dict[str, pd.DataFrame], grid: PeriodGrid, query: MetricsQuery
) -> list[dict[str, Any]]:
    at_boundary = _lookup(frames["counts"], "k")
    lifetime = _lookup(frames["lifetime"], "k")
    periodic = ("movements", "orders", "returns", "revenue_retention", "surveys")
    per_period = {name: _lookup(frames[name], "p") for name in periodic}
    has_subscriptions = bool(len(frames["movements"])) or bool(frames["counts"]["mrr"].abs().sum())
    has_orders = bool(len(frames["orders"]))
    return [
        _period_row(
            dimension,
            p,
            grid,
            query,
            at_boundary,
            lifetime,
            per_period,
            has_subscriptions=has_subscriptions,
            has_orders=has_orders,
        )
        for dimension in sorted({dimension for dimension, _ in at_boundary})
        for p in range(grid.count)
    ]


def _period_row(
    dimension: str,
    p: int,
    grid: PeriodGrid,
    query: MetricsQuery,
    at_boundary: Lookup,
    lifetime: Lookup,
    per_period: dict[str, Lookup],
    *,
    has_subscriptions: bool,
    has_orders: bool,
) -> dict[str, Any]:
    start, end = at_boundary[(dimension, p)], at_boundary[(dimension, p + 1)]

    def period(name: str, column: str) -> float:
        found = per_period[name].get((dimension, p))
        return float(found[column]) if found is not None else 0.0

    row: dict[str, Any] = {"period_start": grid.boundary(p), "period_end": grid.boundary(p + 1)}
    if query.by is not None:
        row[query.by] = dimension
    row.update(_customer_metrics(start, end, query.crr_target))
    if has_subscriptions:
        row.update(_subscription_metrics(start, end, period, row["churn_rate"], grid))
    if has_orders:
        row.update(_order_metrics(period, lifetime[(dimension, p + 1)]))
    row.update(_survey_metrics(period))
    return row


def _customer_metrics(start: Row, end: Row, target: float) -> dict[str, Any]:
    customers_start, customers_end = int(start["active"]), int(end["active"])
    new, retained = int(end["new"]), int(start["retained"])
    crr = _ratio(customers_end - new, customers_start)
    return {
        "customers_start": customers_start,
        "customers_end": customers_end,
        "new_customers": new,
        "retained_customers": retained,
        "lost_customers": customers_start - retained,
        "reactivated_customers": customers_end - new - retained,
        "crr": crr,
        "churn_rate": _ratio(customers_start - retained, customers_start),
        "crr_target": target,
        "meets_target": None if crr is None else crr >= target,
    }


def _subscription_metrics(
    start: Row, end: Row, period: Any, churn: float | None, grid: PeriodGrid
) -> dict[str, Any]:
    mrr_start, mrr_end = round(float(start["mrr"]), 2), round(float(end["mrr"]), 2)
    expansion, contraction = (
        period("movements", "expansion_mrr"),
        period("movements", "contraction_mrr"),
    )
    churned = period("movements", "churned_mrr")
    arpa = _ratio(mrr_end, int(end["paying"]))
    monthly_churn = _monthly(churn, grid)
    return {
        "mrr_start": mrr_start,
        "mrr_end": mrr_end,
        "new_mrr": period("movements", "new_mrr"),
        "expansion_mrr": expansion,
        "contraction_mrr": contraction,
        "churned_mrr": churned,
        "reactivation_mrr": period("movements", "reactivation_mrr"),
        "grr": _ratio(mrr_start - churned - contraction, mrr_start),
        "ndr": _ratio(mrr_start + expansion - contraction - churned, mrr_start),
        "gross_revenue_churn": _ratio(churned + contraction, mrr_start),
        "net_revenue_churn": _ratio(churned + contraction - expansion, mrr_start),
        "arpa": arpa,
        "clv_subscription": _ratio(arpa, monthly_churn) if arpa is not None else None,
    }


def _order_metrics(period: Any, lifetime: Row) -> dict[str, Any]:
    orders, buyers = period("orders", "orders"), period("orders", "buyers")
    revenue, returned = period("orders", "revenue"), period("returns", "returned")
    return {
        "orders": int(orders),
        "buyers": int(buyers),
        "revenue": round(revenue, 2),
        "returned": round(returned, 2),
        "net_revenue": round(revenue - returned, 2),
        "average_order_value": _ratio(revenue, orders),
        "purchase_frequency": _ratio(orders, buyers),
        "repeat_purchase_rate": _ratio(period("orders", "repeat_buyers"), buyers),
        "average_days_between_orders": _ratio(
            period("orders", "gap_days"), period("orders", "gaps")
        ),
        "revenue_retention": _ratio(
            period("revenue_retention", "retained_revenue"),
            period("revenue_retention", "previous_revenue"),
        ),
        "clv_historical": _ratio(float(lifetime["net_revenue"]), float(lifetime["buyers"])),
    }


def _survey_metrics(period: Any) -> dict[str, Any]:
    answers = period("surveys", "nps_responses")
    promoters, detractors = period("surveys", "promoters"), period("surveys", "detractors")
    csat_answers = period("surveys", "csat_responses")
    return {
        "nps": None if not answers else round(100 * (promoters - detractors) / answers, 1),
        "nps_responses": int(answers),
        "csat": _ratio(period("surveys", "csat_satisfied"), csat_answers),
        "csat_responses": int(csat_answers),
    }


def _monthly(churn: float | None, grid: PeriodGrid) -> float | None:
    if churn is None or grid.unit == "week":
        return churn
    months = MONTHS_PER_UNIT[grid.unit]
    return 1 - (1 - churn) ** (1 / months)


def _ratio(numerator: float, denominator: float | None) -> float | None:
    if not denominator:
        return None
    return round(numerator / denominator, 6)


@dataclass(frozen=True)
class CohortQuery:
    """How to cut and count the cohort table."""

    start: date | None = None
    end: date | None = None
    period: PeriodUnit = "month"
    value: CohortValue = "customers"
    mode: CohortMode = "classic"
    basis: Basis = "any"


def compute_cohorts(
    *, backend: BaseBackend, query: CohortQuery, money: Money
) -> list[dict[str, Any]]:
    """One row per cohort and period since acquisition, as counts (or revenue) and shares."""
    _check_currencies(backend, money)
    tables = prepare_tables(backend=backend, by=None, money=money)
    end = query.end or _latest_event_day(backend)
    start = query.start or _earliest_event_day(backend)
    try:
        grid = PeriodGrid.covering(start=start, end=end, unit=query.period)
    except ValueError as error:
        raise MetricsInputError(str(error)) from None
    source = ActivitySource(order=tables.orders, subscription_change=tables.changes)
    customers = cohort_customers(source, query.basis, grid).to_pandas()
    if customers.empty:
        raise MetricsInputError(f"no customers were acquired between {start} and {end}")
    revenue = cohort_revenue(source, tables.returns, query.basis, grid).to_pandas()
    return _cohort_rows(customers, revenue, grid, query)


def _cohort_rows(
    customers: pd.DataFrame, revenue: pd.DataFrame, grid: PeriodGrid, query: CohortQuery
) -> list[dict[str, Any]]:
    table = customers.merge(revenue, on=["cohort", "k"], how="left").fillna({"revenue": 0.0})
    table = table.sort_values(["cohort", "k"], ignore_index=True)
    by_cohort = table.groupby("cohort")["revenue"]
    table["revenue_unbounded"] = by_cohort.transform(lambda column: column[::-1].cumsum()[::-1])
    column = {
        ("customers", "classic"): "customers",
        ("customers", "unbounded"): "customers_unbounded",
        ("revenue", "classic"): "revenue",
        ("revenue", "unbounded"): "revenue_unbounded",
    }[(query.value, query.mode)]
    base = (
        table["cohort_size"]
        if query.value == "customers"
        else (table.groupby("cohort")[column].transform("first"))
    )
    return [
        {
            "cohort": grid.boundary(int(record["cohort"])),
            "period": int(record["k"]),
            "cohort_size": int(record["cohort_size"]),
            query.value: (
                int(record[column])
                if query.value == "customers"
                else round(float(record[column]), 2)
            ),
            "share": _ratio(float(record[column]), float(denominator)),
        }
        for record, denominator in zip(cast(list[Row], table.to_dict("records")), base, strict=True)
    ]


def _earliest_event_day(backend: BaseBackend) -> date:
    return min(_event_days(backend, lambda instants: instants.min()))
