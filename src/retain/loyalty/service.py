"""Members, rules and earning: orders and events turned into ledger entries by the rules."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from retain.locales import language_or_default
from retain.loyalty import ledger
from retain.loyalty.ledger import LoyaltyError, Posting
from retain.loyalty.models import LoyaltyCampaign, LoyaltyEntry, LoyaltyMember, LoyaltyRuleset
from retain.loyalty.rules import EVENTS, Campaign, Rules, parse_rules
from retain.store import insert_if_absent

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_code(*, length: int = 8) -> str:
    """A random code of unambiguous capitals and digits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def enroll(
    *,
    session: Session,
    customer_id: str,
    enrolled_at: datetime,
    email: str | None = None,
    ip: str | None = None,
    device: str | None = None,
    language: str = "en",
) -> LoyaltyMember:
    """Enrol a customer (a second call changes nothing) and return the member."""
    values = {
        "customer_id": customer_id,
        "enrolled_at": enrolled_at,
        "revision": 0,
        "referral_code": new_code(),
        "email": email,
        "ip": ip,
        "device": device,
        "language": language_or_default(language),
    }
    insert_if_absent(session, LoyaltyMember, values)
    member = session.get(LoyaltyMember, customer_id)
    assert member is not None  # inserted just now or already there
    return member


def get_member(*, session: Session, customer_id: str) -> LoyaltyMember:
    """The member, or NotAMember."""
    member = session.get(LoyaltyMember, customer_id)
    if member is None:
        raise ledger.NotAMember(f"customer {customer_id!r} is not a loyalty member")
    return member


def save_rules(*, session: Session, text: str, at: datetime) -> Rules:
    """Validate ``text`` and make it the rules in force (earlier versions are kept)."""
    rules = parse_rules(text)
    session.add(LoyaltyRuleset(text=text, loaded_at=at))
    return rules


def load_rules(*, session: Session) -> Rules:
    """The rules in force: the newest saved version, or the defaults."""
    text = session.scalar(
        select(LoyaltyRuleset.text).order_by(LoyaltyRuleset.version.desc()).limit(1)
    )
    return parse_rules(text) if text is not None else Rules()


@dataclass(frozen=True)
class Order:
    """An order as the earning rules see it."""

    order_id: str
    customer_id: str
    ordered_at: datetime
    amount: Decimal
    currency: str
    categories: dict[str, Decimal] = field(default_factory=dict)  # amount per category


@dataclass(frozen=True)
class OrderPoints:
    """What an order earns: base points (tier multiplier included) and each campaign's bonus."""

    base: int
    bonuses: dict[str, int]

    @property
    def total(self) -> int:
        return self.base + sum(self.bonuses.values())


def order_points(*, rules: Rules, order: Order, tier: str | None) -> OrderPoints:
    """Points an order earns under ``rules`` for a member of ``tier`` (limits not applied)."""
    tier_rule = rules.tier(tier)
    multiplier = tier_rule.multiplier if tier_rule else 1.0
    base_points = rules.base_points(amount=order.amount, currency=order.currency)
    bonuses = {}
    for campaign in rules.campaigns:
        if campaign.applies(order.ordered_at):
            bonus = _campaign_bonus(rules, campaign, order)
            if bonus > 0:
                bonuses[campaign.name] = bonus
    return OrderPoints(base=math.floor(base_points * multiplier), bonuses=bonuses)


def _campaign_bonus(rules: Rules, campaign: Campaign, order: Order) -> int:
    if campaign.categories:
        amount = sum(
            (order.categories.get(name, Decimal(0)) for name in campaign.categories), Decimal(0)
        )
    else:
        amount = order.amount
    return math.floor(
        rules.base_points(amount=amount, currency=order.currency) * (campaign.multiplier - 1)
    )


def earn_order(*, session: Session, rules: Rules, order: Order) -> list[Posting]:
    """Credit an order's points, pending until the return window ends; once per order."""
    member = get_member(session=session, customer_id=order.customer_id)
    points = order_points(rules=rules, order=order, tier=member.tier)
    available_at = order.ordered_at + timedelta(days=rules.return_window_days)
    expires_at = rules.expiry.expires_at(available_at)
    postings = []
    if points.base > 0:
        key = f"order:{order.order_id}"
        postings.append(_credit_order(session, order, points.base, key, available_at, expires_at))
    for campaign in rules.campaigns:
        bonus = points.bonuses.get(campaign.name, 0)
        if bonus > 0 and _campaign_allows(session, campaign, order, bonus):
            key = f"order:{order.order_id}:campaign:{campaign.name}"
            postings.append(
                _credit_order(
                    session, order, bonus, key, available_at, expires_at, campaign=campaign.name
                )
            )
    return postings


def _credit_order(
    session: Session,
    order: Order,
    points: int,
    key: str,
    available_at: datetime,
    expires_at: datetime | None,
    *,
    campaign: str | None = None,
) -> Posting:
    """A lot for an order: the base points carry the amount (for spend tiers), bonuses do not."""
    return ledger.credit(
        session=session,
        customer_id=order.customer_id,
        points=points,
        source="order",
        key=key,
        at=order.ordered_at,
        available_at=available_at,
        expires_at=expires_at,
        reference=order.order_id,
        campaign=campaign,
        amount=None if campaign else order.amount,
        currency=None if campaign else order.currency,
    )


def _campaign_allows(session: Session, campaign: Campaign, order: Order, bonus: int) -> bool:
    """Whether the member may have this bonus: not yet given, within limits and the budget."""
    ledger.lock_member(session, order.customer_id)
    if ledger.find_entry(session, f"order:{order.order_id}:campaign:{campaign.name}"):
        return True  # credit() will find it and change nothing
    if campaign.per_member_limit is not None:
        used = session.scalar(
            select(func.count())
            .select_from(LoyaltyEntry)
            .where(
                LoyaltyEntry.customer_id == order.customer_id,
                LoyaltyEntry.campaign == campaign.name,
            )
        )
        if (used or 0) >= campaign.per_member_limit:
            return False
    return _spend_budget(session, campaign, bonus)


def _spend_budget(session: Session, campaign: Campaign, bonus: int) -> bool:
    """Add ``bonus`` to the campaign's total only if it stays within the budget (atomically)."""
    insert_if_absent(session, LoyaltyCampaign, {"name": campaign.name, "points_awarded": 0})
    spend = update(LoyaltyCampaign).where(LoyaltyCampaign.name == campaign.name)
    if campaign.budget is not None:
        spend = spend.where(LoyaltyCampaign.points_awarded + bonus <= campaign.budget)
    result = session.execute(spend.values(points_awarded=LoyaltyCampaign.points_awarded + bonus))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def earn_event(
    *, session: Session, rules: Rules, customer_id: str, event: str, key: str, at: datetime
) -> Posting:
    """Credit the points the rules give for ``event`` (review, survey, profile, birthday)."""
    known = next((name for name in EVENTS if name == event), None)
    points = rules.events.get(known) if known else None
    if known is None or not points:
        raise LoyaltyError(f"the rules give no points for the event {event!r}")
    return ledger.credit(
        session=session,
        customer_id=customer_id,
        points=points,
        source=known,
        key=f"{event}:{key}",
        at=at,
        expires_at=rules.expiry.expires_at(at),
        reference=key,
    )


def adjust(
    *,
    session: Session,
    rules: Rules,
    customer_id: str,
    points: int,
    key: str,
    at: datetime,
    note: str,
) -> Posting:
    """A manual correction: a compensating entry, positive (a new lot) or negative (FIFO)."""
    if points > 0:
        return ledger.credit(
            session=session,
            customer_id=customer_id,
            points=points,
            source="manual",
            key=f"adjust:{key}",
            at=at,
            expires_at=rules.expiry.expires_at(at),
            kind="adjust",
            note=note,
        )
    return ledger.debit(
        session=session,
        customer_id=customer_id,
        points=-points,
        source="manual",
        key=f"adjust:{key}",
        at=at,
        kind="adjust",
        note=note,
    )


def reverse_order(
    *, session: Session, customer_id: str, order_id: str, at: datetime, reason: str
) -> list[Posting]:
    """Reverse the points of a returned or refunded order (idempotent)."""
    return ledger.reverse_lots(
        session=session,
        customer_id=customer_id,
        reference=order_id,
        key=f"reverse:{order_id}",
        at=at,
        note=reason,
    )


def expire_all(*, session: Session, at: datetime) -> int:
    """Expire every lot whose expiry has passed; the number of points expired."""
    return sum(
        ledger.expire_member(session=session, customer_id=customer_id, at=at)
        for customer_id in ledger.members_with_expired_lots(session=session, at=at)
    )


def history(*, session: Session, customer_id: str, limit: int, offset: int) -> list[LoyaltyEntry]:
    """The member's ledger entries, newest first."""
    return list(session.scalars(history_query(customer_id=customer_id).limit(limit).offset(offset)))


def history_query(*, customer_id: str) -> Select[LoyaltyEntry]:
    """The member's ledger, newest first, as a query to page."""
    return (
        select(LoyaltyEntry)
        .where(LoyaltyEntry.customer_id == customer_id)
        .order_by(LoyaltyEntry.id.desc())
    )


def list_members(*, session: Session, limit: int, offset: int) -> list[LoyaltyMember]:
    """Members in enrolment order."""
    return list(session.scalars(members_query().limit(limit).offset(offset)))


def members_query() -> Select[LoyaltyMember]:
    """Members in enrolment order, as a query to page."""
    return select(LoyaltyMember).order_by(LoyaltyMember.enrolled_at, LoyaltyMember.customer_id)
