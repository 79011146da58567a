"""Referrals: a code per member, fraud checks, attribution to the friend's first order, rewards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from retain.loyalty import ledger
from retain.loyalty.ledger import LoyaltyError
from retain.loyalty.models import LoyaltyMember, LoyaltyReferral
from retain.loyalty.rules import Rules
from retain.loyalty.service import Order, enroll

# Statuses in which a referral still counts as the friend's referral.
LIVE = ("pending", "review", "qualified", "rewarded")


@dataclass(frozen=True)
class Visit:
    """A friend arriving through a referral code, with what the shop knows about them."""

    code: str
    friend_id: str
    friend_email: str | None = None
    ip: str | None = None
    device: str | None = None


def referral_link(*, rules: Rules, member: LoyaltyMember) -> str:
    """The member's personal referral link."""
    return f"{rules.referral.link_base}{member.referral_code}"


def find_referrer(*, session: Session, code: str) -> LoyaltyMember | None:
    """The member whose referral code is ``code`` (any case), or None."""
    return session.scalars(
        select(LoyaltyMember).where(LoyaltyMember.referral_code == code.strip().upper())
    ).one_or_none()


def normalise_email(email: str) -> str:
    """The mailbox behind an address: no +tag, no dots, no trailing digits, lower case."""
    local, _, domain = email.strip().lower().partition("@")
    local = local.split("+", 1)[0].replace(".", "")
    return f"{re.sub(r'[0-9]+$', '', local)}@{domain}"


def register_referral(
    *, session: Session, rules: Rules, visit: Visit, at: datetime
) -> LoyaltyReferral:
    """Record a referred friend and run the checks that need no order; blocked ones are kept."""
    referrer = find_referrer(session=session, code=visit.code)
    if referrer is None:
        raise LoyaltyError(f"no member has the referral code {visit.code!r}")
    # The referrer's lock serialises the velocity check against concurrent visits.
    ledger.lock_member(session, referrer.customer_id)
    findings = _visit_findings(session, rules, referrer, visit, at)
    referral = LoyaltyReferral(
        referrer_id=referrer.customer_id,
        friend_id=visit.friend_id,
        friend_email=visit.friend_email,
        ip=visit.ip,
        device=visit.device,
        referred_at=at,
        status=_status(rules, findings),
        findings=",".join(findings),
    )
    session.add(referral)
    session.flush()
    return referral


def _visit_findings(
    session: Session, rules: Rules, referrer: LoyaltyMember, visit: Visit, at: datetime
) -> list[str]:
    found = []
    if visit.friend_id == referrer.customer_id or _same_address(visit.friend_email, referrer.email):
        found.append("self_referral")
    if _already_referred(session, visit.friend_id):
        found.append("already_referred")
    if _email_pattern(session, referrer, visit):
        found.append("email_pattern")
    if visit.ip and visit.ip in (referrer.ip, *_peer_values(session, referrer, "ip")):
        found.append("same_ip")
    if visit.device and visit.device in (
        referrer.device,
        *_peer_values(session, referrer, "device"),
    ):
        found.append("same_device")
    if _recent_referrals(session, referrer, at - timedelta(days=rules.referral.velocity_days)) >= (
        rules.referral.velocity_limit
    ):
        found.append("velocity")
    return found


def _same_address(first: str | None, second: str | None) -> bool:
    return bool(first and second and first.strip().lower() == second.strip().lower())


def _already_referred(session: Session, friend_id: str) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(LoyaltyReferral)
            .where(LoyaltyReferral.friend_id == friend_id, LoyaltyReferral.status.in_(LIVE))
        )
    )


def _email_pattern(session: Session, referrer: LoyaltyMember, visit: Visit) -> bool:
    """The friend's mailbox matches the referrer's or another friend's of the same referrer."""
    if not visit.friend_email:
        return False
    mailbox = normalise_email(visit.friend_email)
    known = [referrer.email, *_peer_values(session, referrer, "friend_email")]
    others = [email for email in known if email and email.lower() != visit.friend_email.lower()]
    return any(normalise_email(email) == mailbox for email in others)


def _peer_values(session: Session, referrer: LoyaltyMember, column: str) -> list[str]:
    """Values of ``column`` on the referrer's earlier referrals (other friends)."""
    attribute = getattr(LoyaltyReferral, column)
    return [
        value
        for value in session.scalars(
            select(attribute).where(LoyaltyReferral.referrer_id == referrer.customer_id)
        )
        if value
    ]


def _recent_referrals(session: Session, referrer: LoyaltyMember, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(LoyaltyReferral)
            .where(
                LoyaltyReferral.referrer_id == referrer.customer_id,
                LoyaltyReferral.referred_at >= since,
            )
        )
        or 0
    )


def _status(rules: Rules, findings: list[str]) -> str:
    outcomes = {getattr(rules.referral.checks, name) for name in findings}
    if "block" in outcomes:
        return "blocked"
    return "review" if "flag" in outcomes else "pending"


def attribute_order(*, session: Session, rules: Rules, order: Order, undone: bool) -> bool:
    """Attribute a friend's first order to their pending referral; True when it qualifies."""
    referral = _open_referral(session, order.customer_id)
    if referral is None:
        return False
    found = []
    if order.ordered_at < referral.referred_at:
        found.append("existing_customer")
    if undone or order.amount < rules.referral.minimum_order:
        found.append("minimum_order")
    referral.order_id = order.order_id
    referral.findings = ",".join([*filter(None, referral.findings.split(",")), *found])
    # The visit's own findings were judged at the visit (and maybe approved since).
    status = _status(rules, found)
    if status != "blocked":  # a flagged referral keeps its date for when it is approved
        referral.reward_at = order.ordered_at + timedelta(days=rules.return_window_days)
    if status == "pending":
        status = "review" if referral.status == "review" else "qualified"
    referral.status = status
    return referral.status == "qualified"


def _open_referral(session: Session, friend_id: str) -> LoyaltyReferral | None:
    return session.scalars(
        select(LoyaltyReferral)
        .where(
            LoyaltyReferral.friend_id == friend_id,
            LoyaltyReferral.status.in_(("pending", "review")),
            LoyaltyReferral.order_id.is_(None),
        )
        .order_by(LoyaltyReferral.id)
        .limit(1)
    ).one_or_none()


def approve_referral(*, session: Session, rules: Rules, referral_id: int) -> LoyaltyReferral:
    """Clear a referral flagged for review: it qualifies if its order already did."""
    referral = session.get(LoyaltyReferral, referral_id)
    if referral is None or referral.status != "review":
        raise LoyaltyError(f"referral {referral_id} is not waiting for review")
    referral.status = "qualified" if referral.reward_at is not None else "pending"
    return referral


def reward_referrals(
    *, session: Session, rules: Rules, at: datetime, returned: set[str]
) -> list[LoyaltyReferral]:
    """Reward both sides of each qualified referral whose return window has passed."""
    due = list(
        session.scalars(
            select(LoyaltyReferral).where(
                LoyaltyReferral.status == "qualified", LoyaltyReferral.reward_at <= at
            )
        )
    )
    for referral in due:
        if referral.order_id in returned:
            referral.status = "cancelled"
            continue
        _credit_side(session, rules, referral, referral.referrer_id, "referrer", at)
        _credit_side(session, rules, referral, referral.friend_id, "friend", at)
        referral.status = "rewarded"
    return due


def _credit_side(
    session: Session,
    rules: Rules,
    referral: LoyaltyReferral,
    customer_id: str,
    side: str,
    at: datetime,
) -> None:
    points = rules.referral.referrer_points if side == "referrer" else rules.referral.friend_points
    if points <= 0:
        return
    # A referred friend joins the programme with the reward.
    enroll(session=session, customer_id=customer_id, enrolled_at=at)
    ledger.credit(
        session=session,
        customer_id=customer_id,
        points=points,
        source="referral",
        key=f"referral:{referral.id}:{side}",
        at=at,
        expires_at=rules.expiry.expires_at(at),
        reference=f"referral:{referral.id}",
    )


def list_referrals(
    *, session: Session, status: str | None, limit: int, offset: int
) -> list[LoyaltyReferral]:
    """Referrals, newest first, optionally of one status."""
    return list(session.scalars(referrals_query(status=status).limit(limit).offset(offset)))


def referrals_query(*, status: str | None) -> Select[LoyaltyReferral]:
    """Referrals, newest first, as a query to page."""
    query = select(LoyaltyReferral).order_by(LoyaltyReferral.id.desc())
    if status is not None:
        query = query.where(LoyaltyReferral.status == status)
    return query
