"""Tiers: qualification over the rolling 12 months, downgrade policies with grace, history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from retain.currency.service import list_rates
from retain.loyalty.models import LoyaltyEntry, LoyaltyMember, LoyaltyTierChange
from retain.loyalty.rules import Rules

QUALIFYING_DAYS = 365


@dataclass(frozen=True)
class Progress:
    """Where a member stands: qualifying value, tier, and what the next tier needs."""

    value: Decimal
    tier: str | None
    next_tier: str | None
    needed: Decimal | None  # still to earn or spend for the next tier


def qualifying_values(
    *, session: Session, rules: Rules, at: datetime, reporting_currency: str = "USD"
) -> dict[str, Decimal]:
    """Each member's points earned, or spend, over the 12 months up to ``at`` (net of returns)."""
    window = (LoyaltyEntry.created_at > at - timedelta(days=QUALIFYING_DAYS)) & (
        LoyaltyEntry.created_at <= at
    )
    # Earned points and their reversals count; redemptions, expiry and releases do not.
    earned = LoyaltyEntry.kind.in_(("earn", "reverse")) & (LoyaltyEntry.source != "reward")
    if rules.qualify_by == "points":
        rows = session.execute(
            select(LoyaltyEntry.customer_id, func.sum(LoyaltyEntry.points))
            .where(window, earned)
            .group_by(LoyaltyEntry.customer_id)
        ).all()
        return {row[0]: Decimal(int(row[1] or 0)) for row in rows}
    return _spend(session, window, reporting_currency)


def _spend(
    session: Session, window: ColumnElement[bool], reporting_currency: str
) -> dict[str, Decimal]:
    rates = list_rates(session=session)
    spend: dict[str, Decimal] = defaultdict(Decimal)
    rows = session.execute(
        select(LoyaltyEntry.customer_id, LoyaltyEntry.currency, func.sum(LoyaltyEntry.amount))
        .where(window, LoyaltyEntry.amount.is_not(None))
        .group_by(LoyaltyEntry.customer_id, LoyaltyEntry.currency)
    ).all()
    for customer_id, currency, amount in rows:
        rate = Decimal(1) if currency in (None, reporting_currency) else rates.get(currency)
        if rate is not None:  # money without a rate cannot be compared with the thresholds
            spend[customer_id] += Decimal(amount or 0) * rate
    return dict(spend)


def qualified_tier(rules: Rules, value: Decimal) -> str | None:
    """The highest tier whose threshold ``value`` reaches."""
    reached = [tier.name for tier in rules.tiers if value >= tier.threshold]
    return reached[-1] if reached else None


def progress(*, rules: Rules, member: LoyaltyMember, value: Decimal) -> Progress:
    """The member's progress towards the tier above their current one."""
    rank = rules.tier_rank(member.tier)
    above = rules.tiers[rank] if rank < len(rules.tiers) else None
    return Progress(
        value=value,
        tier=member.tier,
        next_tier=above.name if above else None,
        needed=max(above.threshold - value, Decimal(0)) if above else None,
    )


def evaluate_tiers(
    *, session: Session, rules: Rules, at: datetime, reporting_currency: str = "USD"
) -> list[LoyaltyTierChange]:
    """Promote members who qualify higher; demote as the downgrade policy says; the changes."""
    values = qualifying_values(
        session=session, rules=rules, at=at, reporting_currency=reporting_currency
    )
    changes = []
    for member in session.scalars(select(LoyaltyMember).with_for_update()):
        value = values.get(member.customer_id, Decimal(0))
        change = _evaluate(rules, member, value, at)
        if change is not None:
            session.add(change)
            changes.append(change)
    session.flush()
    return changes


def _evaluate(
    rules: Rules, member: LoyaltyMember, value: Decimal, at: datetime
) -> LoyaltyTierChange | None:
    target = qualified_tier(rules, value)
    current = rules.tier_rank(member.tier)
    if rules.tier_rank(target) > current:
        return _move(member, target, value, at, "qualified")
    if rules.tier_rank(target) == current:
        member.below_tier_since = None
        return None
    return _maybe_demote(rules, member, target, value, at)


def _maybe_demote(
    rules: Rules, member: LoyaltyMember, target: str | None, value: Decimal, at: datetime
) -> LoyaltyTierChange | None:
    policy = rules.downgrade
    if policy.policy == "none":
        return None
    # Under "reevaluate" a member's standing is reviewed every N days; once found below, the
    # grace period runs from that review without waiting for the next one.
    if policy.policy == "reevaluate" and member.below_tier_since is None:
        reviewed = member.tier_reviewed_at or member.tier_since or member.enrolled_at
        if at < reviewed + timedelta(days=policy.every_days):
            return None
        member.tier_reviewed_at = at
    if member.below_tier_since is None:
        member.below_tier_since = at
    if at < member.below_tier_since + timedelta(days=policy.grace_days):
        return None
    return _move(member, target, value, at, "downgraded")


def _move(
    member: LoyaltyMember, target: str | None, value: Decimal, at: datetime, reason: str
) -> LoyaltyTierChange:
    change = LoyaltyTierChange(
        customer_id=member.customer_id,
        changed_at=at,
        from_tier=member.tier,
        to_tier=target,
        qualifying_value=value,
        reason=reason,
    )
    member.tier, member.tier_since = target, at
    member.tier_reviewed_at, member.below_tier_since = at, None
    return change


def tier_history(
    *, session: Session, customer_id: str | None, limit: int, offset: int
) -> list[LoyaltyTierChange]:
    """Tier changes, newest first, of one member or all."""
    statement = tier_history_query(customer_id=customer_id)
    return list(session.scalars(statement.limit(limit).offset(offset)))


def tier_history_query(*, customer_id: str | None) -> Select[LoyaltyTierChange]:
    """Tier promotions and demotions, newest first, as a query to page."""
    query = select(LoyaltyTierChange).order_by(LoyaltyTierChange.id.desc())
    if customer_id is not None:
        query = query.where(LoyaltyTierChange.customer_id == customer_id)
    return query
