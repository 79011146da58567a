"""The X-Retain-Signature header: one format, checked in constant time, replays refused."""

from __future__ import annotations

import hashlib
import hmac

from retain.signatures import TOLERANCE_SECONDS, sign, signature_problem, signed_headers

SECRET = "a shared secret of some length"
BODY = b'{"a":1}'


def test_the_signature_is_sha256_and_the_hex_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1000." + BODY, hashlib.sha256).hexdigest()
    assert sign(secret=SECRET, timestamp="1000", body=BODY) == f"sha256={expected}"


def test_signed_headers_pass_the_check() -> None:
    headers = signed_headers(secret=SECRET, body=BODY)
    problem = signature_problem(
        secret=SECRET,
        timestamp=headers["X-Retain-Timestamp"],
        sent=headers["X-Retain-Signature"],
        body=BODY,
    )
    assert problem is None


def test_tampering_replays_and_missing_headers_are_refused() -> None:
    sent = sign(secret=SECRET, timestamp="1000", body=BODY)
    cases = {
        "other body": ("1000", sent, b'{"a":2}', 1000.0),
        "other secret": ("1000", sign(secret="x" * 30, timestamp="1000", body=BODY), BODY, 1000.0),
        "bare hex": ("1000", sent.removeprefix("sha256="), BODY, 1000.0),
        "stale": ("1000", sent, BODY, 1000.0 + TOLERANCE_SECONDS + 1),
        "not a number": ("soon", sent, BODY, 1000.0),
        "no signature": ("1000", None, BODY, 1000.0),
    }
    for name, (timestamp, signature, body, now) in cases.items():
        problem = signature_problem(
            secret=SECRET, timestamp=timestamp, sent=signature, body=body, now=now
        )
        assert problem is not None, name
