"""Calendar periods and the boundary arithmetic that metrics use on every backend.

A grid of ``count`` periods starts at ``origin``: boundary ``k`` is ``origin + k * step`` and
period ``p`` is the half-open range (boundary p, boundary p + 1]. Boundaries are UTC instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import ibis
import ibis.expr.types as ir

PeriodUnit = Literal["week", "month", "quarter", "year"]
MONTHS_PER_UNIT = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class PeriodGrid:
    """``count`` consecutive calendar periods of one unit, starting at ``origin``."""

    origin: datetime
    unit: PeriodUnit
    count: int

    @classmethod
    def covering(cls, *, start: date, end: date, unit: PeriodUnit) -> PeriodGrid:
        """The periods from the one holding ``start`` to the one holding ``end`` (inclusive)."""
        if start > end:
            raise ValueError(f"--from {start} is after --to {end}")
        origin = period_start(start, unit)
        count = 1
        while (cls(origin, unit, count).boundary(count)).date() <= end:
            count += 1
        return cls(origin, unit, count)

    def boundary(self, k: int) -> datetime:
        """The instant at which period ``k`` begins (and period ``k - 1`` ends)."""
        if self.unit == "week":
            return self.origin + timedelta(weeks=k)
        months = self.origin.month - 1 + k * MONTHS_PER_UNIT[self.unit]
        return self.origin.replace(year=self.origin.year + months // 12, month=months % 12 + 1)

    @property
    def boundaries(self) -> list[datetime]:
        return [self.boundary(k) for k in range(self.count + 1)]

    def first_boundary_at_or_after(self, at: ir.TimestampValue) -> ir.IntegerValue:
        """Index of the first boundary at or after ``at``: the period ``at`` belongs to, plus one.

        An instant exactly on a boundary belongs to the period that ends there.
        """
        start = self._start_index(at)
        on_boundary = at == self._boundary_expr(start)
        return ibis.ifelse(on_boundary, start, start + 1)

    def period_of(self, at: ir.TimestampValue) -> ir.IntegerValue:
        """Index of the period (boundary p, boundary p + 1] that holds ``at``."""
        return self.first_boundary_at_or_after(at) - 1

    def _start_index(self, at: ir.TimestampValue) -> ir.IntegerValue:
        """Index of the last boundary at or before ``at`` (may be negative or past the grid)."""
        if self.unit == "week":
            origin = ibis.timestamp(self.origin)
            days = (at.date() - origin.date()).cast("int64")  # type: ignore[attr-defined]
            return (days / 7).floor().cast("int64")
        months = (at.year() - self.origin.year) * 12 + (at.month() - self.origin.month)
        return (months / MONTHS_PER_UNIT[self.unit]).floor().cast("int64")

    def _boundary_expr(self, k: ir.IntegerValue) -> ir.TimestampValue:
        origin = ibis.timestamp(self.origin)
        if self.unit == "week":
            return origin + (k * 7).as_interval("D")
        return origin + (k * MONTHS_PER_UNIT[self.unit]).as_interval("M")

    def boundary_table(self) -> ir.Table:
        """One row per boundary: ``k`` and its instant ``at``."""
        return ibis.memtable({"k": list(range(self.count + 1)), "at": self.boundaries})

    def period_table(self) -> ir.Table:
        """One row per period: ``q`` from 0 to count - 1."""
        return ibis.memtable({"q": list(range(self.count))})


def period_start(day: date, unit: PeriodUnit) -> datetime:
    """The first instant of the calendar period that holds ``day``."""
    if unit == "week":
        monday = day - timedelta(days=day.weekday())
        return datetime(monday.year, monday.month, monday.day)
    month = (day.month - 1) // MONTHS_PER_UNIT[unit] * MONTHS_PER_UNIT[unit] + 1
    return datetime(day.year, month, 1)
