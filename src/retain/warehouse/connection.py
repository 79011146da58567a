"""Connect to the warehouse named by a URL and make sure the canonical tables exist."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

import ibis
from ibis.backends import BaseBackend

from retain.errors import RetainError
from retain.warehouse.schema import CANONICAL_TABLES, NATURAL_KEYS
from retain.warehouse.sql import quote_identifier

logger = logging.getLogger(__name__)

SUPPORTED_SCHEMES = ("duckdb", "postgresql", "postgres", "spark")
T = TypeVar("T")
P = ParamSpec("P")
# A command waits this long for another process's DuckDB import to finish before it gives up.
BUSY_WAIT_SECONDS = 10.0
BUSY_POLL_SECONDS = 0.1


class WarehouseBusy(RetainError):
    """Another process holds the warehouse: worth retrying, not a bug."""

    exit_code = 75  # EX_TEMPFAIL: the caller may retry


def connect(
    url: str, *, create_tables: bool = True, busy_wait_seconds: float = BUSY_WAIT_SECONDS
) -> BaseBackend:
    """An Ibis backend for ``url`` holding the canonical tables (created when missing).

    A DuckDB file another process writes to is waited for up to ``busy_wait_seconds``; then
    :class:`WarehouseBusy` says so in one line.
    """
    backend = _open(url, busy_wait_seconds=busy_wait_seconds)
    if create_tables:
        ensure_canonical_tables(backend)
    return backend


def on_warehouse(
    url: str, work: Callable[Concatenate[BaseBackend, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """``work(backend, *args, **kwargs)`` on a connection of its own, closed afterwards.

    DuckDB admits one writing process, so jobs, commands and requests never hold one for long.
    """
    backend = connect(url)
    try:
        return work(backend, *args, **kwargs)
    finally:
        backend.disconnect()


def _open(url: str, *, busy_wait_seconds: float) -> BaseBackend:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme == "duckdb":
        return _open_duckdb_waiting(url, busy_wait_seconds)
    if scheme in ("postgresql", "postgres"):
        return _open_postgres(url)
    if scheme == "spark":
        return _open_spark(url)
    raise ValueError(
        f"unsupported warehouse URL scheme {scheme!r}; use one of: {', '.join(SUPPORTED_SCHEMES)}"
    )


def _open_duckdb_waiting(url: str, wait_seconds: float) -> BaseBackend:
    import duckdb

    deadline = time.monotonic() + wait_seconds
    path = url.split("://", 1)[1].removeprefix("/")
    waiting = False
    while True:
        try:
            return _open_duckdb(url)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"the warehouse {path} is in use by another process; "
                    "retry when its import or command has finished"
                ) from None
            if not waiting:
                logger.warning(
                    "the warehouse %s is in use by another process; waiting up to %.0f s",
                    path,
                    wait_seconds,
                )
                waiting = True
            time.sleep(BUSY_POLL_SECONDS)


def _open_duckdb(url: str) -> BaseBackend:
    # As in SQLAlchemy URLs: duckdb:///relative/path, duckdb:////absolute/path, duckdb:// in memory.
    path = url.split("://", 1)[1].removeprefix("/") or ":memory:"
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    backend = ibis.duckdb.connect(path)
    backend.raw_sql("SET TimeZone = 'UTC'")
    return backend


def _open_postgres(url: str) -> BaseBackend:
    parts = urlsplit(url)
    return ibis.postgres.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=parts.path.lstrip("/") or None,
    )


def _open_spark(url: str) -> BaseBackend:
    """spark://local[2] (or another master URL after the scheme): Spark's own catalog."""
    from pyspark.sql import SparkSession

    master = url.split("://", 1)[1] or "local[*]"
    session = (
        SparkSession.builder.master(master)
        .appName("retain")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)


def ensure_canonical_tables(backend: BaseBackend) -> None:
    """Create every canonical table that does not exist yet; existing ones are left alone."""
    existing = set(backend.list_tables())
    for name, schema in CANONICAL_TABLES.items():
        if name not in existing:
            backend.create_table(name, schema=schema)
    if backend.name == "postgres":
        _ensure_natural_key_indexes(backend)


def _ensure_natural_key_indexes(backend: BaseBackend) -> None:
    """A unique index on each table's natural key, so that no writer can store a fact twice.

    A warehouse that already holds duplicates (written before these indexes existed) keeps
    working without the index of that table; the log names the table so it can be cleaned.
    """
    wanted = {f"{table}_natural_key": table for table in NATURAL_KEYS}
    with backend.raw_sql(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname = ANY(%(names)s)",
        params={"names": list(wanted)},
    ) as cursor:
        present = {row[0] for row in cursor.fetchall()}
    for index, table in wanted.items():
        if index not in present:
            _create_unique_index(backend, index, table)


def _create_unique_index(backend: BaseBackend, index: str, table: str) -> None:
    import psycopg

    columns = ", ".join(quote_identifier(column) for column in NATURAL_KEYS[table])
    try:
        backend.raw_sql(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {quote_identifier(index)} "
            f"ON {quote_identifier(table)} ({columns})"
        ).close()
    except psycopg.errors.UniqueViolation:
        logger.warning("warehouse table %s holds duplicate keys: no unique index made", table)


def backend_name(backend: BaseBackend) -> str:
    """The engine behind an Ibis backend: ``duckdb`` or ``postgres``."""
    return str(backend.name)


def row_counts(backend: BaseBackend) -> dict[str, int]:
    """How many rows each canonical table holds."""
    return {name: int(backend.table(name).count().execute()) for name in CANONICAL_TABLES}


def create_customer_indexes(backend: BaseBackend) -> list[str]:
    """Index ``customer_id`` of every canonical table, for per-customer reads; the names made.

    Worth it on a warehouse that serves the API's customer-360 reads; it slows imports (DuckDB
    maintains the index on every append), so it is a choice, not a default.
    """
    if backend_name(backend) not in ("duckdb", "postgres"):
        raise ValueError(f"indexes are for DuckDB and PostgreSQL, not {backend_name(backend)}")
    made = []
    for table, schema in CANONICAL_TABLES.items():
        if "customer_id" not in schema:
            continue
        name = f"{table}_customer_id"
        backend.raw_sql(
            f"CREATE INDEX IF NOT EXISTS {quote_identifier(name)} "
            f"ON {quote_identifier(table)} (customer_id)"
        )
        made.append(name)
    return made
