"""Signed, expiring tokens for links sent to customers (member pages, unsubscribe, surveys).

A link carries its own claims, so opening it needs no lookup; the signature, salted per purpose,
keeps a token made for one kind of link from opening another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer


class BadLink(ValueError):
    """A link that was altered, is malformed or has expired."""


def sign(*, secret: str, purpose: str, claims: dict[str, Any], expires_at: datetime) -> str:
    """A URL-safe token holding ``claims`` until ``expires_at`` (whole seconds)."""
    payload = {**claims, "exp": int(expires_at.timestamp())}
    return str(URLSafeSerializer(secret, salt=f"retain.link.{purpose}").dumps(payload))


def read(*, secret: str, purpose: str, token: str, at: datetime) -> dict[str, Any]:
    """The claims of ``token``; BadLink when it is not ours, was altered or has expired."""
    try:
        payload = URLSafeSerializer(secret, salt=f"retain.link.{purpose}").loads(token)
    except BadSignature:
        raise BadLink("the link's signature does not match") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        raise BadLink("the link is malformed")
    if at.timestamp() >= payload.pop("exp"):
        raise BadLink("the link has expired")
    return payload
