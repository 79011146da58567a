"""SLA clocks in business hours: weekends, holidays, DST nights, time zones; deadline checks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from retain.churn.models import CustomerTask
from retain.settings import Settings
from retain.store import session_scope
from retain.support import service
from retain.support.deadlines import check_deadlines
from retain.support.sla import CalendarError, parse_calendar
from tests.support.helpers import T0, store_url

HOUR = timedelta(hours=1)
LONDON = parse_calendar(
    """
timezone: Europe/London
hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"],
        thu: ["09:00-17:00"], fri: ["09:00-12:00", "13:00-17:00"]}
holidays: ["2026-01-07"]
country: GB
targets:
  normal: {first_response: 4, resolution: 16}
""",
    source="test",
)


def test_hours_carry_over_nights_weekends_and_lunch() -> None:
    # T0 is Monday 10:00 in London (GMT = UTC in January).
    assert LONDON.add(T0, 8 * HOUR) == datetime(2026, 1, 6, 10, 0)
    friday_afternoon = datetime(2026, 1, 9, 16, 0)
    assert LONDON.add(friday_afternoon, 2 * HOUR) == datetime(2026, 1, 12, 10, 0)
    friday_morning = datetime(2026, 1, 9, 11, 30)
    assert LONDON.add(friday_morning, HOUR) == datetime(2026, 1, 9, 13, 30)
    saturday = datetime(2026, 1, 10, 12, 0)
    assert LONDON.add(saturday, timedelta()) == datetime(2026, 1, 12, 9, 0)


def test_listed_and_national_holidays_are_closed() -> None:
    tuesday_afternoon = datetime(2026, 1, 6, 16, 0)  # Wednesday the 7th is listed as closed
    assert LONDON.add(tuesday_afternoon, 2 * HOUR) == datetime(2026, 1, 8, 10, 0)
    christmas_eve = datetime(2026, 12, 24, 16, 0)  # 25th and 28th (Boxing Day substitute) closed
    assert LONDON.add(christmas_eve, 2 * HOUR) == datetime(2026, 12, 29, 10, 0)


@pytest.mark.parametrize(("day", "hours"), [("2026-03-29", 3), ("2026-10-25", 5)])
def test_a_dst_night_is_counted_in_real_hours(day: str, hours: int) -> None:
    nights = parse_calendar('timezone: Europe/London\nhours: {sun: ["00:00-04:00"]}', source="test")
    start = datetime.fromisoformat(day) - timedelta(hours=2)  # before the local midnight
    assert nights.elapsed(start, start + timedelta(days=1)) == timedelta(hours=hours)


def test_the_same_hours_in_another_zone_move_by_its_offset() -> None:
    text = 'timezone: {zone}\nhours: {{mon: ["09:00-17:00"], tue: ["09:00-17:00"]}}'
    shanghai = parse_calendar(text.format(zone="Asia/Shanghai"), source="test")
    utc = parse_calendar(text.format(zone="UTC"), source="test")
    sunday = datetime(2026, 1, 4, 12, 0)
    assert utc.add(sunday, HOUR) - shanghai.add(sunday, HOUR) == timedelta(hours=8)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("timezone: Mars/Olympus", "timezone"),
        ('hours: {mon: ["17:00-09:00"]}', "hours.mon"),
        ('hours: {funday: ["09:00-17:00"]}', "hours.funday"),
        ('hours: {mon: ["09:00-17:00"]}\nholidays: ["soon"]', "holidays"),
        ("hours: {}", "never open"),
        ('hours: {mon: ["09:00-17:00"]}\ntargets: {asap: {first_response: 1}}', "targets.asap"),
        ('hours: {mon: ["09:00-17:00"]}\ncountry: XX', "country"),
    ],
)
def test_bad_calendars_name_the_field(text: str, field: str) -> None:
    with pytest.raises(CalendarError, match=field):
        parse_calendar(text, source="calendar.yaml")


NEW_YORK = parse_calendar(
    """
timezone: America/New_York
hours: {mon: ["08:00-12:00", "13:00-18:00"], wed: ["10:00-16:00"], sat: ["01:00-03:30"]}
holidays: ["2026-03-11", "2026-11-04"]
""",
    source="test",
)
instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1))
durations = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=60))


@hypothesis_settings(max_examples=150, deadline=None)
@given(start=instants, first=durations, second=durations)
def test_business_time_adds_up(start: datetime, first: timedelta, second: timedelta) -> None:
    middle = NEW_YORK.add(start, first)
    assert NEW_YORK.elapsed(start, middle) == first
    assert NEW_YORK.add(middle, second) == NEW_YORK.add(start, first + second)
    assert NEW_YORK.elapsed(start, NEW_YORK.add(start, first + second)) == first + second


def test_deadlines_warn_then_breach_once(settings: Settings) -> None:
    url = store_url(settings)
    with session_scope(url) as session:
        ticket = service.open_ticket(
            session=session,
            customer_id="C1",
            requester_email=None,
            subject="Broken",
            body="It broke",
            channel="api",
            at=T0,
            calendar=LONDON,
        )
        assert ticket.first_response_due_at == T0 + 4 * HOUR
        check = {"calendar": LONDON, "warning": HOUR}
        assert check_deadlines(session, at=T0 + 2 * HOUR, **check).warned == 0
        assert check_deadlines(session, at=T0 + 3.5 * HOUR, **check).warned == 1
        [task] = session.scalars(select(CustomerTask))
        assert (task.customer_id, task.owner, task.due_on) == ("C1", "support", T0.date())
        assert f"#{ticket.id}" in task.title and "first response" in task.title
        assert check_deadlines(session, at=T0 + 3.6 * HOUR, **check).warned == 0
        breached = check_deadlines(session, at=T0 + 5 * HOUR, **check)
        assert (breached.breached, ticket.first_response_breached_at) == (1, T0 + 5 * HOUR)
        assert check_deadlines(session, at=T0 + 6 * HOUR, **check).breached == 0


def test_a_late_solve_is_a_breach_and_undated_tickets_get_targets(settings: Settings) -> None:
    url = store_url(settings)
    with session_scope(url) as session:
        ticket = service.open_ticket(
            session=session,
            customer_id="C1",
            requester_email=None,
            subject="s",
            body="b",
            channel="assistant",
            at=T0,
        )
        assert ticket.resolution_due_at is None
        check_deadlines(session, calendar=LONDON, warning=HOUR, at=T0)
        assert ticket.resolution_due_at == LONDON.add(T0, 16 * HOUR)
        service.add_message(
            session=session, ticket=ticket, author_kind="agent", body="hi", at=T0 + HOUR
        )
        assert ticket.first_response_breached_at is None
        late = ticket.resolution_due_at + HOUR
        service.change_status(session=session, ticket=ticket, status="solved", at=late)
        assert ticket.resolution_breached_at == late
