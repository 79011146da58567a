"""The ``X-Retain-Signature`` header: signing the webhooks Retain sends, checking those it gets.

Every signed request carries two headers:

- ``X-Retain-Timestamp``: Unix seconds when it was sent;
- ``X-Retain-Signature``: ``sha256=`` and the hex HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed
  with the shared secret.

A receiver refuses a timestamp more than five minutes from its clock (a replay) and compares
signatures in constant time. Event intake, the bounce webhook, the message webhook channel and
the returns instructions to the shop all use this one format (docs/api.md, "Signatures").
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Retain-Timestamp"
SIGNATURE_HEADER = "X-Retain-Signature"
TOLERANCE_SECONDS = 300
PREFIX = "sha256="


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Retain-Signature`` value for ``body`` sent at ``timestamp``."""
    message = timestamp.encode() + b"." + body
    return PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(*, secret: str, body: bytes) -> dict[str, str]:
    """The timestamp and signature headers for ``body`` sent now."""
    timestamp = str(int(time.time()))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp, body=body),
    }


def signature_problem(
    *, secret: str, timestamp: str | None, sent: str | None, body: bytes, now: float | None = None
) -> str | None:
    """Why a signed request is not acceptable, or None when it is (``now`` in Unix seconds)."""
    if not timestamp or not sent:
        return f"this endpoint requires {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers"
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return f"{TIMESTAMP_HEADER} must be Unix seconds"
    if age > TOLERANCE_SECONDS:
        return f"{TIMESTAMP_HEADER} is too old or in the future (over {TOLERANCE_SECONDS} s away)"
    if not hmac.compare_digest(sent, sign(secret=secret, timestamp=timestamp, body=body)):
        return f"the signature in {SIGNATURE_HEADER} does not match the body"
    return None
