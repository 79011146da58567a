"""Does the programme work? Liability and redemption; members' retention and spend against matches.

Members are compared with non-members who looked the same before enrolment (exact matching on
orders and spend in the year before), each non-member judged from a member's enrolment day.
This removes the gap explained by past behaviour, not by motivation nobody recorded: customers
who choose to join may be keener than their twins, so read the difference as an upper bound.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from retain.currency.service import to_reporting
from retain.loyalty.models import LoyaltyEntry, LoyaltyMember, LoyaltyRedemption, LoyaltyTierChange
from retain.loyalty.rules import Rules

PRE_DAYS = 365
Z95 = 1.959964


def programme_summary(*, session: Session, rules: Rules, at: datetime) -> dict[str, Any]:
    """Members, points earned/redeemed/expired, liability, redemption rate, tier moves."""
    sums = dict(
        session.execute(
            select(LoyaltyEntry.kind, func.sum(LoyaltyEntry.points)).group_by(LoyaltyEntry.kind)
        ).all()
    )
    outstanding = session.scalar(
        select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
            LoyaltyEntry.available_at <= at
        )
    )
    earned = int(sums.get("earn") or 0)
    redeemed = -int(sums.get("redeem") or 0)
    moves = session.execute(
        select(
            func.sum(case((LoyaltyTierChange.reason == "qualified", 1), else_=0)),
            func.sum(case((LoyaltyTierChange.reason == "downgraded", 1), else_=0)),
        ).where(LoyaltyTierChange.changed_at > at - timedelta(days=365))
    ).one()
    return {
        "members": session.scalar(select(func.count()).select_from(LoyaltyMember)),
        "points_earned": earned,
        "points_redeemed": redeemed,
        "points_expired": -int(sums.get("expire") or 0),
        "points_outstanding": int(outstanding or 0),
        "liability": float(int(outstanding or 0) * rules.point_value),
        "redemption_rate": round(redeemed / earned, 4) if earned else None,
        "rewards_confirmed": session.scalar(
            select(func.count())
            .select_from(LoyaltyRedemption)
            .where(LoyaltyRedemption.status.in_(("confirmed", "used")))
        ),
        "promotions_12m": int(moves[0] or 0),
        "downgrades_12m": int(moves[1] or 0),
    }


@dataclass(frozen=True)
class RetentionComparison:
    """Repeat-purchase rate after enrolment, members against matched non-members."""

    window_days: int
    members: int
    matched_members: int
    comparison_customers: int
    member_rate: float | None
    matched_rate: float | None
    difference: float | None
    low: float | None
    high: float | None
    member_spend: float | None  # mean spend per customer in the window, reporting currency
    matched_spend: float | None
    spend_difference: float | None
    spend_low: float | None
    spend_high: float | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        """A plain dictionary."""
        return asdict(self)


def compare_retention(
    *,
    backend: BaseBackend,
    members: dict[str, datetime],
    window_days: int = 180,
    rates: dict[str, Decimal] | None = None,
    seed: int = 7,
) -> RetentionComparison:
    """Members' repeat rate and spend within ``window_days`` of enrolment against matches."""
    orders = _orders(backend, rates or {})
    customers = backend.table("customer").select("customer_id").to_pandas()["customer_id"]
    reference = _reference_days(customers.astype(str), members, seed)
    facts = _facts(orders, reference, window_days)
    facts["member"] = facts["customer_id"].isin(members)
    return _compare(facts, window_days, len(members))


def _orders(backend: BaseBackend, rates: dict[str, Decimal]) -> pd.DataFrame:
    order = backend.table("order")
    kept = order.filter(order.status.isnull() | (order.status != "cancelled"))
    converted = kept.mutate(
        amount=to_reporting(amount=kept.amount, currency=kept.currency, rates=rates)
    )
    frame = converted.select("customer_id", "ordered_at", "amount").to_pandas()
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"]).dt.tz_localize(None)
    frame["amount"] = frame["amount"].astype(float)
    return frame


def _reference_days(customers: pd.Series, members: dict[str, datetime], seed: int) -> pd.DataFrame:
    """Members at enrolment; every other customer at a randomly drawn member's enrolment."""
    others = customers[~customers.isin(members)].to_numpy()
    days = np.array(list(members.values()), dtype="datetime64[ns]")
    drawn: Any = np.random.default_rng(seed).choice(days, size=len(others)) if len(days) else []
    return pd.DataFrame(
        {
            "customer_id": list(members) + list(others),
            "reference_at": list(days) + list(drawn),
        }
    )


def _facts(orders: pd.DataFrame, reference: pd.DataFrame, window_days: int) -> pd.DataFrame:
    joined = orders.merge(reference, on="customer_id")
    before = joined[
        (joined.ordered_at < joined.reference_at)
        & (joined.ordered_at >= joined.reference_at - pd.Timedelta(days=PRE_DAYS))
    ]
    after = joined[
        (joined.ordered_at >= joined.reference_at)
        & (joined.ordered_at < joined.reference_at + pd.Timedelta(days=window_days))
    ]
    pre = before.groupby("customer_id").agg(
        pre_orders=("amount", "size"), pre_spend=("amount", "sum")
    )
    post = after.groupby("customer_id").agg(
        post_orders=("amount", "size"), post_spend=("amount", "sum")
    )
    facts = reference.set_index("customer_id").join(pre).join(post).fillna(0).reset_index()
    facts["stratum"] = (
        facts["pre_orders"].clip(upper=4).astype(int).astype(str)
        + "/"
        + pd.cut(facts["pre_spend"], [-1, 0, 50, 200, 1000, math.inf], labels=False).astype(str)
    )
    facts["retained"] = facts["post_orders"] > 0
    return facts


@dataclass(frozen=True)
class _Matched:
    member: float
    matched: float
    difference: float
    low: float
    high: float


def _matched(facts: pd.DataFrame, column: str) -> _Matched | None:
    """Members' mean of ``column`` against non-members' in the same strata, member-weighted."""
    stats = facts.groupby(["stratum", "member"])[column].agg(["mean", "var", "size"])
    grouped = pd.DataFrame(stats.unstack())
    sides = [("size", True), ("size", False)]
    if not all(side in grouped.columns for side in sides):
        return None
    both = grouped.dropna(subset=sides)
    if both.empty:
        return None
    weights = both[("size", True)] / both[("size", True)].sum()
    member = float((weights * both[("mean", True)]).sum())
    matched = float((weights * both[("mean", False)]).sum())
    # A stratum of one customer has no variance estimate; it adds none.
    spread = (both[("var", True)].fillna(0) / both[("size", True)]) + (
        both[("var", False)].fillna(0) / both[("size", False)]
    )
    half = Z95 * math.sqrt(float((weights**2 * spread).sum()))
    difference = member - matched
    return _Matched(member, matched, difference, difference - half, difference + half)


def _compare(facts: pd.DataFrame, window_days: int, member_count: int) -> RetentionComparison:
    facts = facts.assign(retained=facts["retained"].astype(float))
    retention, spend = _matched(facts, "retained"), _matched(facts, "post_spend")
    sizes = facts[facts["stratum"].isin(_shared_strata(facts))].groupby("member").size()

    def value(found: _Matched | None, name: str) -> float | None:
        return None if found is None else round(getattr(found, name), 4)

    return RetentionComparison(
        window_days=window_days,
        members=member_count,
        matched_members=int(sizes.get(True, 0)),
        comparison_customers=int(sizes.get(False, 0)),
        member_rate=value(retention, "member"),
        matched_rate=value(retention, "matched"),
        difference=value(retention, "difference"),
        low=value(retention, "low"),
        high=value(retention, "high"),
        member_spend=value(spend, "member"),
        matched_spend=value(spend, "matched"),
        spend_difference=value(spend, "difference"),
        spend_low=value(spend, "low"),
        spend_high=value(spend, "high"),
        note=(
            "Matched on orders and spend in the year before enrolment; customers who join may "
            "be keener in ways not recorded, so a difference is an upper bound of the effect."
        ),
    )


def _shared_strata(facts: pd.DataFrame) -> set[str]:
    """Strata holding both members and non-members: the only ones compared."""
    kinds = facts.groupby("stratum")["member"].nunique()
    return set(kinds[kinds == 2].index)
