"""Settings, the store's migrations, the CLI's output formats and the API skeleton."""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import inspect
from typer.testing import CliRunner

from retain.api import create_app
from retain.auth.roles import Role
from retain.auth.service import create_user
from retain.cli import app
from retain.settings import AuthSettings, Settings, mask_url
from retain.store import ensure_store, get_engine, session_scope, upgrade_store
from tests.api.test_auth import sign_in
from tests.helpers import write_csv


def test_placeholder_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(auth=AuthSettings(secret_key="changeme"))


def test_passwords_in_urls_are_masked() -> None:
    assert mask_url("postgresql://retain:s3cr3t@db:5432/retain") == (
        "postgresql://retain:********@db:5432/retain"
    )


def test_config_show_masks_secrets_in_every_format(monkeypatch: pytest.MonkeyPatch) -> None:
    from retain.settings import get_settings

    monkeypatch.setenv("RETAIN_SECRET_KEY", "a-real-secret-value-42")
    monkeypatch.setenv("RETAIN_DATABASE_URL", "postgresql+psycopg://u:hunter2@h/retain")
    get_settings.cache_clear()
    try:
        as_json = CliRunner().invoke(app, ["config", "show", "--format", "json"])
        as_csv = CliRunner().invoke(app, ["config", "show", "--format", "csv"])
    finally:
        get_settings.cache_clear()

    rows = {row["name"]: row["value"] for row in json.loads(as_json.stdout)}
    assert rows["RETAIN_SECRET_KEY"] == "********"
    assert rows["RETAIN_DATABASE_URL"] == "postgresql+psycopg://u:********@h/retain"
    assert "hunter2" not in as_csv.stdout and "a-real-secret" not in as_csv.stdout
    assert list(csv.DictReader(io.StringIO(as_csv.stdout)))[0]["name"] == "RETAIN_DATA_DIR"


def test_db_upgrade_creates_the_store_tables(settings: Settings) -> None:
    upgrade_store(settings.storage.store_url)

    tables = set(inspect(get_engine(settings.storage.store_url)).get_table_names())

    assert {"customer_profile", "import_run", "alembic_version"} <= tables


def test_warehouse_status_counts_rows(environment: Settings, tmp_path: Path) -> None:
    people = write_csv(tmp_path / "c.csv", "customer_id,signup_at", "A,2025-01-01", "B,2025-01-02")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "customers", str(people)]).exit_code == 0

    result = runner.invoke(app, ["warehouse", "status", "--format", "json"])

    counts = {row["table"]: row["rows"] for row in json.loads(result.stdout)}
    assert counts["customer"] == 2 and counts["order"] == 0


def test_health_reports_both_planes(environment: Settings) -> None:
    upgrade_store(environment.storage.store_url)

    response = TestClient(create_app()).get("/health")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["store"]["status"], body["warehouse"]["status"]) == (
        "ok",
        "ok",
        "ok",
    )


def test_health_is_degraded_when_the_warehouse_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retain.settings import get_settings

    monkeypatch.setenv("RETAIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RETAIN_WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        body = TestClient(create_app()).get("/health").json()
    finally:
        get_settings.cache_clear()

    assert body["status"] == "degraded" and body["warehouse"]["status"] == "unavailable"


def test_overview_page_speaks_english_and_chinese(environment: Settings, tmp_path: Path) -> None:
    ensure_store(environment.storage.store_url)
    with session_scope(environment.storage.store_url) as session:
        create_user(session=session, username="ana", password="x" * 12, role=Role.viewer, actor="t")
    client = TestClient(create_app())
    sign_in(client, "ana", "x" * 12)

    english = client.get("/?lang=en")
    chinese = client.get("/?lang=zh-CN")
    remembered = client.get("/")

    assert "Sign out" in english.text and 'lang="en"' in english.text
    assert "退出" in chinese.text and 'lang="zh-CN"' in chinese.text
    assert "退出" in remembered.text  # the cookie keeps the last choice


def test_openapi_schema_is_served() -> None:
    schema = TestClient(create_app(api_docs=True)).get("/api/v1/openapi.json").json()

    assert schema["info"]["title"] == "Retain" and "/health" in schema["paths"]


def test_unknown_warehouse_scheme_is_refused() -> None:
    from retain.warehouse import connect

    with pytest.raises(ValueError, match="unsupported warehouse URL scheme 'mysql'"):
        connect("mysql://root@127.0.0.1/test")


def test_concurrent_first_requests_migrate_the_store_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'racing.db'}"
    failures: list[BaseException] = []

    def first_request() -> None:
        try:
            ensure_store(url)
        except BaseException as error:  # collected: a thread's exception would vanish
            failures.append(error)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert "app_user" in inspect(get_engine(url)).get_table_names()


def test_the_migration_heads_read_as_text_are_alembics(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from retain.store import alembic_config, migration_heads

    config = alembic_config(f"sqlite:///{tmp_path / 'unused.db'}")
    assert migration_heads() == set(ScriptDirectory.from_config(config).get_heads())


def test_a_current_store_is_not_migrated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import retain.store

    url = f"sqlite:///{tmp_path / 'current.db'}"
    assert not retain.store.store_is_at_head(url)
    upgrade_store(url)
    assert retain.store.store_is_at_head(url)
    upgrades: list[str] = []
    monkeypatch.setattr(retain.store, "upgrade_store", upgrades.append)
    ensure_store(url)
    assert upgrades == []


def test_a_store_behind_the_newest_migration_is_migrated(tmp_path: Path) -> None:
    from retain.store import migration_heads, store_is_at_head

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    upgrade_store(url, "20261124_0013")
    assert not store_is_at_head(url)
    ensure_store(url)
    assert store_is_at_head(url)
    with get_engine(url).connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        assert set(versions.scalars()) == migration_heads()
