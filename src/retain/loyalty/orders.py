"""Orders from the warehouse: earned through the rules, reversed when returned, simulated."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select

from retain.clock import utcnow
from retain.loyalty import referrals
from retain.loyalty.models import LoyaltyMember
from retain.loyalty.rules import Rules
from retain.loyalty.service import Order, earn_order, load_rules, order_points, reverse_order
from retain.store import session_scope

# Orders in these states earn nothing, and lose what they earned.
UNDONE = frozenset({"refunded", "cancelled"})
BATCH = 500  # orders per store transaction: short transactions keep member locks brief


@dataclass(frozen=True)
class WarehouseOrder:
    """An order row with what decides its fate: status, a return, whether it was the first."""

    order: Order
    undone: bool
    first: bool


@dataclass
class EarnSummary:
    """What a run of ``earn_from_orders`` did."""

    orders: int = 0
    entries: int = 0
    points: int = 0
    reversed_orders: int = 0
    referrals_qualified: int = 0


def read_orders(
    backend: BaseBackend, *, since: datetime | None = None, with_categories: bool = False
) -> Iterator[WarehouseOrder]:
    """Orders from the warehouse in time order, each with its fate (status or a return)."""
    frame = _order_frame(backend, since)
    returned = _returned_orders(backend)
    categories = _categories(backend) if with_categories else {}
    for row in frame.itertuples(index=False):
        order = Order(
            order_id=str(row.order_id),
            customer_id=str(row.customer_id),
            ordered_at=_naive(row.ordered_at),
            amount=Decimal(str(row.amount)) if row.amount is not None else Decimal(0),
            currency=str(row.currency) if isinstance(row.currency, str) else "",
            categories=categories.get(str(row.order_id), {}),
        )
        undone = row.status in UNDONE or order.order_id in returned
        yield WarehouseOrder(order=order, undone=undone, first=bool(row.rank == 0))


def _naive(value: object) -> datetime:
    """A warehouse timestamp as the naive UTC datetime the store keeps."""
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def _order_frame(backend: BaseBackend, since: datetime | None) -> pd.DataFrame:
    order = backend.table("order")
    ranked = order.mutate(
        rank=order.ordered_at.rank().over(group_by=order.customer_id, order_by=order.ordered_at)
    )
    if since is not None:
        ranked = ranked.filter(ranked.ordered_at >= since)
    columns = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "rank"]
    return ranked.select(*columns).order_by(["ordered_at", "order_id"]).to_pandas()


def _returned_orders(backend: BaseBackend) -> set[str]:
    returns = backend.table("return_event").select("order_id").distinct().to_pandas()
    return {str(value) for value in returns["order_id"]}


def undone_orders(backend: BaseBackend) -> set[str]:
    """Ids of orders refunded, cancelled or returned."""
    order = backend.table("order")
    undone = order.filter(order.status.isin(sorted(UNDONE))).select("order_id").to_pandas()
    return {str(value) for value in undone["order_id"]} | _returned_orders(backend)


def _categories(backend: BaseBackend) -> dict[str, dict[str, Decimal]]:
    lines = backend.table("order_line")
    grouped = (
        lines.filter(lines.category.notnull())
        .group_by(["order_id", "category"])
        .aggregate(amount=lines.amount.sum())
        .to_pandas()
    )
    found: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in grouped.itertuples(index=False):
        found[str(row.order_id)][str(row.category)] = Decimal(str(row.amount or 0))
    return found


def earn_from_orders(*, store_url: str, backend: BaseBackend) -> EarnSummary:
    """Earn (or reverse) every member's orders since enrolment; re-running changes nothing."""
    with session_scope(store_url) as session:
        rules = load_rules(session=session)
        enrolled = dict(
            session.execute(select(LoyaltyMember.customer_id, LoyaltyMember.enrolled_at)).all()
        )
    summary = EarnSummary()
    with_categories = any(campaign.categories for campaign in rules.campaigns)
    batch: list[WarehouseOrder] = []
    for item in read_orders(
        backend, since=min(enrolled.values(), default=None), with_categories=with_categories
    ):
        if (
            item.order.ordered_at >= enrolled.get(item.order.customer_id, datetime.max)
            or item.first
        ):
            batch.append(item)
        if len(batch) >= BATCH:
            _earn_batch(store_url, rules, batch, enrolled, summary)
            batch = []
    _earn_batch(store_url, rules, batch, enrolled, summary)
    return summary


def _earn_batch(
    store_url: str,
    rules: Rules,
    batch: list[WarehouseOrder],
    enrolled: dict[str, datetime],
    summary: EarnSummary,
) -> None:
    with session_scope(store_url) as session:
        for item in batch:
            if item.first and referrals.attribute_order(
                session=session, rules=rules, order=item.order, undone=item.undone
            ):
                summary.referrals_qualified += 1
            if (
                item.order.customer_id not in enrolled
                or item.order.ordered_at < enrolled[item.order.customer_id]
            ):
                continue
            summary.orders += 1
            if item.undone:
                reversed_entries = reverse_order(
                    session=session,
                    customer_id=item.order.customer_id,
                    order_id=item.order.order_id,
                    at=max(utcnow(), item.order.ordered_at),
                    reason="order returned or refunded",
                )
                summary.reversed_orders += bool(reversed_entries)
                continue
            for posting in earn_order(session=session, rules=rules, order=item.order):
                if posting.created:
                    summary.entries += 1
                    summary.points += posting.entry.points


def simulate(
    *,
    backend: BaseBackend,
    rules: Rules,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, object]]:
    """Preview ``rules`` on past orders: points per month, base and campaign bonuses.

    Every customer counts as a member without a tier; budgets and per-member limits apply.
    """
    with_categories = any(campaign.categories for campaign in rules.campaigns)
    months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    budget_left = {c.name: c.budget for c in rules.campaigns}
    member_uses: dict[tuple[str, str], int] = defaultdict(int)
    for item in read_orders(backend, since=start, with_categories=with_categories):
        if item.undone or (end is not None and item.order.ordered_at > end):
            continue
        points = order_points(rules=rules, order=item.order, tier=None)
        month = months[item.order.ordered_at.strftime("%Y-%m")]
        month["orders"] += 1
        month["base_points"] += points.base
        for campaign in rules.campaigns:
            bonus = points.bonuses.get(campaign.name, 0)
            uses = (item.order.customer_id, campaign.name)
            left = budget_left[campaign.name]
            limit = campaign.per_member_limit
            over_budget = left is not None and bonus > left
            over_limit = limit is not None and member_uses[uses] >= limit
            if bonus <= 0 or over_budget or over_limit:
                continue
            member_uses[uses] += 1
            if left is not None:
                budget_left[campaign.name] = left - bonus
            month[f"bonus:{campaign.name}"] += bonus
    return [_month_row(name, values, rules) for name, values in sorted(months.items())]


def _month_row(name: str, values: dict[str, int], rules: Rules) -> dict[str, object]:
    bonuses = {f"bonus:{c.name}": values.get(f"bonus:{c.name}", 0) for c in rules.campaigns}
    points = values.get("base_points", 0) + sum(bonuses.values())
    return {
        "month": name,
        "orders": values.get("orders", 0),
        "base_points": values.get("base_points", 0),
        **bonuses,
        "points": points,
        "value": float(points * rules.point_value),
    }
