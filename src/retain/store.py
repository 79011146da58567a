"""The store: SQLAlchemy 2 engine, sessions and the declarative Base, migrated by Alembic."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Engine, Select, create_engine, event, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
Row = TypeVar("Row")


class Base(DeclarativeBase):
    """Base class of every store table."""


@cache
def get_engine(url: str) -> Engine:
    """One engine per store URL, shared by the process."""
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the web server read while an import writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    factory = sessionmaker(get_engine(url), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    """Alembic configuration for the package's migrations against ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_store(url: str, revision: str = "head") -> None:
    """Bring the store's schema up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def upsert(session: Session, model: type[Base], rows: list[dict[str, object]]) -> None:
    """Insert ``rows``, replacing the stored row wherever the primary key already exists."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement = postgresql_insert(model) if dialect == "postgresql" else sqlite_insert(model)
    keys = [column.name for column in sa_inspect(model).primary_key]
    replaced = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=replaced), rows)


_current_stores: set[str] = set()
# Alembic keeps its state in module globals: two threads migrating at once break each other.
_migrating = threading.Lock()


def ensure_store(url: str) -> None:
    """Migrate the store to the newest schema once per process (requests pay nothing after)."""
    if url in _current_stores:
        return
    with _migrating:
        if url not in _current_stores:
            upgrade_store(url)
            _current_stores.add(url)


@contextmanager
def migrated_session(url: str) -> Iterator[Session]:
    """A session on a store migrated to the newest schema, committed on success or rolled back."""
    ensure_store(url)
    with session_scope(url) as session:
        yield session


def fetch_page(
    session: Session, statement: Select[Row], *, limit: int, offset: int
) -> tuple[list[Row], int]:
    """One page of the rows ``statement`` selects, and how many it selects in all."""
    counting = select(func.count()).select_from(statement.order_by(None).subquery())
    total = session.scalar(counting) or 0
    return list(session.scalars(statement.limit(limit).offset(offset))), total
