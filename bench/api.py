"""API benchmark: customer-360 reads and event intake against the server, on the demo business.

The claim (issue "bench/api.py"): with the 100,000-customer demo, customer-360 p99 under 50 ms
at 200 requests/s, intake of at least 5,000 events/s in batches, and zero errors.

1. The demo (``retain demo --customers N``), its lifetime predictions and the customer indexes
   (``retain warehouse index``) are made once into
   ``bench/out/api-N`` and reused by later runs (``--fresh`` to remake them).
2. ``retain serve`` runs as its own process (one worker: a DuckDB file admits one writing
   process); Locust (headless, ``bench/api_locustfile.py``) loads it over loopback:
   - customer-360: ``--rate`` requests/s of random customers for ``--duration`` seconds;
   - intake: ``--intake-users`` users posting batches of ``--batch`` usage events back to back.
3. Baselines, the best a user could do without Retain, measured in the same run once the server
   has stopped: the same eleven customer-360 lookups as hand-written DuckDB SQL on one open
   connection (no HTTP, no auth, no validation), and the same event batches inserted with one
   hand-written ``INSERT ... SELECT FROM read_json`` each (no validation, no idempotency).

Usage:
    .venv/bin/python bench/api.py [--customers 100000] [--rate 200] [--duration 30]
        [--batch 1000] [--intake-users 4] [--intake-duration 30] [--fresh]

Extra packages: locust (``uv pip install locust``; not a dependency of Retain).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = ROOT / "bench" / "out"
SAMPLE_IDS = 20_000


def main() -> None:
    arguments = _arguments()
    folder = OUT / f"api-{arguments.customers}"
    environment = _environment(folder)
    _prepare(folder, arguments, environment)
    key = _analyst_key(environment)
    warehouse = folder / "warehouse.duckdb"
    ids = _customer_ids(warehouse)
    ids_file = folder / "ids.txt"
    ids_file.write_text("\n".join(ids))
    port = _free_port()
    with _server(environment, port) as host:
        reads = _locust(
            host,
            "Customer360User",
            arguments,
            ids_file,
            key,
            users=max(1, arguments.rate // 5),
            seconds=arguments.duration,
        )
        intake = _locust(
            host,
            "IntakeUser",
            arguments,
            ids_file,
            key,
            users=arguments.intake_users,
            seconds=arguments.intake_duration,
        )
    read_floor = _sql_360_baseline(warehouse, ids, repeats=2000)
    intake_floor = _sql_intake_baseline(warehouse, ids, batch=arguments.batch, batches=40)
    _report(arguments, reads, intake, read_floor, intake_floor)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=200, help="customer-360 requests per second")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--batch", type=int, default=1000, help="events per intake request")
    parser.add_argument("--intake-users", type=int, default=4)
    parser.add_argument("--intake-duration", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="regenerate the demo")
    return parser.parse_args()


def _environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RETAIN_DATA_DIR": str(folder),
        "RETAIN_DATABASE_URL": f"sqlite:///{folder / 'retain.db'}",
        "RETAIN_WAREHOUSE_URL": f"duckdb:///{folder / 'warehouse.duckdb'}",
        # The benchmark measures throughput, not the per-caller limit.
        "RETAIN_INTAKE_RATE_LIMIT": "1000000/minute",
    }


def _prepare(folder: Path, arguments: argparse.Namespace, environment: dict[str, str]) -> None:
    marker = folder / "prepared"
    if marker.exists() and not arguments.fresh:
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    for command in (
        ["demo", "--customers", str(arguments.customers), "--no-serve", "--format", "json"],
        ["clv", "predict", "--format", "json"],
        ["warehouse", "index"],
    ):
        subprocess.run(
            [str(BIN / "retain"), *command], env=environment, check=True, stdout=subprocess.DEVNULL
        )
    marker.write_text(f"{time.perf_counter() - started:.0f} s\n")


def _analyst_key(environment: dict[str, str]) -> str:
    done = subprocess.run(
        [
            str(BIN / "retain"),
            "keys",
            "create",
            f"bench {uuid.uuid4().hex[:6]}",
            "--role",
            "analyst",
        ],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _customer_ids(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sample = f"reservoir({SAMPLE_IDS:d} ROWS) REPEATABLE (7)"
        rows = con.execute(f"SELECT customer_id FROM customer USING SAMPLE {sample}").fetchall()
    return [row[0] for row in rows]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _server:
    """``retain serve`` in its own process, until the block ends."""

    def __init__(self, environment: dict[str, str], port: int) -> None:
        self.command = [str(BIN / "retain"), "serve", "--port", str(port)]
        self.environment, self.host = environment, f"http://127.0.0.1:{port}"

    def __enter__(self) -> str:
        log = OUT / "api-server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as output:
            self.process = subprocess.Popen(
                self.command, env=self.environment, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.host}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self.host
            except OSError:
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("the server did not start")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _locust(
    host: str,
    user_class: str,
    arguments: argparse.Namespace,
    ids_file: Path,
    key: str,
    *,
    users: int,
    seconds: int,
) -> dict[str, Any]:
    prefix = Path(tempfile.mkdtemp(prefix="retain-locust-")) / "stats"
    environment = {
        **os.environ,
        "BENCH_KEY": key,
        "BENCH_IDS": str(ids_file),
        "BENCH_BATCH": str(arguments.batch),
        "BENCH_RATE_PER_USER": str(arguments.rate / users),
    }
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "api_locustfile.py"),
            user_class,
            "--headless",
            "--host",
            host,
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=environment,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", newline="") as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return {
        "users": users,
        "seconds": seconds,
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "requests_per_second": float(row["Requests/s"]),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
    }


# The same lookups as retain.customer360.timeline, written by hand.
SQL_360 = [
    "SELECT * FROM customer WHERE customer_id = $1",
    'SELECT * FROM "order" WHERE customer_id = $1 ORDER BY ordered_at DESC LIMIT 20',
    'SELECT currency, count(*), sum(amount), min(ordered_at), max(ordered_at) FROM "order" '
    "WHERE customer_id = $1 GROUP BY currency",
    "SELECT * FROM subscription_change WHERE customer_id = $1 ORDER BY changed_at DESC LIMIT 20",
    "SELECT date_trunc('week', occurred_at) AS week, count(*), sum(quantity) FROM usage_event "
    "WHERE customer_id = $1 AND occurred_at >= CAST($2 AS TIMESTAMP) GROUP BY week",
    "SELECT * FROM ticket_event WHERE customer_id = $1 ORDER BY occurred_at DESC LIMIT 100",
    "SELECT * FROM survey_response WHERE customer_id = $1 ORDER BY answered_at DESC LIMIT 20",
    "SELECT * FROM loyalty_event WHERE customer_id = $1 ORDER BY occurred_at DESC LIMIT 20",
    "SELECT sum(points), count(*) FROM loyalty_event WHERE customer_id = $1",
    "SELECT * FROM return_event WHERE customer_id = $1 ORDER BY returned_at DESC LIMIT 20",
    "SELECT * FROM delivery WHERE customer_id = $1 ORDER BY sent_at DESC LIMIT 20",
]


def _sql_360_baseline(warehouse: Path, ids: list[str], *, repeats: int) -> dict[str, float]:
    since = (datetime.now(UTC) - timedelta(weeks=13)).strftime("%Y-%m-%d 00:00:00")
    timings = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for customer in random.Random(3).choices(ids, k=repeats):
            started = time.perf_counter()
            for sql in SQL_360:
                values = [customer, since] if "$2" in sql else [customer]
                con.execute(sql, values).fetchall()
            timings.append(time.perf_counter() - started)
    timings.sort()
    return {
        "lookups": repeats,
        "p50_ms": timings[len(timings) // 2] * 1e3,
        "p99_ms": timings[int(len(timings) * 0.99)] * 1e3,
    }


def _sql_intake_baseline(
    warehouse: Path, ids: list[str], *, batch: int, batches: int
) -> dict[str, float]:
    """The same batches inserted straight into a copy of the warehouse."""
    copy = Path(tempfile.mkdtemp(prefix="retain-intake-")) / "copy.duckdb"
    shutil.copy(warehouse, copy)
    picker = random.Random(5)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    files = []
    for number in range(batches):
        path = copy.parent / f"batch{number}.json"
        events = [
            {
                "event_id": f"sql-{number}-{i}",
                "customer_id": picker.choice(ids),
                "occurred_at": now,
                "name": "bench",
                "quantity": 1,
            }
            for i in range(batch)
        ]
        path.write_text(json.dumps({"usage_events": events}))
        files.append(path)
    with duckdb.connect(str(copy)) as con:
        started = time.perf_counter()
        for path in files:
            con.execute(
                "INSERT INTO usage_event SELECT e.event_id, e.customer_id, "
                "CAST(e.occurred_at AS TIMESTAMP), e.name, e.quantity FROM ("
                "SELECT unnest(usage_events, recursive := true) FROM read_json(?)) AS e",
                [str(path)],
            )
        seconds = time.perf_counter() - started
    shutil.rmtree(copy.parent, ignore_errors=True)
    return {"events": batch * batches, "events_per_second": batch * batches / seconds}


def _report(
    arguments: argparse.Namespace,
    reads: dict[str, Any],
    intake: dict[str, Any],
    read_floor: dict[str, float],
    intake_floor: dict[str, float],
) -> None:
    events_per_second = (
        (intake["requests"] - intake["failures"]) * arguments.batch / intake["seconds"]
    )
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "customers": arguments.customers,
        "customer_360": reads,
        "intake": {**intake, "batch": arguments.batch, "events_per_second": events_per_second},
        "sql_360": read_floor,
        "sql_intake": intake_floor,
        "ratios": {
            "360_p50_vs_sql": reads["p50_ms"] / read_floor["p50_ms"],
            "intake_vs_sql": events_per_second / intake_floor["events_per_second"],
        },
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "api.json").write_text(json.dumps(result, indent=2))
    print(f"customers: {arguments.customers:,}; machine: {result['machine']}")
    print(
        f"customer-360: {reads['requests_per_second']:.0f} req/s offered {arguments.rate}, "
        f"p50 {reads['p50_ms']:.0f} ms, p99 {reads['p99_ms']:.0f} ms, "
        f"{reads['failures']} errors of {reads['requests']:,} "
        f"(target p99 < 50 ms at 200 req/s, no errors)"
    )
    print(
        f"  hand-written DuckDB SQL, same lookups, no HTTP: p50 {read_floor['p50_ms']:.1f} ms, "
        f"p99 {read_floor['p99_ms']:.1f} ms; Retain p50 / SQL p50 = "
        f"{result['ratios']['360_p50_vs_sql']:.1f}x"
    )
    print(
        f"intake: {events_per_second:,.0f} events/s in batches of {arguments.batch} "
        f"({intake['requests']:,} requests, {intake['failures']} errors; p50 "
        f"{intake['p50_ms']:.0f} ms, p99 {intake['p99_ms']:.0f} ms; target >= 5,000 events/s)"
    )
    print(
        f"  hand-written INSERT ... read_json, no validation: "
        f"{intake_floor['events_per_second']:,.0f} events/s; Retain / SQL = "
        f"{result['ratios']['intake_vs_sql']:.2f}x"
    )


if __name__ == "__main__":
    main()
