"""Business-hours clocks for SLA targets: a calendar of weekly hours, holidays and a time zone.

A calendar is YAML::

    timezone: Europe/London
    hours:                       # local wall-clock opening hours per weekday
      mon: ["09:00-17:00"]
      tue: ["09:00-12:00", "13:00-17:00"]
    holidays: ["2026-12-25"]     # explicit dates, local
    country: GB                  # optional: public holidays from the `holidays` package
    targets:                     # business hours per priority
      urgent: {first_response: 1, resolution: 8}
      normal: {first_response: 8, resolution: 40}

Durations are real elapsed time inside opening hours: on the night clocks change, an hour of
business is still sixty minutes, because each opening interval is placed on the UTC line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from retain.sandbox import load_yaml

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = ("low", "normal", "high", "urgent")
# Searching further than this for opening hours means the calendar has none.
HORIZON_DAYS = 3 * 366

DEFAULT_CALENDAR = """
timezone: UTC
hours:
  mon: ["09:00-17:00"]
  tue: ["09:00-17:00"]
  wed: ["09:00-17:00"]
  thu: ["09:00-17:00"]
  fri: ["09:00-17:00"]
holidays: []
targets:
  low: {first_response: 24, resolution: 80}
  normal: {first_response: 8, resolution: 40}
  high: {first_response: 4, resolution: 16}
  urgent: {first_response: 1, resolution: 8}
"""


class CalendarError(ValueError):
    """A calendar file that cannot be used, naming the field at fault."""


@dataclass(frozen=True)
class Target:
    first_response: timedelta
    resolution: timedelta


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours in a time zone; times in and out are naive UTC like the rest of the store."""

    zone: ZoneInfo
    hours: dict[int, tuple[tuple[time, time], ...]]
    closed_dates: frozenset[date] = frozenset()
    country: str | None = None
    targets: dict[str, Target] = field(default_factory=dict)

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` (local) is closed for a holiday, listed or national."""
        if day in self.closed_dates:
            return True
        return self.country is not None and day in _national(self.country, day.year)

    def intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals in naive UTC, in order, from the local day holding ``start``."""
        first = _aware(start).astimezone(self.zone).date()
        for offset in range(HORIZON_DAYS):
            day = first + timedelta(days=offset)
            if self.is_holiday(day):
                continue
            for opens, closes in self.hours.get(day.weekday(), ()):
                begin = _utc(datetime.combine(day, opens, self.zone))
                end = _utc(datetime.combine(day, closes, self.zone))
                if end > start:
                    yield max(begin, start), end
        if offset == HORIZON_DAYS - 1:
            raise CalendarError("the calendar has no opening hours in the next three years")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of business time has passed since ``start``."""
        remaining = duration
        cursor = start
        for begin, end in self.intervals(start):
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
            cursor = end
        return cursor

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (zero when ``end`` is not after ``start``)."""
        total = timedelta()
        if end <= start:
            return total
        for begin, close in self.intervals(start):
            if begin >= end:
                break
            total += min(close, end) - begin
        return total

    def target(self, priority: str) -> Target | None:
        """The SLA targets for a priority, if the calendar sets any."""
        return self.targets.get(priority)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


_national_cache: dict[tuple[str, int], Any] = {}


def _national(country: str, year: int) -> Any:
    import holidays as holiday_tables

    key = (country, year)
    if key not in _national_cache:
        _national_cache[key] = holiday_tables.country_holidays(country, years=year)
    return _national_cache[key]


def _supported_countries() -> dict[str, Any]:
    import holidays as holiday_tables

    return holiday_tables.list_supported_countries()  # type: ignore[no-any-return]


def load_calendar(path: Path | None) -> BusinessCalendar:
    """The calendar in ``path``, or the default (weekdays 9 to 5 UTC) when there is none."""
    if path is None:
        return parse_calendar(DEFAULT_CALENDAR, source="default calendar")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CalendarError(f"{path}: cannot read ({error.strerror})") from None
    return parse_calendar(text, source=str(path))


def parse_calendar(text: str, *, source: str) -> BusinessCalendar:
    """A calendar from YAML text; CalendarError names ``source`` and the field at fault."""
    try:
        raw = load_yaml(text) or {}
    except yaml.YAMLError as error:
        raise CalendarError(f"{source}: not valid YAML ({error})") from None
    if not isinstance(raw, dict):
        raise CalendarError(f"{source}: expected a mapping at the top")
    zone_name = str(raw.get("timezone", "UTC"))
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"{source}: timezone: unknown time zone {zone_name!r}") from None
    country = raw.get("country")
    if country is not None and str(country) not in _supported_countries():
        raise CalendarError(f"{source}: country: no holiday table for {country!r}")
    hours = _hours(raw.get("hours") or {}, source)
    if not any(hours.values()):
        raise CalendarError(f"{source}: hours: the calendar is never open")
    return BusinessCalendar(
        zone=zone,
        hours=hours,
        closed_dates=_dates(raw.get("holidays") or [], source),
        country=None if country is None else str(country),
        targets=_targets(raw.get("targets") or {}, source),
    )


def _hours(raw: Any, source: str) -> dict[int, tuple[tuple[time, time], ...]]:
    if not isinstance(raw, dict):
        raise CalendarError(f'{source}: hours: expected weekday: ["09:00-17:00", ...]')
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for name, spans in raw.items():
        key = str(name).lower()[:3]
        if key not in WEEKDAYS:
            raise CalendarError(f"{source}: hours.{name}: not a weekday (mon..sun)")
        hours[WEEKDAYS.index(key)] = tuple(
            _span(span, f"{source}: hours.{name}") for span in spans or []
        )
    return hours


def _span(text: Any, where: str) -> tuple[time, time]:
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in str(text).split("-"))
    except ValueError:
        raise CalendarError(f"{where}: {text!r} is not HH:MM-HH:MM") from None
    if closes <= opens:
        raise CalendarError(f"{where}: {text!r} closes before it opens")
    return opens, closes


def _dates(raw: Any, source: str) -> frozenset[date]:
    found = set()
    for index, value in enumerate(raw):
        try:
            found.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise CalendarError(
                f"{source}: holidays[{index}]: {value!r} is not YYYY-MM-DD"
            ) from None
    return frozenset(found)


def _targets(raw: Any, source: str) -> dict[str, Target]:
    targets = {}
    for priority, spec in dict(raw).items():
        if priority not in PRIORITIES:
            raise CalendarError(f"{source}: targets.{priority}: not one of {', '.join(PRIORITIES)}")
        try:
            targets[priority] = Target(
                first_response=timedelta(hours=float(spec["first_response"])),
                resolution=timedelta(hours=float(spec["resolution"])),
            )
        except (KeyError, TypeError, ValueError):
            raise CalendarError(
                f"{source}: targets.{priority}: needs first_response and resolution in hours"
            ) from None
    return targets
