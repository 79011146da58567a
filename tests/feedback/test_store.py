"""The feedback migration creates exactly the tables the models describe, on each store."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from retain.models import Base
from retain.settings import Settings
from retain.store import get_engine, upgrade_store

FEEDBACK_TABLES = ("feedback_item", "survey", "survey_invitation", "survey_answer")


def test_the_migration_matches_the_feedback_models(settings: Settings) -> None:
    upgrade_store(settings.storage.store_url)
    engine = get_engine(settings.storage.store_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(engine.dialect.get_table_names(connection))
    assert set(FEEDBACK_TABLES) <= tables
    mine = [change for change in differences if any(n in str(change) for n in FEEDBACK_TABLES)]
    assert mine == []
