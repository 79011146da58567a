"""The rewards catalogue: reserve points for a reward, then confirm or release; coupons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from retain.loyalty import ledger
from retain.loyalty.ledger import LoyaltyError
from retain.loyalty.models import LoyaltyEntry, LoyaltyRedemption
from retain.loyalty.rules import Rules
from retain.loyalty.service import get_member, new_code
from retain.store import fetch_page

HELD = ("reserved", "confirmed", "used")  # states that count towards a per-member limit


@dataclass(frozen=True)
class CouponCheck:
    """The shop's answer for a coupon code."""

    code: str
    valid: bool
    reason: str
    reward: str | None = None
    kind: str | None = None
    value: Decimal | None = None
    currency: str | None = None
    product_id: str | None = None


def reserve_reward(
    *, session: Session, rules: Rules, customer_id: str, reward_name: str, key: str, at: datetime
) -> LoyaltyRedemption:
    """Hold the reward's points and a code for it; the same ``key`` returns the same hold."""
    reward = rules.reward(reward_name)
    if reward is None:
        raise LoyaltyError(f"the catalogue has no reward {reward_name!r}")
    member = get_member(session=session, customer_id=customer_id)
    ledger.lock_member(session, customer_id)
    existing = ledger.find_entry(session, f"reward:{key}")
    if existing is not None:
        return _redemption_of(session, existing)
    if reward.tier is not None and rules.tier_rank(member.tier) < rules.tier_rank(reward.tier):
        raise LoyaltyError(f"{reward.name} is for members of tier {reward.tier} and above")
    if reward.per_member_limit is not None and _held(session, customer_id, reward.name) >= (
        reward.per_member_limit
    ):
        raise LoyaltyError(f"{customer_id} has redeemed {reward.name} as often as allowed")
    posting = ledger.debit(
        session=session,
        customer_id=customer_id,
        points=reward.cost,
        source="reward",
        key=f"reward:{key}",
        at=at,
        reference=reward.name,
    )
    redemption = LoyaltyRedemption(
        customer_id=customer_id,
        reward=reward.name,
        points=reward.cost,
        code=new_code(length=12),
        status="reserved",
        reserved_at=at,
        hold_until=at + timedelta(minutes=rules.reservation_minutes),
        entry_id=posting.entry.id,
    )
    session.add(redemption)
    session.flush()
    return redemption


def _held(session: Session, customer_id: str, reward: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(LoyaltyRedemption)
            .where(
                LoyaltyRedemption.customer_id == customer_id,
                LoyaltyRedemption.reward == reward,
                LoyaltyRedemption.status.in_(HELD),
            )
        )
        or 0
    )


def _redemption_of(session: Session, entry: LoyaltyEntry) -> LoyaltyRedemption:
    return session.scalars(
        select(LoyaltyRedemption).where(LoyaltyRedemption.entry_id == entry.id)
    ).one()


def _by_code(session: Session, code: str) -> LoyaltyRedemption:
    found = session.scalars(
        select(LoyaltyRedemption).where(LoyaltyRedemption.code == code.strip().upper())
    ).one_or_none()
    if found is None:
        raise LoyaltyError(f"no redemption has the code {code!r}")
    return found


def confirm_redemption(*, session: Session, code: str, at: datetime) -> LoyaltyRedemption:
    """Make a reserved reward final: its coupon becomes valid. Confirming twice is harmless."""
    redemption = _by_code(session, code)
    ledger.lock_member(session, redemption.customer_id)
    session.refresh(redemption)
    if redemption.status in ("confirmed", "used"):
        return redemption
    if redemption.status != "reserved":
        raise LoyaltyError(f"redemption {redemption.code} was {redemption.status}")
    if at > redemption.hold_until:
        _release(session, redemption, at, "the hold ran out before confirmation")
        raise LoyaltyError(f"the hold on {redemption.code} ran out; the points were returned")
    redemption.status, redemption.confirmed_at = "confirmed", at
    return redemption


def release_redemption(*, session: Session, code: str, at: datetime) -> LoyaltyRedemption:
    """Cancel a reserved reward: its points go back to the lots they came from."""
    redemption = _by_code(session, code)
    ledger.lock_member(session, redemption.customer_id)
    session.refresh(redemption)
    if redemption.status == "released":
        return redemption
    if redemption.status != "reserved":
        raise LoyaltyError(f"redemption {redemption.code} is {redemption.status}; it stays")
    _release(session, redemption, at, "released")
    return redemption


def _release(session: Session, redemption: LoyaltyRedemption, at: datetime, note: str) -> None:
    entry = session.get(LoyaltyEntry, redemption.entry_id)
    assert entry is not None  # the foreign key guarantees it
    ledger.give_back(session=session, entry=entry, key=f"release:{redemption.id}", at=at, note=note)
    redemption.status = "released"


def release_lapsed(*, session: Session, at: datetime) -> int:
    """Release every reservation whose hold ran out; how many."""
    lapsed = list(
        session.scalars(
            select(LoyaltyRedemption.code).where(
                LoyaltyRedemption.status == "reserved", LoyaltyRedemption.hold_until < at
            )
        )
    )
    for code in lapsed:
        release_redemption(session=session, code=code, at=at)
    return len(lapsed)


def check_coupon(
    *, session: Session, rules: Rules, code: str, at: datetime, customer_id: str | None = None
) -> CouponCheck:
    """Whether the shop may accept ``code`` now (for ``customer_id`` if given), and its value."""
    found = session.scalars(
        select(LoyaltyRedemption).where(LoyaltyRedemption.code == code.strip().upper())
    ).one_or_none()
    if found is None:
        return CouponCheck(code=code, valid=False, reason="unknown code")
    reward = rules.reward(found.reward)
    reason = _coupon_problem(found, at, customer_id, rules)
    return CouponCheck(
        code=found.code,
        valid=reason == "",
        reason=reason or "valid",
        reward=found.reward,
        kind=reward.kind if reward else None,
        value=reward.value if reward else None,
        currency=reward.currency if reward else None,
        product_id=reward.product_id if reward else None,
    )


def _coupon_problem(
    found: LoyaltyRedemption, at: datetime, customer_id: str | None, rules: Rules
) -> str:
    reward = rules.reward(found.reward)
    if found.status != "confirmed":
        return {"reserved": "not confirmed yet", "used": "already used"}.get(
            found.status, "released"
        )
    if customer_id is not None and customer_id != found.customer_id:
        return "belongs to another customer"
    if reward is None:
        return "the reward is no longer in the catalogue"
    confirmed = found.confirmed_at or found.reserved_at
    if at > confirmed + timedelta(days=reward.valid_days):
        return "expired"
    return ""


def use_coupon(
    *, session: Session, rules: Rules, code: str, at: datetime, customer_id: str | None
) -> CouponCheck:
    """Accept a coupon at checkout: valid codes are marked used, exactly once."""
    checked = check_coupon(session=session, rules=rules, code=code, at=at, customer_id=customer_id)
    if not checked.valid:
        return checked
    # The status condition makes two simultaneous checkouts with one code succeed only once.
    used = session.execute(
        update(LoyaltyRedemption)
        .where(LoyaltyRedemption.code == checked.code, LoyaltyRedemption.status == "confirmed")
        .values(status="used", used_at=at)
    )
    if not used.rowcount:  # type: ignore[attr-defined]
        return CouponCheck(code=checked.code, valid=False, reason="already used")
    return checked


def list_redemptions(
    *, session: Session, customer_id: str | None, limit: int, offset: int
) -> tuple[list[LoyaltyRedemption], int]:
    """One page of redemptions, newest first, of one member or all, and how many there are."""
    query = select(LoyaltyRedemption).order_by(LoyaltyRedemption.id.desc())
    if customer_id is not None:
        query = query.where(LoyaltyRedemption.customer_id == customer_id)
    return fetch_page(session, query, limit=limit, offset=offset)
