"""The assistant migration creates exactly the tables the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from retain.models import Base
from retain.store import get_engine, upgrade_store

TABLES = ("assistant_conversation", "assistant_message", "assistant_evaluation")


def test_the_migration_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'retain.db'}"
    upgrade_store(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert [change for change in differences if any(name in str(change) for name in TABLES)] == []
