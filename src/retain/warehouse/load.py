"""Merge a validated staging table into a canonical warehouse table, all or nothing.

The staging table ``_stage`` lives in a DuckDB connection. For a DuckDB warehouse it is the
warehouse's own connection; for PostgreSQL it is copied over with COPY inside the transaction.
Both engines then run the same standard SQL, so the checks and the insert mean one thing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from ibis.backends import BaseBackend

from retain.warehouse.sql import quote_identifier as _quote
from retain.warehouse.sql import quote_literal as _literal

STAGE = "_stage"
COPY_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class MergePlan:
    """Which table to merge into, by which key, and what must already exist there."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    # (column, table, table column, reason): values that must exist in another table.
    references: tuple[tuple[str, str, str, str], ...] = ()
    # A staged row replaces the stored row of its key instead of conflicting with it.
    replace: bool = False


@dataclass(frozen=True)
class Finding:
    """A staged row that cannot be merged."""

    row: int
    column: str
    value: str | None
    reason: str


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    unchanged: int
    findings: list[Finding]
    total_findings: int


class _Rollback(Exception):
    """Raised inside the transaction so that a merge with findings changes nothing."""

    def __init__(self, result: MergeResult) -> None:
        self.result = result


def merge_stage(
    backend: BaseBackend,
    staging: duckdb.DuckDBPyConnection,
    *,
    plan: MergePlan,
    limit: int,
    before_commit: Callable[[], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> MergeResult:
    """Check references and conflicts, then insert the new rows, in one transaction.

    Nothing is written when any staged row names a missing reference or differs from a row
    already stored under the same key: the findings come back instead. ``before_commit`` runs
    inside the transaction, so a failure there rolls the warehouse back too.
    """
    try:
        with _transaction(backend, staging, plan, on_progress) as execute:
            return _merge(execute, plan, limit, before_commit)
    except _Rollback as rollback:
        return rollback.result


Execute = Callable[[str], list[tuple[Any, ...]]]


def _merge(
    execute: Execute, plan: MergePlan, limit: int, before_commit: Callable[[], None] | None
) -> MergeResult:
    staged = execute(f"SELECT count(*) FROM {STAGE}")[0][0]
    if plan.replace:
        execute(
            f"DELETE FROM {_quote(plan.table)} WHERE EXISTS "
            f"(SELECT 1 FROM {STAGE} s WHERE {_key_match(plan, stored=_quote(plan.table))})"
        )
    findings, total = _findings(execute, plan, limit)
    if findings:
        raise _Rollback(MergeResult(0, 0, findings, total))
    columns = ", ".join(_quote(column) for column in plan.columns)
    inserted = execute(
        f"INSERT INTO {_quote(plan.table)} ({columns}) SELECT {columns} FROM {STAGE} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {_quote(plan.table)} t WHERE {_key_match(plan)})"
    )
    count = int(inserted[0][0]) if inserted else 0
    if before_commit is not None:
        before_commit()
    return MergeResult(count, int(staged) - count, [], 0)


def _findings(execute: Execute, plan: MergePlan, limit: int) -> tuple[list[Finding], int]:
    queries = [_missing_reference_sql(*reference) for reference in plan.references]
    queries.append(_conflict_sql(plan))
    every = " UNION ALL ".join(f"({query})" for query in queries)
    rows = execute(f"SELECT *, count(*) OVER () FROM ({every}) f ORDER BY 1 LIMIT {limit}")
    findings = [Finding(int(row), column, value, reason) for row, column, value, reason, _ in rows]
    return findings, int(rows[0][4]) if rows else 0


def _missing_reference_sql(column: str, table: str, table_column: str, reason: str) -> str:
    return (
        f"SELECT s._row, {_literal(column)}, CAST(s.{_quote(column)} AS VARCHAR), "
        f"{_literal(reason)} "
        f"FROM {STAGE} s WHERE s.{_quote(column)} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {_quote(table)} t WHERE t.{_quote(table_column)} = s.{_quote(column)})"
    )


def _conflict_sql(plan: MergePlan) -> str:
    compared = [column for column in plan.columns if column not in plan.key]
    differs = [f"s.{_quote(c)} IS DISTINCT FROM t.{_quote(c)}" for c in compared]
    which = " ".join(
        f"WHEN {test} THEN {_literal(column)}"
        for test, column in zip(differs, compared, strict=True)
    )
    stored = " ".join(
        f"WHEN {test} THEN coalesce(CAST(t.{_quote(column)} AS VARCHAR), 'empty') || ' → ' || "
        f"coalesce(CAST(s.{_quote(column)} AS VARCHAR), 'empty')"
        for test, column in zip(differs, compared, strict=True)
    )
    reason = _literal(f"{' + '.join(plan.key)} already imported with a different value")
    return (
        f"SELECT s._row, CASE {which} END, CASE {stored} END, "
        f"{reason} "
        f"FROM {STAGE} s JOIN {_quote(plan.table)} t ON {_key_match(plan)} "
        f"WHERE {' OR '.join(differs) or 'FALSE'}"
    )


def _key_match(plan: MergePlan, *, stored: str = "t") -> str:
    return " AND ".join(f"{stored}.{_quote(column)} = s.{_quote(column)}" for column in plan.key)


@contextmanager
def _transaction(
    backend: BaseBackend,
    staging: duckdb.DuckDBPyConnection,
    plan: MergePlan,
    on_progress: Callable[[float], None] | None,
) -> Iterator[Execute]:
    if backend.name == "duckdb":
        with _duckdb_transaction(backend.con) as execute:
            yield execute
    elif backend.name == "postgres":
        with _postgres_transaction(backend.con, staging, plan, on_progress) as execute:
            yield execute
    else:
        raise ValueError(f"loading into a {backend.name} warehouse is not supported")


@contextmanager
def _duckdb_transaction(con: duckdb.DuckDBPyConnection) -> Iterator[Execute]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield lambda sql: con.execute(sql).fetchall()
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def _postgres_transaction(
    con: Any,
    staging: duckdb.DuckDBPyConnection,
    plan: MergePlan,
    on_progress: Callable[[float], None] | None,
) -> Iterator[Execute]:
    with con.transaction(), con.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {STAGE} (_row BIGINT, LIKE {_quote(plan.table)}) ON COMMIT DROP"
        )
        _copy_stage(cursor, staging, plan, on_progress)
        cursor.execute(f"ANALYZE {STAGE}")
        # Merges into one table take turns, so that each one's checks see what the one before
        # it stored: two imports of one file store it once. Held until the transaction ends.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('retain.warehouse.merge'), hashtext(%s))",
            (plan.table,),
        )

        def execute(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql)
            if cursor.description is None:
                return [(cursor.rowcount,)]
            return list(cursor.fetchall())

        yield execute


def _copy_stage(
    cursor: Any,
    staging: duckdb.DuckDBPyConnection,
    plan: MergePlan,
    on_progress: Callable[[float], None] | None,
) -> None:
    columns = ", ".join(["_row", *(_quote(column) for column in plan.columns)])
    with tempfile.TemporaryDirectory(prefix="retain-copy-") as folder:
        path = Path(folder) / "stage.csv"
        staging.execute(
            f"COPY (SELECT {columns} FROM {STAGE}) TO {_literal(str(path))} "
            "(FORMAT csv, HEADER false)"
        )
        size = max(os.path.getsize(path), 1)
        sent = 0
        with (
            path.open("rb") as source,
            cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN (FORMAT csv)") as copy,
        ):
            while chunk := source.read(COPY_CHUNK_BYTES):
                copy.write(chunk)
                sent += len(chunk)
                if on_progress is not None:
                    on_progress(sent / size)


def staging_connection(backend: BaseBackend) -> duckdb.DuckDBPyConnection:
    """Where a stage is built: a DuckDB warehouse's own connection, else a DuckDB in memory.

    A DuckDB warehouse then merges without copying; PostgreSQL receives the stage by COPY.
    """
    if backend.name == "duckdb":
        return backend.con
    return duckdb.connect()


def merge_frame(
    backend: BaseBackend, frame: pd.DataFrame, *, plan: MergePlan, projection: str = "*"
) -> int:
    """Merge rows the application produced into ``plan.table``; rows already there are skipped.

    ``projection`` casts the frame's columns to the warehouse types where pandas cannot tell
    them (timestamps, decimals, nullable integers). A row that differs from the stored row of
    its key is a bug upstream, not bad input, so it raises.
    """
    staging = staging_connection(backend)
    view = f"_{plan.table}_frame"
    staging.register(view, frame.reset_index(drop=True).reset_index(names="_row"))
    try:
        staging.execute(
            f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT _row, {projection} FROM {view}"
            if projection != "*"
            else f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * FROM {view}"
        )
        result = merge_stage(backend, staging, plan=plan, limit=10)
    finally:
        staging.unregister(view)
        staging.execute(f"DROP TABLE IF EXISTS {STAGE}")
    if result.findings:
        raise RuntimeError(f"{plan.table}: rows conflict with the warehouse: {result.findings[0]}")
    return result.inserted
