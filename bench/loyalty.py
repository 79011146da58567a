"""Loyalty ledger benchmark: Retain's ledger against a hand-written INSERT + SUM, same database.

The claim (issue 10, "bench/loyalty.py"): with 100,000 members and 1,000,000 ledger entries the
ledger keeps its books exact under concurrent earning and redeeming on PostgreSQL (0 invariant
violations) at a throughput a shop can live with; this script prints what exactness costs.

What runs, on SQLite (a file) and on PostgreSQL (a fresh database, dropped at the end):

1. Setup, not timed: the store is migrated; ``--members`` members and ``--entries`` earned
   lots (spread evenly) are bulk-loaded into ``loyalty_entry``; the same rows go into the
   baseline table ``plain_entry (id, customer_id, points, created_at)`` indexed on customer.
2. Sequential, timed: ``--operations`` operations on random members, each its own transaction,
   alternating earn and redeem, each followed by a balance query. Retain: ``ledger.credit`` /
   ``ledger.debit`` (member lock, idempotency key, FIFO allocation, expiry check) and
   ``ledger.balance``. Baseline: what a user would write by hand on the raw driver: an INSERT
   for an earn; ``SELECT SUM`` then INSERT for a redeem; ``SELECT SUM`` for the balance. The
   baseline has no lock, no idempotency and no lots, so it is an upper bound of speed.
3. Replay, timed: ``--orders`` orders through the earning rules (``earn_order``, a weekend
   campaign, 500 orders per transaction), orders per second.
4. Concurrent, PostgreSQL only: ``--workers`` threads for ``--seconds`` seconds earning and
   redeeming on ``--hot`` members (contention on purpose), Retain and then the baseline. After
   each, the invariants are checked for every hot member: Retain's balance equals the sum of
   its entries and of what its lots hold, and no balance is negative; the baseline's only
   check is that no balance is negative. Violations are counted.

Usage:
    .venv/bin/python bench/loyalty.py [--members 100000] [--entries 1000000]
        [--operations 4000] [--orders 20000] [--workers 16] [--seconds 30] [--hot 200]
        [--postgres-url postgresql://postgres@127.0.0.1:5432] [--skip-postgres] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import func, select  # noqa: E402

from retain.loyalty import ledger  # noqa: E402
from retain.loyalty.ledger import InsufficientPoints  # noqa: E402
from retain.loyalty.models import LoyaltyEntry  # noqa: E402
from retain.loyalty.rules import parse_rules  # noqa: E402
from retain.loyalty.service import Order, earn_order  # noqa: E402
from retain.store import get_engine, session_scope, upgrade_store  # noqa: E402

START = datetime(2026, 1, 1)
NOW = datetime(2026, 6, 1)
RULES = parse_rules(
    "return_window_days: 0\ncampaigns: [{name: weekend, multiplier: 2, weekdays: [sat, sun]}]"
)
BASELINE_TABLE = """CREATE TABLE plain_entry (
    id {id_type} PRIMARY KEY, customer_id VARCHAR(128) NOT NULL, points BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL)"""


def main() -> None:
    options = _arguments()
    results: dict[str, Any] = {"sizes": {"members": options.members, "entries": options.entries}}
    print(_machine())
    with tempfile.TemporaryDirectory(prefix="retain-bench-loyalty-") as folder:
        results["sqlite"] = _run_sqlite(options, Path(folder))
    if not options.skip_postgres:
        results["postgres"] = _run_postgres(options)
    if options.json:
        Path(options.json).parent.mkdir(parents=True, exist_ok=True)
        Path(options.json).write_text(json.dumps(results, indent=2, default=str))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--operations", type=int, default=4_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--hot", type=int, default=200)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--json")
    return parser.parse_args()


def _machine() -> str:
    return (
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
        f", SQLite {sqlite3.sqlite_version}"
    )


# --- data ----------------------------------------------------------------------------------


def _rows(members: int, entries: int) -> list[tuple[int, str, int, datetime]]:
    """``entries`` earned lots spread over ``members`` members, in a fixed random order."""
    rng = random.Random(7)
    return [
        (
            number + 1,
            f"M{number % members:07d}",
            rng.randint(5, 200),
            START + timedelta(minutes=number % 200_000),
        )
        for number in range(entries)
    ]


def _member_rows(members: int) -> list[tuple[Any, ...]]:
    return [(f"M{n:07d}", START, 0, f"R{n:09d}", "en") for n in range(members)]


# --- SQLite ----------------------------------------------------------------------------------


def _run_sqlite(options: argparse.Namespace, folder: Path) -> dict[str, Any]:
    path = folder / "retain.db"
    url = f"sqlite:///{path}"
    upgrade_store(url)
    started = time.perf_counter()
    with sqlite3.connect(path) as connection:
        _load_sqlite(connection, options)
    print(
        f"\nSQLite: loaded {options.members:,} members, {options.entries:,} entries twice "
        f"in {time.perf_counter() - started:.0f} s"
    )

    def baseline() -> Callable[[str, int], None]:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        return lambda member, points: _plain_operation(connection, "?", member, points)

    return _measure(url, options, baseline, label="SQLite")


def _load_sqlite(connection: sqlite3.Connection, options: argparse.Namespace) -> None:
    connection.executemany(
        "INSERT INTO loyalty_member (customer_id, enrolled_at, revision, referral_code, language)"
        " VALUES (?, ?, ?, ?, ?)",
        _member_rows(options.members),
    )
    rows = _rows(options.members, options.entries)
    connection.executemany(
        "INSERT INTO loyalty_entry (id, customer_id, kind, source, idempotency_key, points,"
        " created_at, available_at) VALUES (?, ?, 'earn', 'order', 'seed:' || ?, ?, ?, ?)",
        [(i, member, i, points, at, at) for i, member, points, at in rows],
    )
    connection.execute(BASELINE_TABLE.format(id_type="INTEGER"))
    connection.executemany("INSERT INTO plain_entry VALUES (?, ?, ?, ?)", rows)
    connection.execute("CREATE INDEX ix_plain_entry_customer ON plain_entry (customer_id)")


# --- PostgreSQL -------------------------------------------------------------------------------


def _run_postgres(options: argparse.Namespace) -> dict[str, Any]:
    name = f"retain_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{options.postgres_url}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{options.postgres_url.split('://', 1)[1]}/{name}"
    raw = f"{options.postgres_url}/{name}"
    try:
        upgrade_store(url)
        started = time.perf_counter()
        with psycopg.connect(raw) as connection:
            _load_postgres(connection, options)
        print(
            f"\nPostgreSQL: loaded {options.members:,} members, {options.entries:,} entries "
            f"twice in {time.perf_counter() - started:.0f} s"
        )

        def baseline() -> Callable[[str, int], None]:
            connection = psycopg.connect(raw, autocommit=True)
            return lambda member, points: _plain_operation(connection, "%s", member, points)

        result = _measure(url, options, baseline, label="PostgreSQL")
        result["concurrent"] = _concurrent(url, raw, options)
        return result
    finally:
        get_engine(url).dispose()
        with psycopg.connect(f"{options.postgres_url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _load_postgres(connection: psycopg.Connection, options: argparse.Namespace) -> None:
    with connection.cursor() as cursor:
        member_columns = "customer_id, enrolled_at, revision, referral_code, language"
        _copy(cursor, f"loyalty_member ({member_columns})", _member_rows(options.members))
        rows = _rows(options.members, options.entries)
        _copy(
            cursor,
            "loyalty_entry (id, customer_id, kind, source, idempotency_key, points, created_at,"
            " available_at)",
            [(i, m, "earn", "order", f"seed:{i}", p, at, at) for i, m, p, at in rows],
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('loyalty_entry', 'id'), %s)", (options.entries,)
        )
        cursor.execute(BASELINE_TABLE.format(id_type="BIGSERIAL"))
        _copy(cursor, "plain_entry (id, customer_id, points, created_at)", rows)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('plain_entry', 'id'), %s)", (options.entries,)
        )
        cursor.execute("CREATE INDEX ix_plain_entry_customer ON plain_entry (customer_id)")
        cursor.execute("ANALYZE")


def _copy(cursor: psycopg.Cursor, target: str, rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --- measurements ------------------------------------------------------------------------------


def _plain_operation(connection: Any, mark: str, member: str, points: int) -> None:
    """The hand-written baseline: INSERT for an earn, SUM then INSERT for a redeem; then SUM."""
    balance_sql = f"SELECT COALESCE(SUM(points), 0) FROM plain_entry WHERE customer_id = {mark}"
    insert_sql = (
        f"INSERT INTO plain_entry (customer_id, points, created_at) VALUES ({mark}, {mark}, {mark})"
    )
    if points < 0:
        balance = connection.execute(balance_sql, (member,)).fetchone()[0]
        if balance + points < 0:
            connection.execute(balance_sql, (member,)).fetchone()
            return
    connection.execute(insert_sql, (member, points, NOW))
    connection.execute(balance_sql, (member,)).fetchone()


def _retain_operation(url: str, member: str, points: int, key: str) -> None:
    with session_scope(url) as session:
        try:
            if points > 0:
                ledger.credit(
                    session=session,
                    customer_id=member,
                    points=points,
                    source="order",
                    key=key,
                    at=NOW,
                )
            else:
                ledger.debit(
                    session=session,
                    customer_id=member,
                    points=-points,
                    source="reward",
                    key=key,
                    at=NOW,
                )
        except InsufficientPoints:
            pass
        ledger.balance(session=session, customer_id=member, at=NOW)


def _plan(count: int, members: int, seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    return [
        (f"M{rng.randrange(members):07d}", rng.randint(5, 100) * (1 if n % 2 == 0 else -1))
        for n in range(count)
    ]


def _measure(
    url: str,
    options: argparse.Namespace,
    baseline: Callable[[], Callable[[str, int], None]],
    *,
    label: str,
) -> dict[str, Any]:
    plan = _plan(options.operations, options.members, seed=1)
    plain = baseline()
    started = time.perf_counter()
    for member, points in plan:
        plain(member, points)
    plain_rate = len(plan) / (time.perf_counter() - started)
    started = time.perf_counter()
    for number, (member, points) in enumerate(plan):
        _retain_operation(url, member, points, key=f"seq:{number}")
    retain_rate = len(plan) / (time.perf_counter() - started)
    replay_rate = _replay(url, options)
    print(f"{label}, sequential earn/redeem + balance, {len(plan):,} operations:")
    print(f"  hand-written INSERT + SUM  {plain_rate:10,.0f} ops/s")
    print(
        f"  Retain ledger              {retain_rate:10,.0f} ops/s   "
        f"ratio Retain/baseline {retain_rate / plain_rate:.2f}"
    )
    print(f"  Retain orders replayed through the rules: {replay_rate:,.0f} orders/s")
    return {"baseline_ops": plain_rate, "retain_ops": retain_rate, "replay_orders": replay_rate}


def _replay(url: str, options: argparse.Namespace) -> float:
    rng = random.Random(3)
    orders = [
        Order(
            f"BO{n}",
            f"M{rng.randrange(options.members):07d}",
            START + timedelta(minutes=n * 7),
            Decimal(rng.randint(500, 20_000)) / 100,
            "USD",
        )
        for n in range(options.orders)
    ]
    started = time.perf_counter()
    for first in range(0, len(orders), 500):
        with session_scope(url) as session:
            for order in orders[first : first + 500]:
                earn_order(session=session, rules=RULES, order=order)
    return len(orders) / (time.perf_counter() - started)


def _concurrent(url: str, raw: str, options: argparse.Namespace) -> dict[str, Any]:
    hot = [f"M{n:07d}" for n in range(options.hot)]
    retain_ops = _hammer(options, hot, lambda: _retain_worker(url))
    retain_violations = _retain_violations(url, hot)
    plain_ops = _hammer(options, hot, lambda: _plain_worker(raw))
    plain_violations = _plain_violations(raw, hot)
    print(
        f"PostgreSQL, {options.workers} concurrent workers for {options.seconds:.0f} s on "
        f"{len(hot)} hot members:"
    )
    print(
        f"  hand-written INSERT + SUM  {plain_ops:10,.0f} ops/s   "
        f"negative balances: {plain_violations}"
    )
    print(
        f"  Retain ledger              {retain_ops:10,.0f} ops/s   "
        f"invariant violations: {retain_violations}   "
        f"ratio Retain/baseline {retain_ops / plain_ops:.2f}"
    )
    return {
        "retain_ops": retain_ops,
        "retain_violations": retain_violations,
        "baseline_ops": plain_ops,
        "baseline_negative_balances": plain_violations,
    }


def _retain_worker(url: str) -> Callable[[str, int, str], None]:
    return lambda member, points, key: _retain_operation(url, member, points, key)


def _plain_worker(raw: str) -> Callable[[str, int, str], None]:
    connection = psycopg.connect(raw, autocommit=True)
    return lambda member, points, _key: _plain_operation(connection, "%s", member, points)


def _hammer(
    options: argparse.Namespace,
    hot: list[str],
    make: Callable[[], Callable[[str, int, str], None]],
) -> float:
    """Run ``--workers`` threads for ``--seconds`` seconds; operations per second."""
    stop, counts = time.perf_counter() + options.seconds, [0] * options.workers

    def work(number: int) -> None:
        operate, rng = make(), random.Random(number)
        while time.perf_counter() < stop:
            # Redeem-heavy on purpose: balances are pushed towards zero, where races show.
            points = rng.randint(50, 400) * (1 if rng.random() < 0.4 else -1)
            operate(rng.choice(hot), points, f"c{number}:{counts[number]}:{uuid.uuid4().hex}")
            counts[number] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(options.workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def _retain_violations(url: str, hot: list[str]) -> int:
    """Hot members whose balance is negative or differs from its entries' or its lots' sum."""
    violations = 0
    with session_scope(url) as session:
        for member in hot:
            balance = ledger.balance(session=session, customer_id=member, at=NOW)
            held = sum(lot.remaining for lot in ledger.lots(session=session, customer_id=member))
            entries = session.scalar(
                select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                    LoyaltyEntry.customer_id == member
                )
            )
            violations += balance.available < 0 or not balance.available == held == entries
    return violations


def _plain_violations(raw: str, hot: list[str]) -> int:
    with psycopg.connect(raw) as connection:
        rows = connection.execute(
            "SELECT customer_id FROM plain_entry WHERE customer_id = ANY(%s) "
            "GROUP BY customer_id HAVING SUM(points) < 0",
            (hot,),
        ).fetchall()
    return len(rows)


if __name__ == "__main__":
    main()
