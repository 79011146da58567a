"""Consent defaults, frequency cap and quiet hours in the customer's own time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from retain.messaging.policy import Facts, Rules, decide
from retain.messaging.service import deliver_due
from retain.settings import Settings, get_settings
from tests.messaging.conftest import Inbox
from tests.messaging.helpers import NOON, add_customer, delivery, queue

RULES = Rules(
    consent_default="opt-out",
    cap=3,
    window=timedelta(days=7),
    quiet_start=time(21),
    quiet_end=time(8),
    default_zone="UTC",
)


def _decide(zone: str, at: datetime, rules: Rules = RULES, facts: Facts | None = None):  # type: ignore[no-untyped-def]
    from retain.customers.models import CustomerProfile

    facts = facts or Facts()
    facts.profiles["C1"] = CustomerProfile(customer_id="C1", time_zone=zone)
    return decide(
        rules=rules, facts=facts, customer_id="C1", channel="email", address="a@b.c", at=at
    )


def test_the_same_instant_is_quiet_in_shanghai_and_not_in_new_york() -> None:
    instant = datetime(2026, 3, 2, 14, 0)  # 22:00 in Shanghai, 09:00 in New York
    shanghai = _decide("Asia/Shanghai", instant)
    assert shanghai.action == "defer"
    assert shanghai.until == datetime(2026, 3, 3, 0, 0)  # 08:00 next morning in Shanghai
    assert _decide("America/New_York", instant).action == "send"


def test_quiet_hours_after_midnight_end_the_same_local_morning() -> None:
    instant = datetime(2026, 7, 1, 6, 30)  # 02:30 in New York (summer time, UTC-4)
    decision = _decide("America/New_York", instant)
    assert decision.action == "defer" and decision.until == datetime(2026, 7, 1, 12, 0)


def test_an_unknown_zone_falls_back_to_the_default() -> None:
    assert _decide("Mars/Olympus", datetime(2026, 3, 2, 23, 0)).action == "defer"


def test_opt_in_needs_a_recorded_grant() -> None:
    opt_in = Rules(**{**RULES.__dict__, "consent_default": "opt-in"})
    assert _decide("UTC", NOON, rules=opt_in).reason == "no consent for email"
    granted = Facts(consent={("C1", "email"): True})
    assert _decide("UTC", NOON, rules=opt_in, facts=granted).action == "send"


def test_frequency_cap_counts_sends_across_channels(
    messaging: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    add_customer(messaging, "C1")
    for number in range(3):
        queue(messaging, f"email-{number}", "C1")
    queue(messaging, "hook", "C1", channel="webhook")
    summary = deliver_due(settings=messaging, at=NOON)
    assert (summary.sent, summary.skipped) == (3, 1)
    assert delivery(messaging, "hook").last_error == "frequency cap of 3 reached"
    queue(messaging, "next-week", "C1")
    deliver_due(settings=messaging, at=NOON + timedelta(days=7, seconds=1))
    assert delivery(messaging, "next-week").status == "sent"


@pytest.mark.parametrize(("zone", "expected"), [("Asia/Shanghai", "queued"), ("UTC", "sent")])
def test_a_deferred_message_waits_for_the_morning(
    messaging: Settings, zone: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fixture turns quiet hours off; this test is about the default ones.
    monkeypatch.delenv("RETAIN_QUIET_HOURS")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.messaging.quiet_hours == "21:00-08:00"
    add_customer(settings, "C1", time_zone=zone)
    queue(settings, "evening", "C1")
    night = NOON + timedelta(hours=2)  # 22:00 in Shanghai
    assert deliver_due(settings=settings, at=night).deferred == (expected == "queued")
    row = delivery(settings, "evening")
    assert row.status == expected
    if expected == "queued":
        assert row.next_attempt_at == NOON + timedelta(hours=12)
        deliver_due(settings=settings, at=row.next_attempt_at)
        assert delivery(settings, "evening").status == "sent"
