"""Acquisition cohorts: how many customers of each cohort are active, and what they spend, later.

A customer's cohort is the period of their first order or subscription. In period k after it,
the customer counts in *classic* mode when active in exactly that period (ordered in it, or had
MRR above zero at some time in it) and in *unbounded* mode when active in it or any later one.
Revenue is order revenue net of returns in the period plus MRR at the period's end.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from retain.metrics.activity import ActivitySource, Basis, events
from retain.metrics.periods import PeriodGrid

CohortMode = Literal["classic", "unbounded"]
CohortValue = Literal["customers", "revenue"]


def cohort_of(stream: ir.Table, grid: PeriodGrid) -> ir.Table:
    """Each customer's cohort: the period index of their first event."""
    firsts = stream.group_by("customer_id").aggregate(first_at=stream.at.min())
    return firsts.select("customer_id", cohort=grid.period_of(firsts.first_at))


def active_periods(source: ActivitySource, basis: Basis, grid: PeriodGrid) -> ir.Table:
    """Distinct (customer_id, q): the customer was active at some time in period q."""
    parts = []
    if basis in ("orders", "any"):
        orders = source.order.filter(source.order.status != "cancelled")
        parts.append(orders.select("customer_id", q=grid.period_of(orders.ordered_at)))
    if basis in ("subscriptions", "any"):
        parts.append(_subscribed_periods(source.subscription_change, grid))
    pairs = ibis.union(*[_nullable_ids(part) for part in parts], distinct=False)
    return pairs.filter((pairs.q >= 0) & (pairs.q < grid.count)).distinct()


def _subscribed_periods(changes: ir.Table, grid: PeriodGrid) -> ir.Table:
    running = ibis.window(
        group_by="customer_id", order_by="changed_at", preceding=None, following=0
    )
    spans = changes.mutate(
        mrr=(changes.mrr_after - changes.mrr_before).sum().over(running),
        until=changes.changed_at.lead().over(
            ibis.window(group_by="customer_id", order_by="changed_at")
        ),
    )
    spans = spans.filter(spans.mrr > 0.005).select(
        "customer_id",
        first_q=grid.period_of(spans.changed_at),
        last_q=ibis.ifelse(spans.until.isnull(), grid.count - 1, grid.period_of(spans.until)),
    )
    periods = grid.period_table()
    return spans.join(periods, (periods.q >= spans.first_q) & (periods.q <= spans.last_q)).select(
        "customer_id", "q"
    )


def cohort_customers(source: ActivitySource, basis: Basis, grid: PeriodGrid) -> ir.Table:
    """Per cohort and k (periods since acquisition): customers active (classic, unbounded)."""
    cohorts = cohort_of(events(source, basis), grid)
    cohorts = cohorts.filter((cohorts.cohort >= 0) & (cohorts.cohort < grid.count))
    active = active_periods(source, basis, grid).join(cohorts, "customer_id")
    active = active.mutate(k=active.q - active.cohort).filter(lambda t: t.k >= 0)
    classic = active.group_by(["cohort", "k"]).aggregate(customers=active.count())
    last = active.group_by(["cohort", "customer_id"]).aggregate(last_k=active.k.max())
    steps = ibis.union(
        last.select("cohort", k=ibis.literal(0, "int64"), step=ibis.literal(1, "int64")),
        last.select("cohort", k=last.last_k + 1, step=ibis.literal(-1, "int64")),
        distinct=False,
    )
    summed = steps.group_by(["cohort", "k"]).aggregate(step=steps.step.sum())
    sizes = cohorts.group_by("cohort").aggregate(cohort_size=cohorts.count())
    periods = grid.period_table()
    cells = sizes.cross_join(periods.select(k=periods.q))
    cells = cells.filter(cells.cohort + cells.k < grid.count)
    filled = (
        cells.left_join(summed, ["cohort", "k"])
        .left_join(classic, ["cohort", "k"])
        .select(
            cells.cohort,
            cells.k,
            cells.cohort_size,
            step=summed.step.fill_null(0),
            customers=classic.customers.fill_null(0),
        )
    )
    so_far = ibis.window(group_by="cohort", order_by="k", preceding=None, following=0)
    return filled.select(
        "cohort",
        "k",
        "cohort_size",
        "customers",
        customers_unbounded=filled.step.sum().over(so_far),
    )


def cohort_revenue(
    source: ActivitySource, returns: ir.Table, basis: Basis, grid: PeriodGrid
) -> ir.Table:
    """Per cohort and k: order revenue net of returns in the period plus MRR at its end."""
    cohorts = cohort_of(events(source, basis), grid)
    orders = source.order.filter(source.order.status != "cancelled")
    parts = [
        orders.select("customer_id", q=grid.period_of(orders.ordered_at), revenue=orders.amount),
        returns.select(
            "customer_id", q=grid.period_of(returns.returned_at), revenue=-returns.amount
        ),
        _mrr_at_period_ends(source.subscription_change, grid),
    ]
    money = ibis.union(*[_nullable_ids(part) for part in parts], distinct=False)
    money = money.join(cohorts, "customer_id")
    money = money.mutate(k=money.q - money.cohort)
    money = money.filter((money.k >= 0) & (money.q < grid.count) & (money.cohort >= 0))
    return money.group_by(["cohort", "k"]).aggregate(revenue=money.revenue.sum())


def _mrr_at_period_ends(changes: ir.Table, grid: PeriodGrid) -> ir.Table:
    """(customer_id, q, revenue): each customer's MRR at the end of every period q."""
    by_customer = ibis.window(group_by="customer_id", order_by="changed_at")
    running = ibis.window(
        group_by="customer_id", order_by="changed_at", preceding=None, following=0
    )
    spans = changes.mutate(
        mrr=(changes.mrr_after - changes.mrr_before).sum().over(running),
        until=changes.changed_at.lead().over(by_customer),
    )
    # The MRR at the end of period q (boundary q + 1) is that of the last change at or before it.
    spans = spans.filter(spans.mrr > 0.005).select(
        "customer_id",
        "mrr",
        first_q=grid.first_boundary_at_or_after(spans.changed_at) - 1,
        last_q=ibis.ifelse(
            spans.until.isnull(), grid.count - 1, grid.first_boundary_at_or_after(spans.until) - 2
        ),
    )
    periods = grid.period_table()
    joined = spans.join(periods, (periods.q >= spans.first_q) & (periods.q <= spans.last_q))
    return joined.select("customer_id", "q", revenue=joined.mrr)


def _nullable_ids(table: ir.Table) -> ir.Table:
    """Joins loosen a column's NOT NULL; set operations need the same type on every side."""
    return table.mutate(customer_id=table.customer_id.cast("string"))
