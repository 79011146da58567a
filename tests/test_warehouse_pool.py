"""The server's warehouse pool: warm while used, and the DuckDB file free again once idle."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from retain.warehouse.pool import WarehousePool

OPEN_FROM_ANOTHER_PROCESS = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"


def other_process_can_open(path: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_FROM_ANOTHER_PROCESS, str(path)], capture_output=True
    )
    return done.returncode == 0


def test_a_lease_reuses_the_connection_and_idleness_frees_the_file(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    pool = WarehousePool(f"duckdb:///{path}", idle_seconds=0.3)
    with pool.lease() as first:
        assert "order" in first.list_tables()
    with pool.lease() as second:
        assert second is first
        assert not other_process_can_open(path)
    deadline = time.monotonic() + 10
    while pool.open_connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.open_connections == 0
    assert other_process_can_open(path)


def test_concurrent_leases_get_their_own_connections(tmp_path: Path) -> None:
    pool = WarehousePool(f"duckdb:///{tmp_path / 'w.duckdb'}", idle_seconds=60)
    with pool.lease() as first, pool.lease() as second:
        assert first is not second
        assert pool.open_connections == 2
    assert pool.close_idle(force=True) == 2


def test_a_connection_that_failed_is_not_reused(tmp_path: Path) -> None:
    pool = WarehousePool(f"duckdb:///{tmp_path / 'w.duckdb'}", idle_seconds=60)
    with pytest.raises(RuntimeError), pool.lease() as failed:
        raise RuntimeError("the query broke the connection")
    with pool.lease() as fresh:
        assert fresh is not failed
    assert pool.open_connections == 1
