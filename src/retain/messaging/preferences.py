"""The channels a customer may switch on or off, and the signed links to the pages that do it
(the pages: ``retain.web.public.preferences``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.messaging.consent import PREFERENCES, UNSUBSCRIBE, consents, sign_customer_link
from retain.settings import Settings


def channel_names(settings: Settings) -> list[str]:
    """The channels a customer can switch on or off: email and each chat or SMS service."""
    return ["email", *sorted(settings.messaging.apprise_urls)]


def channel_choices(
    settings: Settings, *, session: Session, customer_id: str
) -> list[dict[str, Any]]:
    """Each channel with whether it is on for the customer (the configured default otherwise)."""
    recorded = {
        row.channel: row.granted for row in consents(session=session, customer_id=customer_id)
    }
    default = settings.messaging.consent_default == "opt-out"
    return [
        {"name": name, "granted": recorded.get(name, default)} for name in channel_names(settings)
    ]


def sample_links(settings: Settings, *, customer_id: str, language: str) -> dict[str, str]:
    """Working unsubscribe and preference links for a preview, made for the email channel."""
    base = settings.server.public_base_url.rstrip("/")
    links = {}
    for name, purpose, path in (
        ("unsubscribe_url", UNSUBSCRIBE, "unsubscribe"),
        ("preferences_url", PREFERENCES, "preferences"),
    ):
        token = sign_customer_link(
            secret=signing_key(settings),
            purpose=purpose,
            customer_id=customer_id,
            channel="email",
            language=language,
            at=utcnow(),
        )
        links[name] = f"{base}/m/{path}/{token}"
    return links
