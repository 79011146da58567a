"""The store: SQLAlchemy 2 engine, sessions and the declarative Base, migrated by Alembic."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Engine, Select, create_engine, event, func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
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


def _insert(session: Session, model: type[Base]) -> PostgresqlInsert | SqliteInsert:
    """An INSERT with ON CONFLICT clauses, in the dialect of the session's database."""
    dialect = session.get_bind().dialect.name
    return postgresql_insert(model) if dialect == "postgresql" else sqlite_insert(model)


def insert_if_absent(session: Session, model: type[Base], values: dict[str, object]) -> bool:
    """Insert ``values`` unless they clash with a stored row's primary or unique key; whether
    they were inserted. Two sessions inserting the same key at once both succeed, one adds it."""
    keys = sa_inspect(model).primary_key
    statement = _insert(session, model).values(values).on_conflict_do_nothing().returning(*keys)
    return session.execute(statement).first() is not None


def upsert(session: Session, model: type[Base], rows: list[dict[str, object]]) -> None:
    """Insert ``rows``, replacing the stored row wherever the primary key already exists."""
    if not rows:
        return
    statement = _insert(session, model)
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
            if not store_is_at_head(url):
                upgrade_store(url)
            _current_stores.add(url)


def store_is_at_head(url: str) -> bool:
    """Whether the store records the newest migration, read without loading Alembic.

    Alembic's upgrade loads its environment, every model and every migration file even when
    there is nothing to do: about half a second that every CLI command paid (issue 16).
    """
    with get_engine(url).connect() as connection:
        if not sa_inspect(connection).has_table("alembic_version"):
            return False
        stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return set(stored) == migration_heads()


_REVISION = re.compile(r"^revision\b[^=]*=\s*(.+)$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=]*=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


@cache
def migration_heads() -> frozenset[str]:
    """The revisions no migration file revises, read from the files as text.

    Empty when a file cannot be read this way: the store then counts as behind, and Alembic,
    which knows every form, decides.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down_revision = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down_revision is None:
            return frozenset()
        revisions.update(_QUOTED.findall(revision[1]))
        revised.update(_QUOTED.findall(down_revision[1]))
    return frozenset(revisions - revised)


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
