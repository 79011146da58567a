"""Shared helpers of the support tests: a migrated store and tickets in a known state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from retain.settings import Settings
from retain.store import ensure_store
from retain.support import service
from retain.support.models import Ticket

T0 = datetime(2026, 1, 5, 10, 0)  # a Monday, inside office hours in London
# The shortest legal path from new to each state.
PATH_TO = {
    "new": [],
    "open": ["open"],
    "pending": ["open", "pending"],
    "solved": ["open", "solved"],
    "closed": ["open", "solved", "closed"],
}


def store_url(settings: Settings) -> str:
    """The settings' store, migrated."""
    ensure_store(settings.storage.store_url)
    return settings.storage.store_url


def ticket_in(session: Session, state: str, *, customer_id: str = "C1") -> Ticket:
    """A ticket moved along the legal path into ``state``."""
    ticket = service.open_ticket(
        session=session,
        customer_id=customer_id,
        requester_email=None,
        subject="Parcel missing",
        body="My parcel has not arrived.",
        channel="api",
        at=T0,
    )
    for step in PATH_TO[state]:
        service.change_status(session=session, ticket=ticket, status=step, at=T0)
    return ticket
