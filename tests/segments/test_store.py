"""The segments migration creates exactly the tables the models describe, RFM segments seeded."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from retain.models import Base
from retain.segments.features import RFM_SEGMENTS
from retain.store import get_engine, upgrade_store

TABLES = ("segment_definition", "segment_membership")


def test_the_migration_matches_the_models_and_seeds_the_rfm_segments(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'retain.db'}"
    upgrade_store(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        seeded = connection.execute(
            text("SELECT name FROM segment_definition WHERE built_in AND rule IS NULL")
        ).scalars()
        names = sorted(seeded)
    engine.dispose()
    assert [change for change in differences if any(name in str(change) for name in TABLES)] == []
    assert names == sorted(f"rfm:{segment}" for segment in RFM_SEGMENTS)
