"""Consent per customer and channel, suppressed addresses, and the signed links to change them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from retain import signed_links
from retain.messaging.models import Consent, Suppression

Purpose = Literal["message-unsubscribe", "message-preferences"]
UNSUBSCRIBE: Purpose = "message-unsubscribe"
PREFERENCES: Purpose = "message-preferences"
LINK_DAYS = 365
BadLink = signed_links.BadLink


def set_consent(
    *, session: Session, customer_id: str, channel: str, granted: bool, source: str, at: datetime
) -> Consent:
    """Record the customer's answer for ``channel``, replacing any earlier one."""
    found = session.get(Consent, (customer_id, channel))
    if found is None:
        found = Consent(customer_id=customer_id, channel=channel)
        session.add(found)
    found.granted, found.source, found.updated_at = granted, source, at
    return found


def consents(*, session: Session, customer_id: str) -> list[Consent]:
    """The customer's recorded answers, one per channel."""
    statement = select(Consent).where(Consent.customer_id == customer_id).order_by(Consent.channel)
    return list(session.scalars(statement))


def suppress(*, session: Session, address: str, channel: str, reason: str, at: datetime) -> None:
    """Never send to ``address`` on ``channel`` again (first reason kept)."""
    normalised = normalise_address(address)
    if session.get(Suppression, (normalised, channel)) is None:
        session.add(Suppression(address=normalised, channel=channel, reason=reason, created_at=at))


def normalise_address(address: str) -> str:
    """Addresses compare without case or surrounding spaces (as mail providers treat them)."""
    return address.strip().lower()


def sign_customer_link(
    *,
    secret: str,
    purpose: Purpose,
    customer_id: str,
    channel: str,
    language: str,
    at: datetime,
) -> str:
    """A token naming the customer, the channel the message came on and the page language."""
    claims = {"c": customer_id, "ch": channel, "l": language}
    expires_at = (at + timedelta(days=LINK_DAYS)).replace(microsecond=0)
    return signed_links.sign(secret=secret, purpose=purpose, claims=claims, expires_at=expires_at)


def read_customer_link(
    *, secret: str, purpose: Purpose, token: str, at: datetime
) -> dict[str, Any]:
    """The claims of a customer link; BadLink when altered, expired or malformed."""
    claims = signed_links.read(secret=secret, purpose=purpose, token=token, at=at)
    if not all(isinstance(claims.get(name), str) for name in ("c", "ch", "l")):
        raise BadLink("the link is malformed")
    return claims
