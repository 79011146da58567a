"""The SQL that the key metrics compile to, per dialect, kept under review as snapshots.

A change in generated SQL fails here first; after checking it, refresh the files with
RETAIN_UPDATE_SNAPSHOTS=1 pytest tests/metrics/test_sql_snapshots.py.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pytest

from retain.metrics.activity import ActivitySource, active_ranges, events
from retain.metrics.cohorts import cohort_customers
from retain.metrics.periods import PeriodGrid
from retain.metrics.retention import boundary_counts
from retain.metrics.revenue import mrr_movements
from retain.warehouse import CANONICAL_TABLES

MEMTABLE = re.compile(r"ibis_pandas_memtable_[a-z0-9]+")
SNAPSHOTS = Path(__file__).parent / "snapshots"
GRID = PeriodGrid.covering(start=date(2024, 1, 1), end=date(2025, 12, 31), unit="month")


def normalise_memtables(sql: str) -> str:
    names: dict[str, str] = {}
    return MEMTABLE.sub(lambda found: names.setdefault(found[0], f"grid_{len(names)}"), sql)


def canonical(name: str) -> ir.Table:
    return ibis.table(CANONICAL_TABLES[name], name=name)


def source() -> ActivitySource:
    return ActivitySource(
        order=canonical("order"), subscription_change=canonical("subscription_change")
    )


def crr() -> ir.Table:
    ranges = active_ranges(events(source(), "any"), GRID, window_days=365)
    return boundary_counts(ranges.mutate(dimension=ibis.literal("all")), GRID)


def ndr() -> ir.Table:
    changes = canonical("subscription_change")
    return mrr_movements(changes.mutate(dimension=ibis.literal("all")), GRID)


def cohorts() -> ir.Table:
    return cohort_customers(source(), "any", GRID)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
@pytest.mark.parametrize("name", ["crr", "ndr", "cohorts"])
def test_generated_sql_matches_snapshot(name: str, dialect: str) -> None:
    expression = {"crr": crr, "ndr": ndr, "cohorts": cohorts}[name]()
    # In-memory tables (the period grid) get random names: name them by order of appearance.
    sql = normalise_memtables(ibis.to_sql(expression, dialect=dialect)) + "\n"
    path = SNAPSHOTS / f"{name}.{dialect}.sql"

    if os.environ.get("RETAIN_UPDATE_SNAPSHOTS"):
        path.write_text(sql, encoding="utf-8")

    assert path.is_file(), f"no snapshot {path.name}: run with RETAIN_UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8")
