"""The one clock: naive UTC for the store and the warehouse, aware UTC for signed tokens."""

from __future__ import annotations

from datetime import timedelta

from retain.clock import aware_utcnow, utcnow, utcnow_to_the_second


def test_utcnow_is_the_aware_now_without_its_zone() -> None:
    before = aware_utcnow()
    now = utcnow()
    after = aware_utcnow()
    assert before.utcoffset() == timedelta(0)
    assert now.tzinfo is None
    assert before.replace(tzinfo=None) <= now <= after.replace(tzinfo=None)


def test_whole_seconds_drop_only_the_fraction() -> None:
    before = utcnow().replace(microsecond=0)
    now = utcnow_to_the_second()
    assert now.tzinfo is None and now.microsecond == 0
    assert before <= now <= utcnow()
