"""The one clock every domain reads: now, in UTC.

The store and the warehouse keep naive UTC datetimes, so ``utcnow`` drops the time zone. Code
that takes the moment as an argument (``at=``, ``now=``) reads this clock only when none is
given, which is how tests fix time.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC, naive, as the store and the warehouse keep times."""
    return aware_utcnow().replace(tzinfo=None)


def utcnow_to_the_second() -> datetime:
    """Now in UTC, naive, in whole seconds: playbook and segment moments are kept so."""
    return utcnow().replace(microsecond=0)


def aware_utcnow() -> datetime:
    """Now with its UTC time zone, for instants turned into epoch seconds (signed tokens)."""
    return datetime.now(UTC)
