"""Customers at the start and end of each period, new, retained, lost and reactivated.

For period p, (boundary p, boundary p + 1]: S = active at its start, E = active at its end,
N = active at its end and first active inside it, retained = active at both ends,
lost = S - retained, reactivated = E - N - retained, CRR = (E - N) / S, churn = lost / S.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from retain.metrics.periods import PeriodGrid


def boundary_counts(ranges: ir.Table, grid: PeriodGrid) -> ir.Table:
    """Per dimension and boundary k: active customers, customers active at k and k + 1, new
    customers (first active in the period ending at k), MRR and paying customers (MRR > 0).

    ``ranges`` are active_ranges() with a ``dimension`` column.
    """
    zero, one, none = ibis.literal(0, "int64"), ibis.literal(1, "int64"), ibis.literal(0.0)
    paying = ibis.ifelse(ranges.mrr > 0.005, one, zero)
    spans = ranges.filter(ranges.hi > ranges.lo)
    adjacent = ranges.filter(ranges.adjacent_next)
    first = ranges.filter(ranges.lo == ranges.first_k)
    steps = [
        ranges.select(
            "dimension",
            k=ranges.lo,
            active=one,
            retained=zero,
            new=zero,
            mrr=ranges.mrr,
            paying=paying,
        ),
        ranges.select(
            "dimension",
            k=ranges.hi + 1,
            active=-one,
            retained=zero,
            new=zero,
            mrr=-ranges.mrr,
            paying=-paying,
        ),
        spans.select(
            "dimension", k=spans.lo, active=zero, retained=one, new=zero, mrr=none, paying=zero
        ),
        spans.select(
            "dimension", k=spans.hi, active=zero, retained=-one, new=zero, mrr=none, paying=zero
        ),
        adjacent.select(
            "dimension", k=adjacent.hi, active=zero, retained=one, new=zero, mrr=none, paying=zero
        ),
        adjacent.select(
            "dimension",
            k=adjacent.hi + 1,
            active=zero,
            retained=-one,
            new=zero,
            mrr=none,
            paying=zero,
        ),
        first.select(
            "dimension", k=first.lo, active=zero, retained=zero, new=one, mrr=none, paying=zero
        ),
    ]
    summed = (
        ibis.union(*steps, distinct=False)
        .group_by(["dimension", "k"])
        .aggregate(
            d_active=lambda t: t.active.sum(),
            d_retained=lambda t: t.retained.sum(),
            new=lambda t: t.new.sum(),
            d_mrr=lambda t: t.mrr.sum(),
            d_paying=lambda t: t.paying.sum(),
        )
    )
    return running_totals(
        summed, grid, running=["d_active", "d_retained", "d_mrr", "d_paying"], points=["new"]
    )


def running_totals(
    steps: ir.Table, grid: PeriodGrid, *, running: list[str], points: list[str]
) -> ir.Table:
    """Every (dimension, boundary) with running sums of the ``running`` step columns.

    Step columns named ``d_x`` become ``x``; ``points`` are copied (0 where absent).
    """
    dimensions = steps.select("dimension").distinct()
    everywhere = dimensions.cross_join(grid.boundary_table().select("k"))
    joined = everywhere.left_join(steps, ["dimension", "k"]).select(
        "dimension", "k", *[steps[name].fill_null(0).name(name) for name in running + points]
    )
    so_far = ibis.window(group_by="dimension", order_by="k", preceding=None, following=0)
    return joined.select(
        "dimension",
        "k",
        *[joined[name].sum().over(so_far).name(name.removeprefix("d_")) for name in running],
        *points,
    )
