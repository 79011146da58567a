"""Store rows for the outbox tests, written straight into the tables the sources read."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import insert, select

from retain.loyalty.models import LoyaltyEntry, LoyaltyMember
from retain.store import session_scope

AT = datetime(2026, 11, 1, 9, 0)


def add_loyalty_entries(store_url: str, count: int) -> None:
    """``count`` earn entries of one member, straight into the ledger."""
    with session_scope(store_url) as session:
        if session.get(LoyaltyMember, "C1") is None:
            session.add(LoyaltyMember(customer_id="C1", enrolled_at=AT, referral_code="REF-C1"))
            session.flush()
        first = session.scalar(select(sa.func.count()).select_from(LoyaltyEntry)) or 0
        session.execute(
            insert(LoyaltyEntry),
            [
                {
                    "customer_id": "C1",
                    "kind": "earn",
                    "source": "order",
                    "idempotency_key": f"order:{first + number}",
                    "points": 10,
                    "created_at": AT,
                    "available_at": AT,
                }
                for number in range(count)
            ],
        )
