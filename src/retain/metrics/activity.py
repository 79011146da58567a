"""When each customer is active, as ranges of period boundaries: the core of every count.

A customer is active at instant t when their MRR at t is above zero (subscriptions) or when they
ordered in (t - W, t] (orders). Reading all of a customer's orders and subscription changes in
time order, each event "owns" the boundaries from the first one at or after it up to the one
before the next event's; within its own boundaries the customer is active wherever the MRR
after the event is positive or the latest order is younger than W. The ranges are disjoint, so
counts per boundary are running sums of +1/-1 steps: no customer-by-boundary expansion, and
only window functions and aggregates that every Ibis backend has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from retain.metrics.periods import PeriodGrid

Basis = Literal["orders", "subscriptions", "any"]
COUNTED_ORDER = ("cancelled",)  # statuses that are not a purchase


@dataclass(frozen=True)
class ActivitySource:
    """The canonical tables activity is read from."""

    order: ir.Table
    subscription_change: ir.Table


def events(source: ActivitySource, basis: Basis) -> ir.Table:
    """Orders and MRR changes as one stream: customer_id, at, is_order, mrr_delta."""
    orders = source.order.filter(~source.order.status.isin(COUNTED_ORDER)).select(
        customer_id=source.order.customer_id,
        at=source.order.ordered_at,
        is_order=ibis.literal(1),
        mrr_delta=ibis.literal(0.0),
    )
    changes = source.subscription_change.select(
        customer_id=source.subscription_change.customer_id,
        at=source.subscription_change.changed_at,
        is_order=ibis.literal(0),
        mrr_delta=(
            source.subscription_change.mrr_after - source.subscription_change.mrr_before
        ).cast("float64"),
    )
    if basis == "orders":
        return orders
    if basis == "subscriptions":
        return changes
    return orders.union(changes, distinct=False)


def active_ranges(stream: ir.Table, grid: PeriodGrid, *, window_days: int) -> ir.Table:
    """Disjoint ranges [lo, hi] of boundaries at which each customer is active.

    Columns: customer_id, lo, hi, mrr (the MRR over the range), first_k (first boundary at or
    after the customer's first event: the period in which they became a customer, plus one),
    adjacent_next (the customer's next range starts at hi + 1).
    """
    by_customer = ibis.window(group_by="customer_id", order_by=["at", "is_order"])
    running = ibis.window(
        group_by="customer_id", order_by=["at", "is_order"], preceding=None, following=0
    )
    ordered = stream.mutate(
        next_at=stream.at.lead().over(by_customer),
        last_order_at=ibis.ifelse(stream.is_order == 1, stream.at, None).max().over(running),
        mrr=stream.mrr_delta.sum().over(running),
        first_at=stream.at.min().over(ibis.window(group_by="customer_id")),
    )
    last = ibis.literal(grid.count)
    owned_hi = ibis.ifelse(
        ordered.next_at.isnull(), last, grid.first_boundary_at_or_after(ordered.next_at) - 1
    )
    order_hi = ibis.ifelse(
        ordered.last_order_at.isnull(),
        ibis.literal(-1),
        grid.first_boundary_at_or_after(ordered.last_order_at + ibis.interval(days=window_days))
        - 1,
    )
    ranges = ordered.select(
        "customer_id",
        lo=ibis.greatest(grid.first_boundary_at_or_after(ordered.at), 0),
        hi=ibis.least(
            ibis.ifelse(ordered.mrr > 0.005, owned_hi, ibis.least(owned_hi, order_hi)), last
        ),
        first_k=grid.first_boundary_at_or_after(ordered.first_at),
        mrr=ordered.mrr,
    )
    ranges = ranges.filter(ranges.lo <= ranges.hi)
    next_lo = ranges.lo.lead().over(ibis.window(group_by="customer_id", order_by="lo"))
    return ranges.mutate(adjacent_next=(next_lo == ranges.hi + 1).fill_null(False))
