"""Alembic environment: runs the package's migrations against the configured store URL."""

from __future__ import annotations

from alembic import context

from retain.models import Base
from retain.store import get_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "alembic_config() always sets sqlalchemy.url"
    with get_engine(url).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
