"""Shared helpers of the loyalty tests: a migrated store, members, orders, the ledger's truth."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain.loyalty import ledger
from retain.loyalty.models import LoyaltyAllocation, LoyaltyEntry
from retain.loyalty.rules import Rules, parse_rules
from retain.loyalty.service import Order, enroll
from retain.settings import Settings
from retain.store import ensure_store, session_scope

T0 = datetime(2026, 1, 5, 12, 0)  # a Monday


def store_url(settings: Settings) -> str:
    """The settings' store, migrated."""
    ensure_store(settings.storage.store_url)
    return settings.storage.store_url


def member(
    url: str,
    customer_id: str = "C1",
    *,
    email: str | None = None,
    ip: str | None = None,
    device: str | None = None,
) -> None:
    """Enrol ``customer_id`` at T0."""
    with session_scope(url) as session:
        enroll(
            session=session,
            customer_id=customer_id,
            enrolled_at=T0,
            email=email,
            ip=ip,
            device=device,
        )


def order(order_id: str, amount: str, *, customer_id: str = "C1", at: datetime = T0) -> Order:
    """A USD order."""
    return Order(order_id, customer_id, at, Decimal(amount), "USD")


def rules(text: str = "") -> Rules:
    """Rules from YAML (defaults for anything left out)."""
    return parse_rules(text)


def ledger_sum(session: Session, customer_id: str, at: datetime) -> int:
    """The available points as a plain sum of the member's entries."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                LoyaltyEntry.customer_id == customer_id, LoyaltyEntry.available_at <= at
            )
        )
        or 0
    )


def check_invariants(session: Session, customer_id: str, at: datetime) -> int:
    """Balance == sum of entries == sum of what the lots hold, never negative; the balance."""
    balance = ledger.balance(session=session, customer_id=customer_id, at=at)
    lots = ledger.lots(session=session, customer_id=customer_id)
    held = sum(lot.remaining for lot in lots if lot.available_at <= at)
    assert balance.available == ledger_sum(session, customer_id, at) == held
    assert balance.available >= 0 and balance.pending >= 0
    over = session.execute(
        select(LoyaltyAllocation.lot_id)
        .join(LoyaltyEntry, LoyaltyEntry.id == LoyaltyAllocation.lot_id)
        .group_by(LoyaltyAllocation.lot_id, LoyaltyEntry.points)
        .having(func.sum(LoyaltyAllocation.points) > LoyaltyEntry.points)
    ).all()
    assert over == [], "a lot gave more points than it held"
    return balance.available
