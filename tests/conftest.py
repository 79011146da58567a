"""Shared fixtures: every store/warehouse test runs on the embedded default and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from retain.settings import Settings, StorageSettings
from retain.store import get_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "RETAIN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data_file(*parts: str) -> Path:
    """A file of the shared data folder; on CI a missing one fails the test, elsewhere skips it."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        message = f"shared data not found at {path} (the shared folder beside the project)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return str(error).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """The admin URL of the test PostgreSQL; on CI an unreachable server fails the run."""
    problem = _postgres_reachable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL must be reachable on CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_database(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards; yields its name."""
    name = f"retain_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(postgres_admin, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _embedded_settings(folder: Path) -> Settings:
    return Settings(
        storage=StorageSettings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'retain.db'}",
            warehouse_url=f"duckdb:///{folder / 'warehouse.duckdb'}",
        )
    )


@pytest.fixture(params=["embedded", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for an empty store and warehouse: SQLite + DuckDB, or PostgreSQL for both."""
    if request.param == "embedded":
        configured = _embedded_settings(tmp_path)
    else:
        database = request.getfixturevalue("postgres_database")
        server = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
        configured = Settings(
            storage=StorageSettings(
                data_dir=tmp_path,
                database_url=f"postgresql+psycopg://{server}/{database}",
                warehouse_url=f"postgresql://{server}/{database}",
            )
        )
    yield configured
    get_engine(configured.storage.store_url).dispose()


@pytest.fixture
def environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """``settings`` also exported as RETAIN_* variables, for the CLI, the API and subprocesses."""
    from retain.settings import get_settings

    monkeypatch.setenv("RETAIN_DATA_DIR", str(settings.storage.data_dir))
    monkeypatch.setenv("RETAIN_DATABASE_URL", settings.storage.store_url)
    monkeypatch.setenv("RETAIN_WAREHOUSE_URL", settings.storage.resolved_warehouse_url)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()
