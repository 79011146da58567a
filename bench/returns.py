"""Returns benchmark: requests through the policy and the workflow; retention after a return.

The claims (issue 11): 100,000 return requests go through the policy engine and the state
machine at a rate worth stating next to a hand-written baseline, and the retention-after-return
report runs on a 1,000,000-customer warehouse in a few minutes within a stated memory.

What runs:

1. Policy and workflow in memory, 100,000 generated requests (random products, categories,
   conditions, reasons, customer time zones, order and request times, values, tiers). Retain:
   ``policy.evaluate`` on the YAML policy (the auto-approval rules parsed once into trees and
   walked per request) and ``workflow.check`` for every step of each request's path
   (requested -> approved -> in_transit -> received -> inspected -> resolved -> closed, or
   declined, or left for review). Baseline: the same policy written by hand as plain Python
   (dicts of windows, a set of final-sale categories, the rule as a lambda, a dict of allowed
   moves) with the same time-zone arithmetic. Both must reach the same decision for every
   request; best of ``--repeat``.
2. Through the store (SQLite), ``--store-requests`` requests: Retain's ``request_return``
   (lines, history, audit, the policy decision, the customer notification, row locks)
   against the plainest possible write: one executemany INSERT of one row per request.
3. The retention-after-return report (``report.retention_after_return``, every cut, three
   horizons, two outcomes) on ``--customers`` generated customers (orders Poisson around 2.5
   over two years, about 8 % of orders returned), in a spawned process so that its peak RSS is
   its own; the generation and load are timed apart.

Usage:
    .venv/bin/python bench/returns.py [--requests 100000] [--store-requests 5000]
        [--customers 1000000] [--repeat 3] [--json bench/out/returns.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as day_start
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
from common import insert_tables, peak_rss_mb

from retain.returns.policy import LineFacts, Policy, RequestFacts, evaluate, parse_policy
from retain.returns.workflow import TRANSITIONS, check

POLICY_TEXT = """
window_days: 30
reasons: [damaged, wrong_size, changed_mind, not_as_described]
categories:
  shoes: {window_days: 60}
  clearance: {final_sale: true}
products:
  P7: {window_days: 14}
accepted_conditions: [unopened, opened, damaged]
auto_approve: ["value <= 50", "tier in ['gold', 'platinum'] and value <= 300"]
"""
CATEGORIES = ("shoes", "tea", "kitchen", "clearance", "books")
CONDITIONS = ("unopened", "opened", "used", "damaged")
REASONS = ("damaged", "wrong_size", "changed_mind", "not_as_described")
ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC")
TIERS = (None, "silver", "gold", "platinum")
PATH = ("approved", "in_transit", "received", "inspected", "resolved", "closed")
START = datetime(2024, 1, 1)
END = datetime(2026, 1, 1)


def generate_requests(count: int, seed: int) -> list[RequestFacts]:
    rng = np.random.default_rng(seed)
    ordered = rng.uniform(0, 600, count)
    waited = rng.uniform(0, 45, count)
    products = rng.integers(0, 20, count)
    requests = []
    for index in range(count):
        at = START + timedelta(days=float(ordered[index]))
        requests.append(
            RequestFacts(
                ordered_at=at,
                requested_at=at + timedelta(days=float(waited[index])),
                time_zone=ZONES[index % len(ZONES)],
                reason=REASONS[int(rng.integers(0, len(REASONS)))],
                resolution="refund",
                lines=(
                    LineFacts(
                        f"P{products[index]}",
                        CATEGORIES[int(products[index]) % len(CATEGORIES)],
                        CONDITIONS[int(rng.integers(0, len(CONDITIONS)))],
                        Decimal(int(rng.gamma(2, 60) * 100)) / 100,
                    ),
                ),
                tier=TIERS[int(rng.integers(0, len(TIERS)))],
                first_return=bool(rng.random() < 0.6),
            )
        )
    return requests


def ours(policy: Policy, requests: list[RequestFacts]) -> list[str]:
    rules = policy.parsed_rules()
    outcomes = []
    for facts in requests:
        decision = evaluate(policy, facts, rules)
        state = "requested"
        for step in _steps(decision.outcome):
            check(state, step)
            state = step
        outcomes.append(decision.outcome)
    return outcomes


def _steps(outcome: str) -> tuple[str, ...]:
    return PATH if outcome == "approve" else ("declined",) if outcome == "decline" else ()


@dataclass(frozen=True)
class HandPolicy:
    """The same policy, written by hand."""

    windows = {"shoes": 60}
    product_windows = {"P7": 14}
    final_sale = frozenset({"clearance"})
    conditions = frozenset({"unopened", "opened", "damaged"})
    reasons = frozenset(REASONS)
    moves = {state: set(targets) for state, targets in TRANSITIONS.items()}


def _window_end(ordered_at: datetime, days: int, zone: str) -> datetime:
    local = ZoneInfo(zone)
    ordered_local = ordered_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(local)
    closes = datetime.combine(ordered_local.date() + timedelta(days=days + 1), day_start(), local)
    return closes.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def baseline(hand: HandPolicy, requests: list[RequestFacts]) -> list[str]:
    outcomes = []
    for facts in requests:
        line = facts.lines[0]
        days = hand.product_windows.get(line.product_id or "") or hand.windows.get(
            line.category or "", 30
        )
        value = float(line.value)
        if (
            facts.reason not in hand.reasons
            or line.category in hand.final_sale
            or facts.requested_at >= _window_end(facts.ordered_at, days, facts.time_zone or "UTC")
            or line.condition not in hand.conditions
        ):
            outcome = "decline"
        elif value <= 50 or (facts.tier in ("gold", "platinum") and value <= 300):
            outcome = "approve"
        else:
            outcome = "review"
        state = "requested"
        for step in _steps(outcome):
            if step not in hand.moves[state]:  # type: ignore[index]
                raise ValueError(f"{state} -> {step}")
            state = step
        outcomes.append(outcome)
    return outcomes


def best_of(repeat: int, work: Callable[[], list[str]]) -> tuple[float, list[str]]:
    best, result = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def in_memory(count: int, repeat: int) -> dict[str, Any]:
    requests = generate_requests(count, seed=1)
    policy = parse_policy(POLICY_TEXT)
    ours_seconds, ours_outcomes = best_of(repeat, lambda: ours(policy, requests))
    hand_seconds, hand_outcomes = best_of(repeat, lambda: baseline(HandPolicy(), requests))
    assert ours_outcomes == hand_outcomes, "the two disagree on some request"
    return {
        "requests": count,
        "ours_seconds": ours_seconds,
        "baseline_seconds": hand_seconds,
        "outcomes": {name: ours_outcomes.count(name) for name in ("approve", "decline", "review")},
    }


def through_store(count: int, folder: str) -> dict[str, Any]:
    from retain.returns import service
    from retain.returns.service import ItemRequest, OrderFacts, OrderLineFacts
    from retain.store import ensure_store, session_scope

    url = f"sqlite:///{folder}/store.db"
    ensure_store(url)
    policy = parse_policy(POLICY_TEXT)
    now = END
    orders = [
        OrderFacts(
            order_id=f"O{index}",
            customer_id=f"C{index}",
            ordered_at=now - timedelta(days=index % 40),
            currency="EUR",
            lines=(
                OrderLineFacts(1, f"P{index % 20}", None, CATEGORIES[index % 5], 2, Decimal("80")),
            ),
        )
        for index in range(count)
    ]
    started = time.perf_counter()
    for chunk in range(0, count, 500):
        with session_scope(url) as session:
            for facts in orders[chunk : chunk + 500]:
                service.request_return(
                    session=session,
                    policy=policy,
                    order=facts,
                    items=[ItemRequest(1, 1)],
                    reason="changed_mind",
                    wanted="refund",
                    key=f"bench:{facts.order_id}",
                    at=now,
                    actor="bench",
                )
    ours_seconds = time.perf_counter() - started
    plain = sqlite3.connect(f"{folder}/plain.db")
    plain.execute(
        "CREATE TABLE request (id TEXT PRIMARY KEY, order_id TEXT, customer_id TEXT, "
        "state TEXT, at TEXT, value TEXT)"
    )
    started = time.perf_counter()
    for chunk in range(0, count, 500):
        plain.executemany(
            "INSERT INTO request VALUES (?, ?, ?, ?, ?, ?)",
            [
                (f"R{o.order_id}", o.order_id, o.customer_id, "requested", now.isoformat(), "40")
                for o in orders[chunk : chunk + 500]
            ],
        )
        plain.commit()
    plain_seconds = time.perf_counter() - started
    plain.close()
    return {"requests": count, "ours_seconds": ours_seconds, "baseline_seconds": plain_seconds}


def _timestamps(days: np.ndarray) -> pa.Array:
    micros = np.datetime64(START, "us") + (days * 86_400e6).astype("timedelta64[us]")
    return pa.array(micros.astype("datetime64[us]"))


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(prefix, pa.array(numbers).cast(pa.string()), "")


def generate_warehouse(folder: str, customers: int, seed: int) -> dict[str, Any]:
    """Orders, lines and return events of ``customers`` customers in a DuckDB warehouse."""

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    counts = 1 + rng.poisson(1.5, customers)
    owner = np.repeat(np.arange(customers), counts)
    days = rng.uniform(0, 730, owner.size)
    order_ids = _ids("O", np.arange(owner.size))
    amount = np.round(rng.gamma(3, 25, owner.size), 2)
    returned = np.flatnonzero(rng.random(owner.size) < 0.08)
    resolutions = np.array(["refunded", "credited", "exchanged"])
    tables = {
        "order": pa.table(
            {
                "order_id": order_ids,
                "customer_id": _ids("C", owner),
                "ordered_at": _timestamps(days),
                "amount": pa.array(amount).cast(pa.decimal128(18, 2)),
                "currency": pa.array(["EUR"] * owner.size),
                "status": pa.array(["paid"] * owner.size),
            }
        ),
        "order_line": pa.table(
            {
                "order_id": order_ids,
                "line_number": pa.array(np.ones(owner.size, dtype=np.int64)),
                "category": pa.array(np.array(CATEGORIES)[rng.integers(0, 5, owner.size)]),
                "quantity": pa.array(np.ones(owner.size, dtype=np.int64)),
                "amount": pa.array(amount).cast(pa.decimal128(18, 2)),
            }
        ),
        "return_event": pa.table(
            {
                "return_id": _ids("R", np.arange(returned.size)),
                "order_id": order_ids.take(pa.array(returned)),
                "customer_id": _ids("C", owner[returned]),
                "returned_at": _timestamps(days[returned] + rng.uniform(3, 20, returned.size)),
                "amount": pa.array(amount[returned]).cast(pa.decimal128(18, 2)),
                "currency": pa.array(["EUR"] * returned.size),
                "reason": pa.array(np.array(REASONS)[rng.integers(0, 4, returned.size)]),
                "status": pa.array(resolutions[rng.integers(0, 3, returned.size)]),
            }
        ),
    }
    insert_tables(f"duckdb:///{folder}/warehouse.duckdb", tables)
    return {
        "rows": {name: table.num_rows for name, table in tables.items()},
        "seconds": time.perf_counter() - started,
        "peak_mb": peak_rss_mb(),
    }


def retention_report(folder: str) -> dict[str, Any]:
    from retain.returns import report
    from retain.warehouse import connect

    backend = connect(f"duckdb:///{folder}/warehouse.duckdb")
    started = time.perf_counter()
    rows = report.retention_after_return(backend)
    seconds = time.perf_counter() - started
    backend.disconnect()
    overall = next(
        row
        for row in rows
        if (row["cut"], row["days"], row["outcome"]) == ("all", 90, "repurchased")
    )
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "rows": len(rows), "overall_90": overall}


def in_child(work: Callable[..., dict[str, Any]], *arguments: Any) -> dict[str, Any]:
    """Run ``work`` in a freshly spawned process so that its peak memory is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(work, *arguments).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--store-requests", type=int, default=5_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="retain-returns-bench-")
    try:
        results = {
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "in_memory": in_memory(options.requests, options.repeat),
            "store": in_child(through_store, options.store_requests, folder),
            "customers": options.customers,
            "generate": in_child(generate_warehouse, folder, options.customers, options.seed),
            "report": in_child(retention_report, folder),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    show(results)
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(results, indent=2, default=str))


def show(results: dict[str, Any]) -> None:
    memory, store = results["in_memory"], results["store"]
    for name, part in (("policy + workflow, in memory", memory), ("request into the store", store)):
        ours_rate = part["requests"] / part["ours_seconds"]
        base_rate = part["requests"] / part["baseline_seconds"]
        print(
            f"{name}: {part['requests']:,} requests; Retain {ours_rate:,.0f}/s, "
            f"baseline {base_rate:,.0f}/s; Retain/baseline throughput {ours_rate / base_rate:.2f}"
        )
    print(f"decisions: {memory['outcomes']}")
    generated, built = results["generate"], results["report"]
    print(
        f"warehouse of {results['customers']:,} customers: {generated['rows']} "
        f"in {generated['seconds']:.1f} s"
    )
    overall = built["overall_90"]
    print(
        f"retention report: {built['seconds']:.1f} s, peak {built['peak_mb']:.0f} MB, "
        f"{built['rows']} rows; 90-day repurchase {overall['rate']:.3f} for "
        f"{overall['returners']:,} returners vs {overall['expected']:.3f} for similar customers"
    )


if __name__ == "__main__":
    main()
