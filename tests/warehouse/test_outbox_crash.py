"""A worker killed with SIGKILL mid-export, then run again, leaves each fact in the warehouse once.

The child is the real ``retain worker --once`` with small chunks. After each chunk's merge it
prints which table it merged and waits for a line on stdin, so the test kills it at a known
moment: after the warehouse committed a chunk but before the store recorded it, or inside the
warehouse transaction. The test reads those lines instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import insert

from retain.messaging.models import Delivery
from retain.settings import Settings
from retain.store import ensure_store, get_engine, session_scope
from retain.warehouse import connect
from tests.warehouse.helpers import add_loyalty_entries

ENTRIES = 500
DELIVERIES = 300
CHUNK = 100
SENT_AT = datetime(2026, 11, 2, 10, 0)
CHILD = """
import sys
from retain.cli import app
from retain.warehouse import load, outbox

moment = sys.argv[1]
outbox.CHUNK = int(sys.argv[2])


def wait_for_the_kill(table):
    print("merged", table, flush=True)
    sys.stdin.readline()


if moment == "committed":
    merge_frame = outbox.merge_frame

    def merge_then_wait(backend, frame, *, plan, projection):
        inserted = merge_frame(backend, frame, plan=plan, projection=projection)
        wait_for_the_kill(plan.table)  # the warehouse committed; the store has not
        return inserted

    outbox.merge_frame = merge_then_wait
else:
    merge = load._merge

    def merge_then_wait(execute, plan, limit, before_commit):
        result = merge(execute, plan, limit, before_commit)
        wait_for_the_kill(plan.table)  # rows inserted, the warehouse transaction still open
        return result

    load._merge = merge_then_wait
app(["worker", "--once"])
"""


def _add_sent_deliveries(store_url: str) -> None:
    with session_scope(store_url) as session:
        session.execute(
            insert(Delivery),
            [
                {
                    "key": f"crash:{number}",
                    "customer_id": f"C{number}",
                    "channel": "email",
                    "template": "generic-news",
                    "context": {},
                    "status": "sent",
                    "attempts": 1,
                    "next_attempt_at": SENT_AT,
                    "created_at": SENT_AT,
                    "sent_at": SENT_AT,
                    "holdout": False,
                }
                for number in range(DELIVERIES)
            ],
        )


def _kill_at_chunk(moment: str, table: str, chunk: int) -> None:
    """Run the worker and SIGKILL it while it waits after merging ``chunk`` of ``table``."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, moment, str(CHUNK)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdin is not None and child.stdout is not None
    seen = 0
    for line in child.stdout:
        if line.split() != ["merged", table] or (seen := seen + 1) < chunk:
            child.stdin.write("\n")  # not the moment yet: let the worker go on
            child.stdin.flush()
            continue
        child.send_signal(signal.SIGKILL)
        break
    child.wait(timeout=300)
    assert child.returncode == -signal.SIGKILL, "the worker finished before the kill"


def _facts(settings: Settings, table: str, key: str) -> tuple[int, int]:
    """Rows of a warehouse table, and how many distinct keys they hold."""
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        rows = backend.table(table)
        return int(rows.count().execute()), int(rows[key].nunique().execute())
    finally:
        backend.disconnect()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("moment", "table", "key", "left_after_kill"),
    [
        # A cursor source: two chunks committed to the warehouse, the store's cursor not moved.
        ("committed", "loyalty_event", "event_id", 2 * CHUNK),
        # A stamped source: the second chunk's transaction dies with the process.
        ("inside", "delivery", "delivery_id", CHUNK),
    ],
)
def test_sigkill_mid_export_then_rerun_leaves_each_fact_once(
    environment: Settings, moment: str, table: str, key: str, left_after_kill: int
) -> None:
    ensure_store(environment.storage.store_url)
    add_loyalty_entries(environment.storage.store_url, ENTRIES)
    _add_sent_deliveries(environment.storage.store_url)
    get_engine(environment.storage.store_url).dispose()

    _kill_at_chunk(moment, table, chunk=2)
    assert _facts(environment, table, key) == (left_after_kill, left_after_kill)

    rerun = subprocess.run(
        [sys.executable, "-m", "retain", "worker", "--once"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _facts(environment, "loyalty_event", "event_id") == (ENTRIES, ENTRIES)
    assert _facts(environment, "delivery", "delivery_id") == (DELIVERIES, DELIVERIES)
