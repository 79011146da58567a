"""Return insight as Ibis expressions over the warehouse: rates, serial returners, retention.

Retention after a return compares customers whose order came back with customers who never
returned anything, matched on where they stood when they bought: how many orders they had
placed (1, 2, 3-5, 6+), what they had spent so far and how long they had been customers. Both
groups are measured from the order date (the returned order, or each order of a customer who
never returned), so the windows are alike. Within each stratum the comparison rate is the
share of non-returners' orders followed by another order within the horizon (repurchase), or
by any order after it (retained); the returners' strata weights give the expected rate, and the
difference comes with Newcombe's interval (``retain.stats``), treating the comparison
orders of the strata used as one sample. Anchors closer than the horizon to the last order in
the warehouse are left out (censored), not counted as lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from retain.stats import difference_interval

HORIZONS = (30, 90, 180)
ORDER_BUCKETS = ((1, "1"), (2, "2"), (5, "3-5"))
SPEND_BUCKETS = ((50, "<50"), (200, "50-200"), (1000, "200-1000"))
TENURE_BUCKETS = ((30, "0-30d"), (180, "31-180d"), (365, "181-365d"))
PROCESSING_BUCKETS = ((3, "0-3d"), (7, "4-7d"))
STRATUM = ("orders_bucket", "spend_bucket", "tenure_bucket")


@dataclass(frozen=True)
class SerialRule:
    """A serial returner: at least ``min_returns`` returns and that share of orders returned."""

    min_returns: int = 3
    min_rate: float = 0.3


def _orders(backend: BaseBackend) -> ir.Table:
    order = backend.table("order")
    return order.filter(order.status.isnull() | (order.status != "cancelled"))


def rate_by_line_field(backend: BaseBackend, field: str) -> ir.Table:
    """Per product or category: orders containing it, those returned, the share returned."""
    lines = backend.table("order_line")
    returned = backend.table("return_event").select("order_id").distinct()
    marked = (
        lines.select(lines.order_id, key=lines[field])
        .distinct()
        .left_join(returned.mutate(returned_flag=ibis.literal(1)), "order_id")
    )
    grouped = marked.group_by("key").aggregate(
        orders=marked.order_id.nunique(),
        returned_orders=marked.returned_flag.sum().fill_null(0),
    )
    return (
        grouped.mutate(return_rate=grouped.returned_orders / grouped.orders)
        .rename(**{field: "key"})
        .order_by(ibis.desc("return_rate"), field)
    )


def rate_by_reason(backend: BaseBackend) -> ir.Table:
    """Per reason: returns, amount given back, share of all returns."""
    returns = backend.table("return_event")
    grouped = returns.group_by(reason=returns.reason.fill_null("unknown")).aggregate(
        returns=returns.return_id.nunique(), amount=returns.amount.sum()
    )
    total = grouped.returns.sum().over()
    return grouped.mutate(share=grouped.returns / total).order_by(ibis.desc("returns"))


def rate_by_customer(backend: BaseBackend, rule: SerialRule | None = None) -> ir.Table:
    """Per customer with a return: orders, returns, amount, the share returned, serial or not."""
    rule = rule or SerialRule()
    orders = _orders(backend)
    placed = orders.group_by("customer_id").aggregate(orders=orders.order_id.nunique())
    returns = backend.table("return_event")
    came_back = returns.group_by("customer_id").aggregate(
        returns=returns.return_id.nunique(),
        returned_orders=returns.order_id.nunique(),
        amount=returns.amount.sum(),
    )
    joined = came_back.left_join(placed, "customer_id").select(
        came_back, orders=placed.orders.fill_null(0)
    )
    rate = ibis.ifelse(joined.orders > 0, joined.returned_orders / joined.orders, 1.0)
    with_rate = joined.mutate(return_rate=rate)
    return with_rate.mutate(
        serial=(with_rate.returns >= rule.min_returns) & (with_rate.return_rate >= rule.min_rate)
    ).order_by(ibis.desc("returns"), "customer_id")


def _bucket(value: ir.NumericValue, edges: Iterable[tuple[float, str]], last: str) -> ir.Value:
    cases = [(value <= edge, label) for edge, label in edges]
    return ibis.cases(*cases, else_=last)


def _anchored(backend: BaseBackend) -> ir.Table:
    """Every order with where its customer stood then, and what they bought afterwards."""
    orders = _orders(backend).select("customer_id", "order_id", "ordered_at", "amount")
    by_customer = ibis.window(
        group_by=orders.customer_id, order_by=[orders.ordered_at, orders.order_id]
    )
    so_far = ibis.window(
        group_by=orders.customer_id, order_by=[orders.ordered_at, orders.order_id], rows=(None, 0)
    )
    everything = ibis.window(group_by=orders.customer_id)
    placed = orders.mutate(
        rank=ibis.row_number().over(by_customer) + 1,
        spend=orders.amount.fill_null(0).cast("float64").sum().over(so_far),
        first_at=orders.ordered_at.min().over(everything),
        last_at=orders.ordered_at.max().over(everything),
        next_at=orders.ordered_at.lead().over(by_customer),
    )
    tenure = placed.ordered_at.delta(placed.first_at, unit="day")
    return placed.mutate(
        orders_bucket=_bucket(placed.rank, ORDER_BUCKETS, "6+"),
        spend_bucket=_bucket(placed.spend, SPEND_BUCKETS, "1000+"),
        tenure_bucket=_bucket(tenure, TENURE_BUCKETS, ">365d"),
    )


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    """1 or 0: PostgreSQL will not cast a boolean to a bigint."""
    return ibis.ifelse(condition, 1, 0)  # type: ignore[return-value]


def _outcomes(table: ir.Table, end: datetime, horizons: tuple[int, ...]) -> dict[str, ir.Value]:
    columns: dict[str, ir.Value] = {}
    for days in horizons:
        span = ibis.interval(days=days)
        eligible = table.ordered_at + span <= ibis.literal(end)
        again = table.next_at.notnull() & (table.next_at <= table.ordered_at + span)
        columns[f"eligible_{days}"] = _flag(eligible)
        columns[f"repurchased_{days}"] = _flag(eligible & again)
        columns[f"retained_{days}"] = _flag(eligible & (table.last_at > table.ordered_at + span))
    return columns


def retention_expressions(
    backend: BaseBackend,
    *,
    end: datetime,
    details: ir.Table | None = None,
    horizons: tuple[int, ...] = HORIZONS,
) -> tuple[ir.Table, ir.Table]:
    """Returners one row each (first return) and the comparison strata, as expressions.

    ``details`` (return_id, processing_days, auto_approved) comes from the store when Retain ran
    the returns; without it those cuts read "unknown".
    """
    anchored = _anchored(backend)
    returns = backend.table("return_event")
    first = returns.group_by("customer_id").aggregate(
        return_id=returns.return_id.argmin(returns.returned_at),
        order_id=returns.order_id.argmin(returns.returned_at),
        resolution=returns.status.argmin(returns.returned_at),
    )
    returners = anchored.join(first, ["customer_id", "order_id"])
    returners = returners.mutate(**_outcomes(returners, end, horizons))
    if details is not None:
        returners = returners.left_join(details, "return_id").select(
            returners,
            processing=_bucket(details.processing_days, PROCESSING_BUCKETS, ">7d").cast("string"),
            auto_approved=ibis.ifelse(details.auto_approved, "auto", "manual"),
        )
    else:
        returners = returners.mutate(
            processing=ibis.literal("unknown"), auto_approved=ibis.literal("unknown")
        )
    returners = returners.mutate(
        resolution=returners.resolution.fill_null("unknown"),
        processing=returners.processing.fill_null("unknown"),
        auto_approved=returners.auto_approved.fill_null("unknown"),
    )
    keep = [*STRATUM, "resolution", "processing", "auto_approved"]
    measured = [
        f"{kind}_{days}" for days in horizons for kind in ("eligible", "repurchased", "retained")
    ]
    never = anchored.anti_join(returns.select("customer_id").distinct(), "customer_id")
    never = never.mutate(**_outcomes(never, end, horizons))
    comparison = never.group_by(list(STRATUM)).aggregate(
        **{name: never[name].sum() for name in measured}
    )
    return returners.select(*keep, *measured), comparison


def retention_after_return(
    backend: BaseBackend,
    *,
    end: datetime | None = None,
    details: pd.DataFrame | None = None,
    horizons: tuple[int, ...] = HORIZONS,
    confidence: float = 0.95,
) -> list[dict[str, Any]]:
    """Rows per cut (all, resolution, processing, auto-approved), horizon and outcome."""
    if end is None:
        latest = _orders(backend).ordered_at.max().to_pandas()  # type: ignore[attr-defined]
        if latest is None or pd.isna(latest):
            return []
        end = pd.Timestamp(latest).to_pydatetime()
    table = (
        ibis.memtable(details.astype({"processing_days": "float64", "auto_approved": "bool"}))
        if details is not None and not details.empty
        else None
    )
    returners_expr, comparison_expr = retention_expressions(
        backend, end=end, details=table, horizons=horizons
    )
    returners, comparison = returners_expr.to_pandas(), comparison_expr.to_pandas()
    rows: list[dict[str, Any]] = []
    cuts = [("all", None), ("resolution", "resolution"), ("processing", "processing")]
    cuts.append(("auto_approved", "auto_approved"))
    for cut, column in cuts:
        groups = [("all", returners)] if column is None else list(returners.groupby(column))
        for value, group in groups:
            for days in horizons:
                for outcome in ("repurchased", "retained"):
                    rows.append(
                        _compare(group, comparison, days, outcome, confidence)
                        | {"cut": cut, "group": str(value), "days": days, "outcome": outcome}
                    )
    return rows


def _compare(
    group: pd.DataFrame, comparison: pd.DataFrame, days: int, outcome: str, confidence: float
) -> dict[str, Any]:
    eligible, hits = f"eligible_{days}", f"{outcome}_{days}"
    strata = group.groupby(list(STRATUM))[[eligible, hits]].sum().reset_index()
    merged = strata.merge(comparison, on=list(STRATUM), how="inner", suffixes=("", "_c"))
    merged = merged[(merged[eligible] > 0) & (merged[f"{eligible}_c"] > 0)]
    returners_n, returners_k = int(merged[eligible].sum()), int(merged[hits].sum())
    compared_n = int(merged[f"{eligible}_c"].sum())
    if returners_n == 0 or compared_n == 0:
        return {
            "returners": returners_n,
            "rate": None,
            "compared": compared_n,
            "expected": None,
            "difference": None,
            "low": None,
            "high": None,
        }
    weights = merged[eligible] / returners_n
    expected = float((weights * merged[f"{hits}_c"] / merged[f"{eligible}_c"]).sum())
    interval = difference_interval(
        returners_k, returners_n, round(expected * compared_n), compared_n, confidence
    )
    return {
        "returners": returners_n,
        "rate": returners_k / returners_n,
        "compared": compared_n,
        "expected": expected,
        "difference": interval.estimate if interval else None,
        "low": interval.low if interval else None,
        "high": interval.high if interval else None,
    }


def processing_details(rows: Iterable[tuple[str, datetime, datetime | None, bool]]) -> pd.DataFrame:
    """(return_id, requested_at, resolved_at, auto_approved) rows as the ``details`` frame."""
    frame = pd.DataFrame(
        rows, columns=["return_id", "requested_at", "resolved_at", "auto_approved"]
    )
    resolved = pd.to_datetime(frame["resolved_at"])
    spent = (resolved - pd.to_datetime(frame["requested_at"])).dt.total_seconds() / 86400
    return pd.DataFrame(
        {
            "return_id": frame["return_id"].astype(str),
            "processing_days": spent.astype("float64"),
            "auto_approved": frame["auto_approved"].astype(bool),
        }
    )
