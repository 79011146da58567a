"""The churn migration creates exactly the tables the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from retain.models import Base
from retain.store import get_engine, upgrade_store

CHURN_TABLES = ("churn_score", "usage_alert", "health_score", "customer_task")


def test_the_migration_matches_the_churn_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'retain.db'}"
    upgrade_store(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(engine.dialect.get_table_names(connection))
    engine.dispose()
    assert set(CHURN_TABLES) <= tables
    assert [
        change for change in differences if any(name in str(change) for name in CHURN_TABLES)
    ] == []
