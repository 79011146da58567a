"""The one outbox: every fact the store produces reaches the warehouse here, each exactly once.

Each domain declares a ``Source``: which store rows become which rows of a canonical warehouse
table. ``export_to_warehouse`` reads a source's new rows in chunks, merges each chunk into the
warehouse by key (rows already there are skipped), and only then records how far it got:

- rows that are only ever appended (ledger entries, ticket events) are read after a cursor, one
  row per source in the store's ``warehouse_export`` table;
- rows that become exportable or change after they are written (a delivery reaching its outcome,
  a re-analysed review) carry their own ``exported_at`` stamp, cleared when they change.

Progress reaches the store after the warehouse committed (``export_from_store`` commits after
each chunk; ``export_to_warehouse`` leaves the commit to its caller). A crash in between stages
the same rows again and the merge by key skips them (or, for a source that ``replaces``, writes
the same values again), so a re-run leaves each fact there once.

The warehouse package knows no domain: domains pass their sources in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import pandas as pd
from ibis.backends import BaseBackend
from ibis.backends.sql.datatypes import DuckDBType
from sqlalchemy import Select, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from retain.clock import utcnow
from retain.store import session_scope, upsert
from retain.warehouse.connection import connect
from retain.warehouse.load import MergePlan, merge_frame
from retain.warehouse.models import WarehouseExport
from retain.warehouse.schema import CANONICAL_TABLES
from retain.warehouse.sql import quote_identifier

CHUNK = 50_000
# The store row's id in every chunk read, whatever the source's own columns are called.
ROW_ID = "row_id"
STAMP_BATCH = 5_000


def _unchanged(rows: pd.DataFrame) -> pd.DataFrame:
    return rows


@dataclass(frozen=True)
class Source:
    """Which store rows become which rows of the canonical warehouse table ``table``.

    ``rows`` selects the store columns, labelled with the warehouse column names where they
    match; ``to_warehouse`` turns a chunk of them into warehouse rows (it may derive columns
    and drop rows that stay in the store). ``row_id`` orders the reading; for an append-only
    source it must rise with every new row, as the cursor remembers the last one. A source with
    ``exported_at`` is stamped instead of followed by a cursor. With ``replaces``, a row stored
    again under a key already in the warehouse replaces the row there.
    """

    table: str
    key: tuple[str, ...]
    rows: Select[*tuple[Any, ...]]
    row_id: QueryableAttribute[Any]
    to_warehouse: Callable[[pd.DataFrame], pd.DataFrame] = _unchanged
    exported_at: QueryableAttribute[Any] | None = None
    replaces: bool = False

    @property
    def plan(self) -> MergePlan:
        columns = tuple(CANONICAL_TABLES[self.table].names)
        return MergePlan(table=self.table, key=self.key, columns=columns, replace=self.replaces)


def export_to_warehouse(
    *, session: Session, backend: BaseBackend, sources: Sequence[Source]
) -> dict[str, int]:
    """Copy every source's new store rows to the warehouse; per table, how many rows it took.

    Progress is written in ``session``: it becomes durable when the caller commits.
    """
    return {
        source.table: _export(lambda: nullcontext(session), backend, source) for source in sources
    }


def _export(
    sessions: Callable[[], AbstractContextManager[Session]], backend: BaseBackend, source: Source
) -> int:
    exported = 0
    while True:
        with sessions() as session:
            chunk = _next_chunk(session, source, limit=CHUNK)
            if chunk.empty:
                return exported
            rows = source.to_warehouse(chunk)
            if not rows.empty:
                exported += _merge(backend, source, rows)
            _record_progress(session, source, chunk[ROW_ID].tolist())


def _next_chunk(session: Session, source: Source, *, limit: int) -> pd.DataFrame:
    statement = source.rows.add_columns(source.row_id.label(ROW_ID))
    if source.exported_at is None:
        statement = statement.where(source.row_id > _cursor(session, source))
    else:
        statement = statement.where(source.exported_at.is_(None))
    result = session.execute(statement.order_by(source.row_id).limit(limit))
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _cursor(session: Session, source: Source) -> int:
    # A query, not session.get: the upsert bypasses the identity map.
    position = session.scalar(
        select(WarehouseExport.position).where(WarehouseExport.name == source.table)
    )
    return position or 0


def _record_progress(session: Session, source: Source, row_ids: list[Any]) -> None:
    if source.exported_at is None:
        position = int(max(row_ids))
        upsert(session, WarehouseExport, [{"name": source.table, "position": position}])
        return
    now = utcnow()
    for start in range(0, len(row_ids), STAMP_BATCH):
        session.execute(
            update(source.exported_at.class_)
            .where(source.row_id.in_(row_ids[start : start + STAMP_BATCH]))
            .values({source.exported_at.key: now})
        )


def _merge(backend: BaseBackend, source: Source, rows: pd.DataFrame) -> int:
    plan = source.plan
    return merge_frame(
        backend, rows[list(plan.columns)], plan=plan, projection=_projection(source.table)
    )


def _projection(table: str) -> str:
    """Each column cast to its warehouse type, where pandas cannot tell (timestamps, decimals)."""
    columns = [
        (quote_identifier(name), DuckDBType.to_string(dtype))
        for name, dtype in CANONICAL_TABLES[table].items()
    ]
    return ", ".join(f"CAST({name} AS {sql_type}) AS {name}" for name, sql_type in columns)


def export_from_store(
    *, store_url: str, backend: BaseBackend, sources: Sequence[Source]
) -> dict[str, int]:
    """``export_to_warehouse`` with a store transaction per chunk: no long store lock."""
    return {
        source.table: _export(lambda: session_scope(store_url), backend, source)
        for source in sources
    }


def export_pending(
    *, store_url: str, warehouse_url: str, sources: Sequence[Source]
) -> dict[str, int]:
    """``export_from_store``, connecting to the warehouse only when some source has new rows.

    DuckDB allows one writing process: a periodic export must not take the file when idle.
    """
    with session_scope(store_url) as session:
        waiting = [source for source in sources if not _next_chunk(session, source, limit=1).empty]
    exported = dict.fromkeys((source.table for source in sources), 0)
    if not waiting:
        return exported
    backend = connect(warehouse_url)
    try:
        exported |= export_from_store(store_url=store_url, backend=backend, sources=waiting)
    finally:
        backend.disconnect()
    return exported
