"""The points ledger: append-only entries, FIFO lots, balances derived from the entries.

Every write for a member first bumps that member's ``revision`` (an UPDATE): on PostgreSQL the
row lock makes concurrent writes for one member wait their turn; on SQLite the UPDATE takes the
database write lock before anything is read. Reads after the lock see every committed entry, so
a balance check cannot race a concurrent redemption. The unique idempotency key backs this up:
a second transaction with the same key finds the first one's entry instead of adding its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from retain.loyalty.models import LoyaltyAllocation, LoyaltyEntry, LoyaltyMember

Kind = Literal["earn", "redeem", "expire", "adjust", "reverse"]
Source = Literal[
    "order", "review", "survey", "profile", "referral", "birthday", "manual", "reward", "system"
]
LOT_KINDS = ("earn", "adjust")


class LoyaltyError(ValueError):
    """A loyalty request that cannot be carried out; the message says why."""


class NotAMember(LoyaltyError):
    """The customer is not enrolled in the programme."""


class InsufficientPoints(LoyaltyError):
    """A redemption or deduction larger than the available balance."""


@dataclass(frozen=True)
class Posting:
    """An entry and whether this call created it (False: the idempotency key existed)."""

    entry: LoyaltyEntry
    created: bool


@dataclass(frozen=True)
class Balance:
    """Points a member can spend now and points still inside the return window."""

    customer_id: str
    available: int
    pending: int


@dataclass(frozen=True)
class Lot:
    """A positive entry and the points of it not yet consumed."""

    id: int
    available_at: datetime
    expires_at: datetime | None
    remaining: int
    allocations: int  # rows drawn on the lot so far: makes each expiry's key unique


# Built once: these run on every ledger operation, and building a statement costs more than
# running it on a small member's rows.
_LOCK = (
    update(LoyaltyMember)
    .where(LoyaltyMember.customer_id == bindparam("member"))
    .values(revision=LoyaltyMember.revision + 1)
)
_FIND = select(LoyaltyEntry).where(LoyaltyEntry.idempotency_key == bindparam("key"))
_AVAILABLE = LoyaltyEntry.available_at <= bindparam("at")
_BALANCE = select(
    func.coalesce(func.sum(case((_AVAILABLE, LoyaltyEntry.points), else_=0)), 0),
    func.coalesce(func.sum(case((_AVAILABLE, 0), else_=LoyaltyEntry.points)), 0),
).where(LoyaltyEntry.customer_id == bindparam("member"))
_REMAINING = LoyaltyEntry.points - func.coalesce(func.sum(LoyaltyAllocation.points), 0)
# Grouped per lot of this member only: the join never aggregates other members' rows.
_LOTS = (
    select(
        LoyaltyEntry.id,
        LoyaltyEntry.available_at,
        LoyaltyEntry.expires_at,
        _REMAINING,
        func.count(LoyaltyAllocation.id),
    )
    .outerjoin(LoyaltyAllocation, LoyaltyAllocation.lot_id == LoyaltyEntry.id)
    .where(
        LoyaltyEntry.customer_id == bindparam("member"),
        LoyaltyEntry.kind.in_(LOT_KINDS),
        LoyaltyEntry.points > 0,
    )
    .group_by(
        LoyaltyEntry.id, LoyaltyEntry.available_at, LoyaltyEntry.expires_at, LoyaltyEntry.points
    )
    .having(_REMAINING > 0)
    .order_by(LoyaltyEntry.available_at, LoyaltyEntry.id)
)


def lock_member(session: Session, customer_id: str) -> None:
    """Serialise this member's ledger writes until the transaction ends (see the module doc)."""
    bumped = session.execute(_LOCK, {"member": customer_id})
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        raise NotAMember(f"customer {customer_id!r} is not a loyalty member")


def find_entry(session: Session, key: str) -> LoyaltyEntry | None:
    """The entry written under idempotency key ``key``, or None."""
    return session.scalars(_FIND, {"key": key}).one_or_none()


def balance(*, session: Session, customer_id: str, at: datetime) -> Balance:
    """The member's available and pending points at ``at``, summed from the ledger."""
    row = session.execute(_BALANCE, {"member": customer_id, "at": at}).one()
    return Balance(customer_id=customer_id, available=int(row[0]), pending=int(row[1]))


def lots(*, session: Session, customer_id: str) -> list[Lot]:
    """The member's lots with points left, oldest first (the order they are consumed in)."""
    rows = session.execute(_LOTS, {"member": customer_id}).all()
    return [Lot(row[0], row[1], row[2], int(row[3]), int(row[4])) for row in rows]


def credit(
    *,
    session: Session,
    customer_id: str,
    points: int,
    source: Source,
    key: str,
    at: datetime,
    available_at: datetime | None = None,
    expires_at: datetime | None = None,
    kind: Kind = "earn",
    reference: str | None = None,
    campaign: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    note: str | None = None,
) -> Posting:
    """Add a lot of ``points`` (pending until ``available_at``); once per idempotency key."""
    if points <= 0:
        raise LoyaltyError(f"a credit needs a positive number of points, not {points}")
    lock_member(session, customer_id)
    existing = find_entry(session, key)
    if existing is not None:
        return Posting(existing, created=False)
    entry = _append(
        session,
        customer_id,
        kind,
        source,
        key,
        points,
        at,
        reference,
        note,
        available_at=available_at,
        expires_at=expires_at,
        campaign=campaign,
        amount=amount,
        currency=currency,
    )
    return Posting(entry, created=True)


def debit(
    *,
    session: Session,
    customer_id: str,
    points: int,
    source: Source,
    key: str,
    at: datetime,
    kind: Kind = "redeem",
    reference: str | None = None,
    note: str | None = None,
) -> Posting:
    """Take ``points`` from the available lots, oldest first; refuse more than the balance."""
    if points <= 0:
        raise LoyaltyError(f"a debit needs a positive number of points, not {points}")
    lock_member(session, customer_id)
    existing = find_entry(session, key)
    if existing is not None:
        return Posting(existing, created=False)
    held = lots(session=session, customer_id=customer_id)
    _expire(session, customer_id, held, at)
    available = [lot for lot in held if lot.available_at <= at and not _expired(lot, at)]
    if sum(lot.remaining for lot in available) < points:
        have = sum(lot.remaining for lot in available)
        raise InsufficientPoints(f"{customer_id} has {have} points available, not {points}")
    entry = _append(session, customer_id, kind, source, key, -points, at, reference, note)
    _allocate(session, entry.id, available, points)
    return Posting(entry, created=True)


def give_back(
    *, session: Session, entry: LoyaltyEntry, key: str, at: datetime, note: str
) -> Posting:
    """Reverse a debit: its points return to the very lots they came from (their expiry too)."""
    lock_member(session, entry.customer_id)
    existing = find_entry(session, key)
    if existing is not None:
        return Posting(existing, created=False)
    taken = session.execute(
        select(LoyaltyAllocation.lot_id, LoyaltyAllocation.points).where(
            LoyaltyAllocation.entry_id == entry.id
        )
    ).all()
    points = sum(int(row[1]) for row in taken)
    back = _append(
        session, entry.customer_id, "reverse", entry.source, key, points, at, entry.reference, note
    )
    session.execute(
        insert(LoyaltyAllocation),
        [{"entry_id": back.id, "lot_id": row[0], "points": -int(row[1])} for row in taken],
    )
    return Posting(back, created=True)


def reverse_lots(
    *, session: Session, customer_id: str, reference: str, key: str, at: datetime, note: str
) -> list[Posting]:
    """Take back the points earned for ``reference`` (a returned order), spent ones included.

    What is left of each lot is reversed on the lot itself, pending with it if it is still
    pending. Points of it already redeemed are clawed back from the member's other available
    lots as far as the balance goes, so the balance never turns negative.
    """
    lock_member(session, customer_id)
    postings: list[Posting] = []
    for lot in _lots_of(session, customer_id, reference):
        postings.extend(_reverse_lot(session, customer_id, lot, key, at, note))
    return postings


def _reverse_lot(
    session: Session, customer_id: str, lot: LoyaltyEntry, key: str, at: datetime, note: str
) -> list[Posting]:
    # A used-up lot is reversed by a claw-back alone, so either entry means "done".
    if any(find_entry(session, f"{key}:{lot.id}{part}") for part in ("", ":clawback")):
        return []
    held = lots(session=session, customer_id=customer_id)
    left = next((item for item in held if item.id == lot.id), None)
    postings = [] if left is None else [_reverse_rest(session, lot, left, key, at, note)]
    others = [
        item
        for item in lots(session=session, customer_id=customer_id)
        if item.available_at <= at and item.id != lot.id
    ]
    clawed = _claw_back(session, lot, others, key, at, note)
    return postings + ([clawed] if clawed else [])


def _reverse_rest(
    session: Session, lot: LoyaltyEntry, left: Lot, key: str, at: datetime, note: str
) -> Posting:
    """Reverse what is left of ``lot``, pending with it while it is pending."""
    entry = _append(
        session,
        lot.customer_id,
        "reverse",
        lot.source,
        f"{key}:{lot.id}",
        -left.remaining,
        at,
        lot.reference,
        note,
        available_at=max(lot.available_at, at),
        amount=-lot.amount if lot.amount is not None else None,
        currency=lot.currency,
    )
    _allocate(session, entry.id, [left], left.remaining)
    return Posting(entry, created=True)


def _claw_back(
    session: Session, lot: LoyaltyEntry, others: list[Lot], key: str, at: datetime, note: str
) -> Posting | None:
    """Take back the redeemed part of ``lot`` from ``others``, as far as they hold points."""
    spent = _redeemed_from(session, lot.id)
    clawback = min(spent, sum(item.remaining for item in others))
    if clawback <= 0:
        return None
    if clawback < spent:
        note = f"{note}; {spent - clawback} redeemed points could not be recovered"
    entry = _append(
        session,
        lot.customer_id,
        "reverse",
        lot.source,
        f"{key}:{lot.id}:clawback",
        -clawback,
        at,
        lot.reference,
        note,
    )
    _allocate(session, entry.id, others, clawback)
    return Posting(entry, created=True)


def expire_member(*, session: Session, customer_id: str, at: datetime) -> int:
    """Expire what is left of the member's lots whose expiry has passed; the points expired."""
    lock_member(session, customer_id)
    return _expire(session, customer_id, lots(session=session, customer_id=customer_id), at)


def _expired(lot: Lot, at: datetime) -> bool:
    return lot.expires_at is not None and lot.expires_at <= at


def _expire(session: Session, customer_id: str, held: list[Lot], at: datetime) -> int:
    """Write an expire entry for each of ``held`` past its expiry (the member is locked)."""
    expired = 0
    for lot in held:
        if not _expired(lot, at):
            continue
        key = f"expire:{lot.id}:{lot.allocations}"
        entry = _append(
            session, customer_id, "expire", "system", key, -lot.remaining, at, None, None
        )
        _allocate(session, entry.id, [lot], lot.remaining)
        expired += lot.remaining
    return expired


def members_with_expired_lots(*, session: Session, at: datetime) -> list[str]:
    """Members holding a lot whose expiry has passed (some of which may be used up already)."""
    return list(
        session.scalars(
            select(LoyaltyEntry.customer_id)
            .where(LoyaltyEntry.kind.in_(LOT_KINDS), LoyaltyEntry.expires_at <= at)
            .distinct()
        )
    )


def _lots_of(session: Session, customer_id: str, reference: str) -> list[LoyaltyEntry]:
    return list(
        session.scalars(
            select(LoyaltyEntry)
            .where(
                LoyaltyEntry.customer_id == customer_id,
                LoyaltyEntry.reference == reference,
                LoyaltyEntry.kind == "earn",
            )
            .order_by(LoyaltyEntry.id)
        )
    )


def _redeemed_from(session: Session, lot_id: int) -> int:
    """Points of the lot consumed by redemptions and not given back."""
    total = session.scalar(
        select(func.coalesce(func.sum(LoyaltyAllocation.points), 0))
        .join(LoyaltyEntry, LoyaltyEntry.id == LoyaltyAllocation.entry_id)
        .where(LoyaltyAllocation.lot_id == lot_id, LoyaltyEntry.source == "reward")
    )
    return int(total or 0)


def _append(
    session: Session,
    customer_id: str,
    kind: Kind,
    source: str,
    key: str,
    points: int,
    at: datetime,
    reference: str | None,
    note: str | None,
    *,
    available_at: datetime | None = None,
    expires_at: datetime | None = None,
    campaign: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> LoyaltyEntry:
    entry = LoyaltyEntry(
        customer_id=customer_id,
        kind=kind,
        source=source,
        idempotency_key=key,
        points=points,
        created_at=at,
        available_at=available_at or at,
        expires_at=expires_at,
        reference=reference,
        campaign=campaign,
        amount=amount,
        currency=currency,
        note=note,
    )
    session.add(entry)
    session.flush()
    return entry


def _allocate(session: Session, entry_id: int, available: list[Lot], points: int) -> None:
    """Draw ``points`` from ``available`` in order (the caller checked that they suffice)."""
    rows, needed = [], points
    for lot in available:
        if needed == 0:
            break
        taken = min(lot.remaining, needed)
        rows.append({"entry_id": entry_id, "lot_id": lot.id, "points": taken})
        needed -= taken
    session.execute(insert(LoyaltyAllocation), rows)
