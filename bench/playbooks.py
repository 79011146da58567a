"""A playbook run over 100,000 first-time buyers: Retain vs hand-written SQL doing the same.

Imports 100,000 customers with one order each (through the real import path, not timed), saves
a one-step onboarding playbook with a 10% holdout, then times ``run_playbooks``: read the
trigger in DuckDB, enter every customer, assign the holdout, queue one delivery per treated
customer (a signed reorder link each) and record each holdout, in the SQLite store.

Baseline, same run, the best a user could write by hand: one DuckDB query for the first orders,
then two ``executemany`` inserts (entries, deliveries) into bare SQLite tables in one
transaction: no keys checked, no links signed, no re-entry rule.

    .venv/bin/python bench/playbooks.py [--customers 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from retain.engage.service import run_playbooks, save_playbook
from retain.ingest.service import ingest_file
from retain.settings import AuthSettings, Settings, StorageSettings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect

START = datetime(2026, 1, 10)
PLAYBOOK = """
name: onboarding-bench
trigger: {event: first_order}
steps: [{id: welcome, send: {channel: email, template: onboarding-welcome}}]
holdout: 0.1
"""


def build(folder: Path, customers: int) -> Settings:
    settings = Settings(
        storage=StorageSettings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'retain.db'}",
            warehouse_url=f"duckdb:///{folder / 'warehouse.duckdb'}",
        ),
        auth=AuthSettings(secret_key="bench-signing-key-0123456789abcdef"),
    )
    ids = [f"C{number:07d}" for number in range(customers)]
    pd.DataFrame(
        {
            "customer_id": ids,
            "signup_at": "2026-01-01 00:00:00",
            "email": [f"{c}@x.test" for c in ids],
        }
    ).to_csv(folder / "customers.csv", index=False)
    moments = [START + timedelta(seconds=1 + number % 86_000) for number in range(customers)]
    pd.DataFrame(
        {
            "order_id": [f"O{number}" for number in range(customers)],
            "customer_id": ids,
            "ordered_at": [moment.strftime("%Y-%m-%d %H:%M:%S") for moment in moments],
            "amount": 25.0,
            "currency": "USD",
        }
    ).to_csv(folder / "orders.csv", index=False)
    ingest_file(kind="customers", path=folder / "customers.csv", settings=settings)
    ingest_file(kind="orders", path=folder / "orders.csv", settings=settings)
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        save_playbook(session=session, text=PLAYBOOK, at=START)
    return settings


def retain_run(settings: Settings) -> tuple[float, int]:
    backend = connect(settings.storage.resolved_warehouse_url)
    started = time.perf_counter()
    [summary] = run_playbooks(settings=settings, backend=backend, at=START + timedelta(days=1))
    elapsed = time.perf_counter() - started
    backend.disconnect()
    return elapsed, summary.entered


def baseline_run(settings: Settings, folder: Path) -> tuple[float, int]:
    warehouse = str(settings.storage.resolved_warehouse_url).removeprefix("duckdb:///")
    started = time.perf_counter()
    with duckdb.connect(warehouse, read_only=True) as con:
        first = con.execute(
            'SELECT customer_id, min(ordered_at) AS at FROM "order" GROUP BY customer_id '
            "HAVING min(ordered_at) > ? AND min(ordered_at) <= ?",
            [START, START + timedelta(days=1)],
        ).fetchall()
    store = sqlite3.connect(folder / "baseline.db")
    store.execute(
        "CREATE TABLE entry (id INTEGER PRIMARY KEY, customer_id TEXT, at TEXT, held INT)"
    )
    store.execute("CREATE TABLE message (key TEXT, customer_id TEXT, template TEXT, status TEXT)")
    with store:
        rows = [(c, at.isoformat(), _held(c)) for c, at in first]
        store.executemany("INSERT INTO entry (customer_id, at, held) VALUES (?, ?, ?)", rows)
        store.executemany(
            "INSERT INTO message VALUES (?, ?, 'onboarding-welcome', 'queued')",
            [(f"ob:{c}", c) for c, _, held in rows if not held],
        )
    store.close()
    return time.perf_counter() - started, len(first)


def _held(customer_id: str) -> int:
    digest = hashlib.sha256(f"playbook:onboarding-bench\x00{customer_id}".encode()).digest()
    return int(int.from_bytes(digest[:8], "big") / 2**64 < 0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="retain-bench-playbooks-") as name:
        folder = Path(name)
        settings = build(folder, arguments.customers)
        base_seconds, base_entered = baseline_run(settings, folder)
        ours_seconds, entered = retain_run(settings)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"customers: {arguments.customers:,}; entered: Retain {entered:,}, "
        f"baseline {base_entered:,}"
    )
    print(f"Retain run_playbooks: {ours_seconds:.1f} s ({entered / ours_seconds:,.0f} entries/s)")
    print(
        f"hand-written SQL:     {base_seconds:.2f} s ({base_entered / base_seconds:,.0f} entries/s)"
    )
    print(f"ratio (Retain time / baseline time): {ours_seconds / base_seconds:.1f}x")
    print(f"peak RSS of the process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
