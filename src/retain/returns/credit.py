"""The store-credit ledger: append-only entries, idempotency keys, balances derived.

The same guarantees as the loyalty points ledger (``retain.loyalty.ledger``), by the same means:
every write first bumps the account's ``revision`` (an UPDATE, so a row lock on PostgreSQL and
the write lock on SQLite), then looks up its idempotency key, then appends. Credit is money, not
points, and has no lots or expiry, so the loyalty lot machinery is not reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from retain.returns.models import CreditAccount, CreditEntry

Kind = Literal["credit", "bonus", "spend", "adjust"]
_LOCK = (
    update(CreditAccount)
    .where(CreditAccount.customer_id == bindparam("account"))
    .values(revision=CreditAccount.revision + 1)
)


class CreditError(ValueError):
    """A credit request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Posting:
    """An entry and whether this call created it (False: its idempotency key existed)."""

    entry: CreditEntry
    created: bool


def open_account(*, session: Session, customer_id: str, currency: str, at: datetime) -> None:
    """Open the customer's account in ``currency`` unless it exists (in any currency)."""
    if session.get(CreditAccount, customer_id) is None:
        session.add(CreditAccount(customer_id=customer_id, currency=currency, opened_at=at))
        session.flush()


def _lock(session: Session, customer_id: str) -> CreditAccount:
    bumped = session.execute(_LOCK, {"account": customer_id})
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        raise CreditError(f"customer {customer_id!r} has no store-credit account")
    account = session.get(CreditAccount, customer_id)
    assert account is not None
    return account


def balance(*, session: Session, customer_id: str) -> Decimal:
    """The account's balance: the sum of its entries."""
    total = session.scalar(
        select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(
            CreditEntry.customer_id == customer_id
        )
    )
    return Decimal(str(total or 0))


def post(
    *,
    session: Session,
    customer_id: str,
    amount: Decimal,
    kind: Kind,
    key: str,
    at: datetime,
    currency: str,
    reference: str | None = None,
    note: str | None = None,
) -> Posting:
    """Add (positive) or take (negative) ``amount``; once per key; never below zero."""
    if amount == 0:
        raise CreditError("an entry needs a non-zero amount")
    account = _lock(session, customer_id)
    existing = session.scalars(
        select(CreditEntry).where(CreditEntry.idempotency_key == key)
    ).one_or_none()
    if existing is not None:
        return Posting(existing, created=False)
    if currency != account.currency:
        raise CreditError(f"the account is in {account.currency}, not {currency}")
    if amount < 0 and balance(session=session, customer_id=customer_id) + amount < 0:
        raise CreditError(f"{customer_id} holds less than {-amount} {account.currency}")
    entry = CreditEntry(
        customer_id=customer_id,
        kind=kind,
        idempotency_key=key,
        amount=amount,
        created_at=at,
        reference=reference,
        note=note,
    )
    session.add(entry)
    session.flush()
    return Posting(entry, created=True)


def history(*, session: Session, customer_id: str, limit: int = 100) -> list[CreditEntry]:
    """The account's entries, newest first."""
    return list(
        session.scalars(
            select(CreditEntry)
            .where(CreditEntry.customer_id == customer_id)
            .order_by(CreditEntry.id.desc())
            .limit(limit)
        )
    )
