"""Signed links: claims come back only for the purpose, key and time they were made for."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from retain.signed_links import BadLink, read, sign

SECRET = "a-long-random-test-secret-0123456789"
NOW = datetime(2026, 11, 24, 12, 0)


def test_a_link_reads_back_its_claims_until_it_expires() -> None:
    token = sign(secret=SECRET, purpose="unsubscribe", claims={"c": "C1"}, expires_at=NOW)
    before = NOW - timedelta(seconds=1)
    assert read(secret=SECRET, purpose="unsubscribe", token=token, at=before) == {"c": "C1"}
    with pytest.raises(BadLink, match="expired"):
        read(secret=SECRET, purpose="unsubscribe", token=token, at=NOW)


@pytest.mark.parametrize(
    ("secret", "purpose"), [(SECRET, "survey"), ("another-secret-entirely-000000", "unsubscribe")]
)
def test_a_link_opens_nothing_else(secret: str, purpose: str) -> None:
    later = NOW + timedelta(days=1)
    token = sign(secret=SECRET, purpose="unsubscribe", claims={"c": "C1"}, expires_at=later)
    with pytest.raises(BadLink, match="signature"):
        read(secret=secret, purpose=purpose, token=token, at=NOW)


@pytest.mark.parametrize("token", ["", ".", "x.y", ".\u0080", "e30.\u00e9"])
def test_garbage_is_a_bad_link(token: str) -> None:
    with pytest.raises(BadLink):
        read(secret=SECRET, purpose="unsubscribe", token=token, at=NOW)
