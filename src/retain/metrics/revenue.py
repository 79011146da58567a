"""Money per period: MRR movements, order revenue, returns, revenue retention, lifetime revenue.

Every input table carries ``dimension`` and ``amount`` already in the reporting currency.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from retain.metrics.periods import PeriodGrid

MOVEMENT_KINDS = ("new", "expansion", "contraction", "churn", "reactivation")


def in_grid(table: ir.Table, grid: PeriodGrid, at: str, *, first: int = 0) -> ir.Table:
    """Rows of ``table`` with their period ``p`` (from ``first``) where ``at`` falls in the grid."""
    with_period = table.mutate(p=grid.period_of(table[at]))
    return with_period.filter((with_period.p >= first) & (with_period.p < grid.count))


def mrr_movements(changes: ir.Table, grid: PeriodGrid) -> ir.Table:
    """Per dimension and period: new, expansion, contraction, churned and reactivation MRR.

    ``changes`` has kind, mrr_before and mrr_after in the reporting currency.
    """
    rows = in_grid(changes, grid, "changed_at")
    moved = (rows.mrr_after - rows.mrr_before).abs()
    return rows.group_by(["dimension", "p"]).aggregate(
        new_mrr=ibis.ifelse(rows.kind == "new", rows.mrr_after, 0.0).sum(),
        expansion_mrr=ibis.ifelse(rows.kind == "expansion", moved, 0.0).sum(),
        contraction_mrr=ibis.ifelse(rows.kind == "contraction", moved, 0.0).sum(),
        churned_mrr=ibis.ifelse(rows.kind == "churn", rows.mrr_before, 0.0).sum(),
        reactivation_mrr=ibis.ifelse(rows.kind == "reactivation", rows.mrr_after, 0.0).sum(),
    )


def with_order_history(orders: ir.Table) -> ir.Table:
    """Orders with ``order_number`` (1 for a first order) and ``previous_at``."""
    by_customer = ibis.window(group_by="customer_id", order_by=["ordered_at", "order_id"])
    return orders.mutate(
        order_number=ibis.row_number().over(by_customer) + 1,
        previous_at=orders.ordered_at.lag().over(by_customer),
    )


def order_metrics(history: ir.Table, grid: PeriodGrid) -> ir.Table:
    """Per dimension and period: orders, buyers, revenue, repeat buyers and gaps between orders."""
    rows = in_grid(history, grid, "ordered_at")
    gap_days = (rows.ordered_at.epoch_seconds() - rows.previous_at.epoch_seconds()) / 86400
    per_buyer = rows.group_by(["dimension", "p", "customer_id"]).aggregate(
        orders=rows.count(),
        revenue=rows.amount.sum(),
        most_orders=rows.order_number.max(),
        gap_days=gap_days.sum(),
        gaps=rows.previous_at.count(),
    )
    return per_buyer.group_by(["dimension", "p"]).aggregate(
        orders=per_buyer.orders.sum(),
        buyers=per_buyer.count(),
        revenue=per_buyer.revenue.sum(),
        repeat_buyers=(per_buyer.most_orders >= 2).sum(),
        gap_days=per_buyer.gap_days.sum(),
        gaps=per_buyer.gaps.sum(),
    )


def returns_per_period(returns: ir.Table, grid: PeriodGrid) -> ir.Table:
    """Per dimension and period: the amount refunded for returns."""
    rows = in_grid(returns, grid, "returned_at")
    return rows.group_by(["dimension", "p"]).aggregate(returned=rows.amount.sum())


def revenue_retention(orders: ir.Table, grid: PeriodGrid) -> ir.Table:
    """Per dimension and period: revenue from the previous period's buyers, and theirs then.

    revenue retention = retained_revenue / previous_revenue.
    """
    rows = in_grid(orders, grid, "ordered_at", first=-1)
    per_buyer = rows.group_by(["dimension", "customer_id", "p"]).aggregate(
        revenue=rows.amount.sum()
    )
    previous = per_buyer.select(
        "dimension", "customer_id", p=per_buyer.p + 1, previous_revenue=per_buyer.revenue
    )
    joined = previous.left_join(per_buyer, ["dimension", "customer_id", "p"])
    both = joined.select(
        "dimension", "p", "previous_revenue", retained_revenue=joined.revenue.fill_null(0.0)
    )
    both = both.filter(both.p < grid.count)
    return both.group_by(["dimension", "p"]).aggregate(
        previous_revenue=both.previous_revenue.sum(),
        retained_revenue=both.retained_revenue.sum(),
    )


def lifetime_steps(orders: ir.Table, returns: ir.Table, grid: PeriodGrid) -> ir.Table:
    """Steps (dimension, k, d_net_revenue, d_buyers) whose running sums give, at boundary k,
    the net revenue and the number of buyers so far. Everything before the grid lands on k = 0.
    """
    first_orders = orders.group_by(["dimension", "customer_id"]).aggregate(
        first_at=orders.ordered_at.min()
    )
    zero = ibis.literal(0.0)
    parts = [
        orders.select(
            "dimension",
            k=grid.first_boundary_at_or_after(orders.ordered_at),
            d_net_revenue=orders.amount,
            d_buyers=zero,
        ),
        returns.select(
            "dimension",
            k=grid.first_boundary_at_or_after(returns.returned_at),
            d_net_revenue=-returns.amount,
            d_buyers=zero,
        ),
        first_orders.select(
            "dimension",
            k=grid.first_boundary_at_or_after(first_orders.first_at),
            d_net_revenue=zero,
            d_buyers=ibis.literal(1.0),
        ),
    ]
    steps = ibis.union(*parts, distinct=False)
    steps = steps.filter(steps.k <= grid.count)
    steps = steps.mutate(k=ibis.greatest(steps.k, 0))
    return steps.group_by(["dimension", "k"]).aggregate(
        d_net_revenue=steps.d_net_revenue.sum(), d_buyers=steps.d_buyers.sum()
    )
