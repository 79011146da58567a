"""Imports that run at once: each fact stored once, a busy warehouse said in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import duckdb
import psycopg
import pytest

from retain.settings import Settings
from retain.warehouse.connection import WarehouseBusy, connect
from retain.warehouse.load import STAGE, MergePlan, MergeResult, merge_stage
from tests.conftest import POSTGRES_ADMIN_URL

POSTGRES_SERVER = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
ROWS = 1_000
HOLD_WAREHOUSE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
"""


def retain(*arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "retain", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def staged_usage(rows: int) -> duckdb.DuckDBPyConnection:
    staging = duckdb.connect()
    staging.execute(
        f"CREATE TEMP TABLE {STAGE} AS SELECT i AS _row, 'E' || i AS event_id, 'C1' AS "
        "customer_id, TIMESTAMP '2025-01-01' + INTERVAL (i) MINUTE AS occurred_at, "
        f"'login' AS name, 1.0 AS quantity FROM range({rows}) t(i)"
    )
    return staging


def advisory_lock_waiters(url: str) -> int:
    with psycopg.connect(url) as con:
        row = con.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_second_merge_of_the_same_rows_waits_for_the_first_and_adds_none(
    postgres_database: str,
) -> None:
    url = f"postgresql://{POSTGRES_SERVER}/{postgres_database}"
    plan = MergePlan(
        table="usage_event",
        key=("event_id",),
        columns=("event_id", "customer_id", "occurred_at", "name", "quantity"),
    )
    first_inside, let_first_commit = threading.Event(), threading.Event()
    results: dict[str, MergeResult] = {}

    def merge(name: str, before_commit: Callable[[], None] | None) -> None:
        backend = connect(url)
        try:
            results[name] = merge_stage(
                backend, staged_usage(ROWS), plan=plan, limit=10, before_commit=before_commit
            )
        finally:
            backend.disconnect()

    def hold_first() -> None:
        first_inside.set()
        let_first_commit.wait(timeout=120)

    first = threading.Thread(target=merge, args=("first", hold_first))
    first.start()
    assert first_inside.wait(timeout=120)
    second = threading.Thread(target=merge, args=("second", None))
    second.start()
    try:
        assert wait_until(lambda: advisory_lock_waiters(url) == 1), "the second merge never waited"
    finally:
        let_first_commit.set()
        first.join(timeout=120)
        second.join(timeout=120)

    assert (results["first"].inserted, results["second"].inserted) == (ROWS, 0)
    assert results["second"].unchanged == ROWS
    backend = connect(url)
    try:
        assert int(backend.table("usage_event").count().execute()) == ROWS
    finally:
        backend.disconnect()


def wait_until(condition: Callable[[], bool], *, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def held_warehouse(environment: Settings) -> Iterator[Callable[[], None]]:
    """Another process holding the DuckDB warehouse; calling the yielded function lets go."""
    path = environment.storage.resolved_warehouse_url.split("://", 1)[1].removeprefix("/")
    connect(environment.storage.resolved_warehouse_url).disconnect()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def let_go() -> None:
        if holder.returncode is None:
            holder.communicate(input="")

    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield let_go
    finally:
        let_go()


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_a_held_duckdb_warehouse_is_reported_busy_in_one_line(
    environment: Settings, held_warehouse: Callable[[], None]
) -> None:
    with pytest.raises(WarehouseBusy):
        connect(environment.storage.resolved_warehouse_url, busy_wait_seconds=0.2)

    command = retain("warehouse", "status")
    _, error = command.communicate(timeout=120)

    assert command.returncode == WarehouseBusy.exit_code
    last_line = error.strip().splitlines()[-1]
    assert last_line.startswith("error: the warehouse") and "in use by another process" in last_line
    assert len(error.strip().splitlines()) == 2, error  # the wait, then the reason
    assert "Traceback" not in error


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_a_command_waits_for_a_warehouse_released_soon(
    environment: Settings, held_warehouse: Callable[[], None]
) -> None:
    command = retain("warehouse", "status")
    assert command.stderr is not None
    said = command.stderr.readline()
    held_warehouse()  # let go only once the command says it waits

    _, error = command.communicate(timeout=120)

    assert "waiting up to" in said
    assert command.returncode == 0, said + error


def test_postgres_refuses_a_second_row_with_the_same_natural_key(postgres_database: str) -> None:
    url = f"postgresql://{POSTGRES_SERVER}/{postgres_database}"
    connect(url).disconnect()
    insert = "INSERT INTO \"order\" (order_id, customer_id, ordered_at) VALUES ('O1', 'C1', now())"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(insert)
        with pytest.raises(psycopg.errors.UniqueViolation):
            con.execute(insert)


def test_a_warehouse_with_old_duplicates_still_opens_and_says_which_table(
    postgres_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql://{POSTGRES_SERVER}/{postgres_database}"
    connect(url).disconnect()
    insert = "INSERT INTO \"order\" (order_id, customer_id, ordered_at) VALUES ('O1', 'C1', now())"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP INDEX order_natural_key")
        con.execute(insert)
        con.execute(insert)

    connect(url).disconnect()

    assert "warehouse table order holds duplicate keys" in caplog.text
