"""Customer profiles in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.customers.models import CustomerProfile
from retain.store import upsert


def upsert_profiles(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new profiles and refresh existing ones, matched by customer_id."""
    upsert(session, CustomerProfile, rows)


def get_profile(*, session: Session, customer_id: str) -> CustomerProfile | None:
    """One customer's profile, or None."""
    return session.scalars(
        select(CustomerProfile).where(CustomerProfile.customer_id == customer_id)
    ).one_or_none()
