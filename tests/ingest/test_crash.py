"""A process killed in the middle of an import leaves the store and the warehouse as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from retain.ingest.service import ingest_file
from retain.settings import Settings
from tests.helpers import warehouse_count, write_csv

ORDERS = 1_500_000
IMPORT_SCRIPT = """
import logging, sys
from pathlib import Path
from retain.ingest.service import ingest_file
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
ingest_file(kind="orders", path=Path(sys.argv[1]))
"""


def big_orders_file(folder: Path) -> Path:
    path = folder / "orders.csv"
    duckdb.sql(
        f"COPY (SELECT 'O' || i AS order_id, 'C' || (i % 2) AS customer_id, "
        f"TIMESTAMP '2025-01-01' + INTERVAL (i) SECOND AS ordered_at, "
        f"(i % 997) / 10 AS amount, 'CNY' AS currency FROM range({ORDERS}) t(i)) "
        f"TO '{path}' (HEADER)"
    )
    return path


def kill_when_logged(path: Path, marker: str, delay: float) -> bool:
    """Run an import in a child process and SIGKILL it ``delay`` s after it logs ``marker``."""
    child = subprocess.Popen(
        [sys.executable, "-c", IMPORT_SCRIPT, str(path)],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stderr is not None
    for line in child.stderr:
        if marker in line:
            time.sleep(delay)
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=300)
    return child.returncode == -signal.SIGKILL


@pytest.mark.parametrize(("marker", "delay"), [("reading", 0.5), ("merging", 0.05)])
def test_killed_import_changes_nothing_and_a_rerun_completes(
    environment: Settings, tmp_path: Path, marker: str, delay: float
) -> None:
    people = write_csv(
        tmp_path / "c.csv", "customer_id,signup_at", "C0,2024-01-01", "C1,2024-01-01"
    )
    ingest_file(kind="customers", path=people, settings=environment)
    orders = big_orders_file(tmp_path)

    killed = kill_when_logged(orders, marker, delay)

    assert killed, "the import finished before it could be killed; make the file larger"
    assert warehouse_count(environment, "order") == 0
    result = ingest_file(kind="orders", path=orders, settings=environment)
    assert result.rows_inserted == ORDERS
    assert warehouse_count(environment, "order") == ORDERS
