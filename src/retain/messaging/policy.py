"""Whether a message may go now: consent, suppression, frequency cap and quiet hours.

The decision is a pure function of gathered facts, so a worker pass gathers the facts of a
whole batch in a few queries and then decides each message without touching the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain.customers.models import CustomerProfile
from retain.messaging.consent import normalise_address
from retain.messaging.models import RECEIVED_STATUSES, Consent, Delivery, Suppression
from retain.settings import Settings

Action = Literal["send", "defer", "skip"]


@dataclass(frozen=True)
class Decision:
    """What to do with a message now: send, defer until ``until``, or skip for ``reason``."""

    action: Action
    until: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Rules:
    """The respect rules in force, from settings."""

    consent_default: Literal["opt-in", "opt-out"]
    cap: int
    window: timedelta
    quiet_start: time
    quiet_end: time
    default_zone: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        start, end = settings.messaging.quiet_hours.split("-")
        return cls(
            consent_default=settings.messaging.consent_default,
            cap=settings.messaging.frequency_cap,
            window=timedelta(days=settings.messaging.frequency_window_days),
            quiet_start=time.fromisoformat(start),
            quiet_end=time.fromisoformat(end),
            default_zone=settings.region.default_timezone,
        )


@dataclass
class Facts:
    """What the store knows about a batch's customers, gathered in a few queries."""

    profiles: dict[str, CustomerProfile] = field(default_factory=dict)
    consent: dict[tuple[str, str], bool] = field(default_factory=dict)
    suppressed: set[tuple[str, str]] = field(default_factory=set)
    received: Counter[str] = field(default_factory=Counter)


def gather_facts(
    *, session: Session, customer_ids: Collection[str], window: timedelta, at: datetime
) -> Facts:
    """Profiles, consents, suppressions and recent sends of ``customer_ids``."""
    ids = list(set(customer_ids))
    facts = Facts()
    # SQLite allows 32k bound parameters; batches are far smaller, but chunk to be safe.
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for profile in session.scalars(
            select(CustomerProfile).where(CustomerProfile.customer_id.in_(chunk))
        ):
            facts.profiles[profile.customer_id] = profile
        for consent in session.scalars(select(Consent).where(Consent.customer_id.in_(chunk))):
            facts.consent[(consent.customer_id, consent.channel)] = consent.granted
        counts = session.execute(
            select(Delivery.customer_id, func.count())
            .where(Delivery.customer_id.in_(chunk))
            .where(Delivery.status.in_(RECEIVED_STATUSES))
            .where(Delivery.sent_at > at - window)
            .group_by(Delivery.customer_id)
        )
        facts.received.update({customer_id: count for customer_id, count in counts})
    addresses = {
        normalise_address(value)
        for profile in facts.profiles.values()
        for value in (profile.email, profile.phone)
        if value
    } | set(ids)
    for start in range(0, len(addresses), 5000):
        chunk = list(addresses)[start : start + 5000]
        rows = session.execute(
            select(Suppression.address, Suppression.channel).where(Suppression.address.in_(chunk))
        )
        facts.suppressed.update((address, channel) for address, channel in rows)
    return facts


def decide(
    *, rules: Rules, facts: Facts, customer_id: str, channel: str, address: str | None, at: datetime
) -> Decision:
    """The decision for one message to ``customer_id`` on ``channel`` at ``at`` (naive UTC)."""
    if address is None:
        return Decision("skip", reason=f"no {channel} address for the customer")
    granted = facts.consent.get((customer_id, channel))
    if granted is False or (granted is None and rules.consent_default == "opt-in"):
        return Decision("skip", reason=f"no consent for {channel}")
    if (normalise_address(address), channel) in facts.suppressed:
        return Decision("skip", reason=f"{channel} address suppressed")
    if facts.received[customer_id] >= rules.cap:
        return Decision("skip", reason=f"frequency cap of {rules.cap} reached")
    profile = facts.profiles.get(customer_id)
    zone = _zone(profile.time_zone if profile else None, rules.default_zone)
    quiet_until = end_of_quiet_hours(rules=rules, zone=zone, at=at)
    if quiet_until is not None:
        return Decision("defer", until=quiet_until, reason="quiet hours")
    return Decision("send")


def end_of_quiet_hours(*, rules: Rules, zone: ZoneInfo, at: datetime) -> datetime | None:
    """When the quiet hours around ``at`` end (naive UTC), or None when ``at`` is not in them."""
    local = at.replace(tzinfo=UTC).astimezone(zone)
    now, start, end = local.time(), rules.quiet_start, rules.quiet_end
    wraps = start > end  # 21:00-08:00 spans midnight
    quiet = (now >= start or now < end) if wraps else (start <= now < end)
    if not quiet:
        return None
    day = local.date() + timedelta(days=1) if wraps and now >= start else local.date()
    ends = datetime.combine(day, end, tzinfo=zone)
    return ends.astimezone(UTC).replace(tzinfo=None)


def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)
