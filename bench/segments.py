"""Segment evaluation on 1,000,000 customers: Retain's Ibis expressions vs hand-written DuckDB SQL.

Builds a DuckDB warehouse in a temporary folder (numpy, in-process, no downloads), then evaluates
the eight RFM segments and three rule segments twice: with ``retain.segments`` and with one
hand-written SQL query, each side in its own process. Both must give identical member sets.
Prints the fastest time of each side, the ratio, the segment sizes and each peak RSS.

    .venv/bin/python bench/segments.py [--customers 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from retain.segments.features import PREDICTIONS, RFM_GRID, StoreInputs, customer_attributes
from retain.segments.models import SegmentDefinition
from retain.segments.service import evaluate_segments
from retain.warehouse import connect

AT = datetime(2026, 11, 1)
START = datetime(2023, 11, 1)
COUNTRIES = np.array(["CN", "SG", "US", "GB", "DE", "FR", "JP", "AU", "BR", "IN"])
CHANNELS = np.array(["email", "ads", "organic", "referral", "marketplace"])
TARGET_SECONDS = 5.0
RULES = {
    "risky-vip": 'churn_risk > 0.6 and clv > 500 and country in ["CN", "SG"]',
    "slipping": 'recency_days > 90 and orders >= 3 and not (channel = "ads")',
    "fading-new": 'signup_at >= "2025-06-01" and (frequency >= 2 or revenue > 1000) '
    "and p_alive < 0.3",
}
SQL_RULES = {
    "risky-vip": "coalesce(churn_risk > 0.6, false) and coalesce(clv > 500, false) "
    "and coalesce(country in ('CN', 'SG'), false)",
    "slipping": "coalesce(recency_days > 90, false) and coalesce(orders >= 3, false) "
    "and not coalesce(channel = 'ads', false)",
    "fading-new": "coalesce(signup_at >= TIMESTAMP '2025-06-01', false) "
    "and (coalesce(frequency >= 2, false) or coalesce(revenue > 1000, false)) "
    "and coalesce(p_alive < 0.3, false)",
}


def generate(path: Path, customers: int, seed: int = 1) -> tuple[int, pa.Table]:
    """Customers and their orders in the warehouse at ``path``; the predictions, as Arrow."""
    rng = np.random.default_rng(seed)
    span = (AT - START).total_seconds()
    ids = np.char.add("C", np.char.zfill(np.arange(customers).astype(str), 8))
    signup = np.datetime64(START) + (rng.random(customers) * span).astype("timedelta64[s]")
    customer = pa.table(
        {
            "customer_id": ids,
            "signup_at": signup.astype("datetime64[us]"),
            "country": COUNTRIES[rng.integers(0, len(COUNTRIES), customers)],
            "channel": CHANNELS[rng.integers(0, len(CHANNELS), customers)],
            "language": np.full(customers, "en"),
            "attributes": pa.nulls(customers, pa.string()),
        }
    )
    counts = rng.geometric(0.25, customers) - 1  # a quarter never order; three on average
    owner = np.repeat(np.arange(customers), counts)
    until_at = (np.datetime64(AT) - signup[owner]).astype("timedelta64[s]").astype(np.int64)
    ordered = signup[owner] + (rng.random(len(owner)) * until_at * 1.05).astype("timedelta64[s]")
    amount = np.round(rng.lognormal(4.0, 0.8, len(owner)), 2)
    order = pa.table(
        {
            "order_id": np.char.add("O", np.arange(len(owner)).astype(str)),
            "customer_id": ids[owner],
            "ordered_at": ordered.astype("datetime64[us]"),
            "amount": pa.array(amount).cast(pa.decimal128(18, 2)),
            "currency": np.full(len(owner), "USD"),
            "status": np.where(rng.random(len(owner)) < 0.03, "cancelled", "paid"),
            "discount": pa.nulls(len(owner), pa.decimal128(18, 2)),
        }
    )
    connect(f"duckdb:///{path}").disconnect()  # creates the canonical tables
    with duckdb.connect(str(path)) as con:
        con.register("customer_rows", customer)
        con.register("order_rows", order)
        con.execute("INSERT INTO customer SELECT * FROM customer_rows")
        con.execute('INSERT INTO "order" SELECT * FROM order_rows')
    scored = rng.random(customers) < 0.6
    predictions = pa.table(
        {
            "customer_id": ids[scored],
            "churn_risk": rng.random(int(scored.sum())),
            "clv": rng.lognormal(5.5, 1.0, int(scored.sum())),
            "p_alive": rng.random(int(scored.sum())),
            "health": pa.nulls(int(scored.sum()), pa.float64()),
        },
        schema=PREDICTIONS.to_pyarrow(),
    )
    return len(owner), predictions


def with_retain(path: Path, predictions: pa.Table) -> dict[str, set[str]]:
    """Members of every segment through retain.segments."""
    backend = connect(f"duckdb:///{path}", create_tables=False)
    try:
        store = StoreInputs(predictions=predictions, rates={})
        attributes = customer_attributes(backend, at=AT, store=store)
        definitions = [
            SegmentDefinition(name=f"rfm:{name}", rule=None) for name, _, _ in RFM_GRID
        ] + [SegmentDefinition(name=name, rule=rule) for name, rule in RULES.items()]
        return evaluate_segments(attributes=attributes, definitions=definitions)
    finally:
        backend.disconnect()


def _cell_sql() -> str:
    cases = " ".join(
        f"WHEN r_score BETWEEN {r.start} AND {r.stop - 1} "
        f"AND f_score BETWEEN {f.start} AND {f.stop - 1} THEN '{name}'"
        for name, r, f in RFM_GRID
    )
    return f"CASE {cases} END"


def hand_sql() -> str:
    """The same memberships as one DuckDB query, written by hand."""
    conditions = {
        **{f"rfm:{name}": f"coalesce(rfm_segment = '{name}', false)" for name, _, _ in RFM_GRID},
        **SQL_RULES,
    }
    flags = ", ".join(f'({condition}) AS "{name}"' for name, condition in conditions.items())
    anywhere = " OR ".join(f"({condition})" for condition in conditions.values())
    return f"""
    WITH figures AS (
        SELECT customer_id, count(*) AS orders,
               count(*) FILTER (WHERE ordered_at >= TIMESTAMP '{AT:%Y-%m-%d}' - INTERVAL 365 DAY)
                   AS frequency,
               sum(CAST(amount AS DOUBLE)) AS revenue, max(ordered_at) AS last_order_at
        FROM "order"
        WHERE ordered_at < TIMESTAMP '{AT:%Y-%m-%d}' AND status IS DISTINCT FROM 'cancelled'
        GROUP BY customer_id
    ), scored AS (
        SELECT *,
            least(floor(percent_rank() OVER (ORDER BY epoch(last_order_at)) * 5) + 1, 5)
                AS r_score,
            least(floor(percent_rank() OVER (ORDER BY orders) * 5) + 1, 5) AS f_score
        FROM figures
    ), attributes AS (
        SELECT c.customer_id, c.country, c.channel, c.signup_at,
               coalesce(s.orders, 0) AS orders, coalesce(s.frequency, 0) AS frequency,
               coalesce(s.revenue, 0) AS revenue,
               epoch(TIMESTAMP '{AT:%Y-%m-%d}') / 86400 - epoch(s.last_order_at) / 86400
                   AS recency_days,
               {_cell_sql()} AS rfm_segment,
               p.churn_risk, p.clv, p.p_alive
        FROM customer c
        LEFT JOIN scored s USING (customer_id)
        LEFT JOIN predictions p USING (customer_id)
        WHERE c.signup_at IS NULL OR c.signup_at < TIMESTAMP '{AT:%Y-%m-%d}'
    )
    SELECT customer_id, {flags} FROM attributes WHERE {anywhere}
    """


def with_sql(path: Path, predictions: pa.Table) -> dict[str, set[str]]:
    """Members of every segment through the hand-written query, read back as Retain does."""
    with duckdb.connect(str(path), read_only=True) as con:
        con.register("predictions", predictions)
        table = con.execute(hand_sql()).to_arrow_table()
    ids = table.column("customer_id")
    return {
        name: set(ids.filter(table.column(name)).to_pylist()) for name in table.column_names[1:]
    }


SIDES: dict[str, Callable[[Path, pa.Table], dict[str, set[str]]]] = {
    "retain": with_retain,
    "sql": with_sql,
}


def run_side(side: str, path: Path, repeat: int) -> None:
    """Time one side (fastest of ``repeat``), write its members, print seconds and peak RSS."""
    predictions = pq.read_table(_predictions_path(path))
    times, members = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        members = SIDES[side](path, predictions)
        times.append(time.perf_counter() - started)
    rows = [(name, customer) for name, found in members.items() for customer in found]
    pq.write_table(
        pa.table({"segment": [r[0] for r in rows], "customer_id": [r[1] for r in rows]}),
        _members_path(path, side),
    )
    # ru_maxrss is in kilobytes on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": min(times), "peak_mb": peak}))


def _predictions_path(path: Path) -> Path:
    return path.with_suffix(".predictions.parquet")


def _members_path(path: Path, side: str) -> Path:
    return path.with_suffix(f".{side}.parquet")


def _child(*arguments: str) -> str:
    """Run this script with ``arguments`` in its own process: its peak memory is its own."""
    command = [sys.executable, __file__, *arguments]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def _read_members(path: Path, side: str) -> dict[str, set[str]]:
    table = pq.read_table(_members_path(path, side)).to_pydict()
    members: dict[str, set[str]] = {}
    for name, customer in zip(table["segment"], table["customer_id"], strict=True):
        members.setdefault(name, set()).add(customer)
    return members


def build(path: Path, customers: int) -> None:
    """Generate the warehouse and the predictions file."""
    orders, predictions = generate(path, customers)
    pq.write_table(predictions, _predictions_path(path))
    print(f"{orders:,} orders, {predictions.num_rows:,} predictions")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="Runs per side; the fastest counts.")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=sorted(SIDES), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.build is not None and arguments.side is None:
        build(arguments.build, arguments.customers)
        return 0
    if arguments.side is not None:
        run_side(arguments.side, arguments.build, arguments.repeat)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "warehouse.duckdb"
        started = time.perf_counter()
        built = _child("--build", str(path), "--customers", str(arguments.customers))
        print(
            f"warehouse: {arguments.customers:,} customers, {built}, "
            f"{path.stat().st_size / 2**20:.0f} MB (built in {time.perf_counter() - started:.1f} s)"
        )
        results = {}
        for side, label in (("retain", "retain.segments"), ("sql", "hand-written DuckDB SQL")):
            found = json.loads(
                _child("--build", str(path), "--side", side, "--repeat", str(arguments.repeat))
            )
            results[side] = found
            print(f"{label}: {found['seconds']:.2f} s, peak RSS {found['peak_mb']:.0f} MB")
        members, expected = _read_members(path, "retain"), _read_members(path, "sql")
    if members != expected:
        differing = sorted(name for name in expected if members.get(name) != expected[name])
        print(f"MISMATCH in {', '.join(differing)}", file=sys.stderr)
        return 1
    sizes = ", ".join(f"{name} {len(found):,}" for name, found in sorted(members.items()))
    print(f"identical member sets: {sizes}")
    ours, theirs = results["retain"]["seconds"], results["sql"]["seconds"]
    print(
        f"ratio retain / SQL: {ours / theirs:.2f}; target under {TARGET_SECONDS:.0f} s: "
        f"{'met' if ours < TARGET_SECONDS else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
