"""Customers and deliveries for the messaging tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from retain.clock import utcnow
from retain.customers.models import CustomerProfile
from retain.messaging import service
from retain.messaging.models import Delivery
from retain.settings import Settings
from retain.store import ensure_store, session_scope

# Tomorrow at midday UTC: after the moment anything is enqueued, so queued messages are due.
NOON = (utcnow() + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)


def add_customer(
    settings: Settings,
    customer_id: str,
    *,
    email: str | None = None,
    language: str = "en",
    time_zone: str = "UTC",
    phone: str | None = None,
    name: str | None = None,
) -> None:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        session.add(
            CustomerProfile(
                customer_id=customer_id,
                name=name,
                email=email or f"{customer_id.lower()}@example.com",
                language=language,
                time_zone=time_zone,
                phone=phone,
            )
        )


def queue(settings: Settings, key: str, customer_id: str, **options: Any) -> None:
    options.setdefault("channel", "email")
    options.setdefault("template", "generic-news")
    options.setdefault("context", {"headline": "Spring collection"})
    with session_scope(settings.storage.store_url) as session:
        service.enqueue(session=session, key=key, customer_id=customer_id, **options)


def delivery(settings: Settings, key: str) -> Delivery:
    with session_scope(settings.storage.store_url) as session:
        found = service.find(session=session, key=key)
        assert found is not None
        return found
