"""The support migration creates exactly the tables the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from retain.models import Base
from retain.store import get_engine, upgrade_store

SUPPORT_TABLES = (
    "ticket",
    "ticket_message",
    "ticket_event_log",
    "support_team",
    "support_team_member",
    "canned_reply",
    "kb_article",
    "kb_article_use",
)


def test_the_migration_matches_the_support_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'retain.db'}"
    upgrade_store(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(engine.dialect.get_table_names(connection))
    engine.dispose()
    assert set(SUPPORT_TABLES) <= tables
    assert [
        change for change in differences if any(name in str(change) for name in SUPPORT_TABLES)
    ] == []
