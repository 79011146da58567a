"""Connect to the warehouse named by a URL and make sure the canonical tables exist."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

import ibis
from ibis.backends import BaseBackend

from retain.warehouse.schema import CANONICAL_TABLES
from retain.warehouse.sql import quote_identifier

SUPPORTED_SCHEMES = ("duckdb", "postgresql", "postgres", "spark")
T = TypeVar("T")
P = ParamSpec("P")


def connect(url: str, *, create_tables: bool = True) -> BaseBackend:
    """An Ibis backend for ``url`` holding the canonical tables (created when missing)."""
    backend = _open(url)
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


def _open(url: str) -> BaseBackend:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme == "duckdb":
        return _open_duckdb(url)
    if scheme in ("postgresql", "postgres"):
        return _open_postgres(url)
    if scheme == "spark":
        return _open_spark(url)
    raise ValueError(
        f"unsupported warehouse URL scheme {scheme!r}; use one of: {', '.join(SUPPORTED_SCHEMES)}"
    )


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
