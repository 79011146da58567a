"""Import files into the warehouse (and profiles into the store): validated, all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from retain.clock import utcnow
from retain.customers.service import upsert_profiles
from retain.ingest.kinds import Kind, get_kind
from retain.ingest.mapping import ColumnMapping, check_timezone, load_mapping
from retain.ingest.models import ImportRun
from retain.ingest.problems import IngestError, Problem
from retain.ingest.progress import Progress, enable_progress, run_with_progress
from retain.ingest.staging import STAGE, StagedFile, StageOptions, stage_file
from retain.settings import Settings, get_settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from retain.warehouse.load import MergePlan, merge_stage, staging_connection

log = logging.getLogger(__name__)
PROFILE_BATCH = 50_000


@dataclass(frozen=True)
class ImportResult:
    """What an import read and what it changed."""

    kind: str
    source: str
    rows_read: int
    rows_inserted: int
    rows_unchanged: int
    ignored_columns: list[str] = field(default_factory=list)


def ingest_file(
    *,
    kind: str,
    path: Path,
    settings: Settings | None = None,
    mapping_path: Path | None = None,
    timezone: str | None = None,
    encoding: str = "utf-8",
    max_problems: int | None = None,
    on_progress: Progress | None = None,
    backend: BaseBackend | None = None,
) -> ImportResult:
    """Validate ``path`` as an import of ``kind`` and merge it into the warehouse, or raise.

    ``backend`` is an open warehouse connection to use (and leave open), e.g. the server's.
    """
    settings = settings or get_settings()
    spec = get_kind(kind)
    if not path.is_file():
        raise IngestError([Problem(str(path), None, None, "no such file")])
    mapping = load_mapping(mapping_path) if mapping_path else ColumnMapping()
    options = StageOptions(
        mapping=mapping,
        timezone=check_timezone(timezone or mapping.timezone or settings.region.default_timezone),
        encoding=encoding,
        max_problems=max_problems or settings.ingest.max_import_problems,
    )
    ensure_store(settings.storage.store_url)
    started_at = utcnow()
    warehouse = backend or connect(settings.storage.resolved_warehouse_url)
    try:
        staging = _staging_connection(warehouse, settings)
        return _import(warehouse, staging, spec, path, options, settings, started_at, on_progress)
    finally:
        if backend is None:
            warehouse.disconnect()


def _import(
    backend: BaseBackend,
    staging: duckdb.DuckDBPyConnection,
    spec: Kind,
    path: Path,
    options: StageOptions,
    settings: Settings,
    started_at: datetime,
    on_progress: Progress | None,
) -> ImportResult:
    def run(sql: str) -> None:
        run_with_progress(staging, sql, stage="read", on_progress=on_progress)

    log.info("import %s: reading %s", spec.name, path)
    staged = stage_file(staging, kind=spec, path=path, options=options, run=run)
    log.info("import %s: merging %d rows", spec.name, staged.rows_staged)
    with session_scope(settings.storage.store_url) as session:
        merged = merge_stage(
            backend,
            staging,
            plan=_merge_plan(spec),
            limit=options.max_problems,
            before_commit=_store_writer(session, spec, staging),
            on_progress=(lambda fraction: on_progress("load", fraction)) if on_progress else None,
        )
        if merged.findings:
            problems = [
                Problem(str(path), f.row, f.column, f.reason, f.value) for f in merged.findings
            ]
            raise IngestError(problems, total=merged.total_findings)
        result = ImportResult(
            spec.name,
            str(path),
            staged.rows_read,
            merged.inserted,
            staged.rows_read - merged.inserted,
            staged.ignored_columns,
        )
        session.add(
            ImportRun(
                kind=spec.name,
                source=str(path),
                rows_read=result.rows_read,
                rows_inserted=result.rows_inserted,
                rows_unchanged=result.rows_unchanged,
                started_at=started_at,
                finished_at=utcnow(),
            )
        )
    log.info(
        "import %s: %d new rows, %d unchanged",
        spec.name,
        result.rows_inserted,
        result.rows_unchanged,
    )
    return result


def _staging_connection(backend: BaseBackend, settings: Settings) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection that reads and validates files, with bounded memory."""
    con = staging_connection(backend)
    spill = settings.storage.data_dir / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET memory_limit = '{settings.ingest.import_memory_limit}'")
    con.execute(f"SET temp_directory = '{_sql_text(str(spill))}'")
    con.execute("SET TimeZone = 'UTC'")
    enable_progress(con)
    return con


def _merge_plan(spec: Kind) -> MergePlan:
    return MergePlan(
        table=spec.table,
        key=spec.key,
        columns=tuple(spec.warehouse_columns),
        references=tuple((r.column, r.table, r.table_column, r.reason) for r in spec.references),
    )


def _store_writer(
    session: Session, spec: Kind, staging: duckdb.DuckDBPyConnection
) -> Callable[[], None] | None:
    """Writes the store's share of the import (customer profiles) inside the merge."""
    if not spec.store_columns:
        return None
    columns = ["customer_id", "signup_at", "country", "language", *spec.store_columns]

    def write_profiles() -> None:
        cursor = staging.execute(f"SELECT {', '.join(columns)} FROM {STAGE}")
        while batch := cursor.fetchmany(PROFILE_BATCH):
            upsert_profiles(
                session=session, rows=[dict(zip(columns, row, strict=True)) for row in batch]
            )
        session.flush()

    return write_profiles


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


__all__ = ["ImportResult", "IngestError", "StagedFile", "ingest_file"]
