"""Metrics benchmark: ``retain metrics`` and ``retain cohorts`` against hand-written DuckDB SQL
and pandas.

The claim (issue "bench/metrics.py"): on 10,000,000 generated orders of 1,000,000 customers,
Retain's retention metrics for 24 monthly periods plus the monthly acquisition-cohort table are
at least 20x as fast as pandas, within 1.5x of one hand-written DuckDB SQL query per output, and
peak under 2 GB; Spark local mode runs the same Ibis expressions on 1,000,000 orders.

The baselines are the fair ones of the shared anchors folder (``anchors/metrics_anchor.py``):
its order generator, its two DuckDB queries (customers at start and end, new and retained, by an
ASOF join; the cohort table) and its vectorised pandas loop are restated here verbatim, because
importing the anchor would run its script body. Each side runs in its own freshly spawned
process, so that its peak RSS is its own:

1. Retain's Python API, ``compute_metrics`` (24 months from 2024-01, orders basis, 365-day
   window) and ``compute_cohorts`` (monthly, 2023-01 to 2025-12), on a DuckDB warehouse file
   loaded beforehand (not timed).
2. The ``retain metrics`` and ``retain cohorts`` commands on the same file, end to end.
3. Each Retain expression on its own, to show where the time goes; among them the customer
   counts alone (``boundary_counts`` over ``active_ranges``), like-for-like with the SQL query.
4. The anchor's SQL on its own in-memory table of integer ids (the anchor as written), and the
   same SQL text on the warehouse file's ``order`` table (the data Retain reads).
5. The anchor's pandas (``--skip-pandas`` to leave it out).
6. Retain on Apache Spark in local mode at ``--spark-orders`` (0 to skip), checked against the
   anchor's SQL on the same orders.

Every side's S, E, N and retained for each period and customers per cohort cell are compared
with the anchor's SQL.

Usage:
    .venv/bin/python bench/metrics.py [--orders 10000000] [--customers 1000000]
        [--skip-pandas] [--spark-orders 1000000] [--spark-customers N] [--repeat 1]
        [--json bench/out/metrics.json] [--keep]

Extra packages: pyspark (in the ``test`` extra: ``make test-env``) and Java 17 for the Spark run;
DuckDB, pandas and pyarrow are runtime dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from common import peak_rss_mb

SPEED_TARGET_PANDAS = 20.0  # Retain at least this many times as fast as pandas
SQL_TARGET = 1.5  # Retain at most this many times the hand-written SQL's time
MEMORY_TARGET_MB = 2048.0  # 2 GiB, in the MiB that ru_maxrss / 1024 gives
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "bench" / "out" / "metrics.json"
RETAIN_CLI = Path(sys.executable).with_name("retain")

# The measured range, as in the anchor: 24 monthly periods from 2024-01 (25 boundaries) and the
# cohort table over all the generated orders (2023-01-01 to 2025-12-30).
METRICS_START, METRICS_END = date(2024, 1, 1), date(2025, 12, 31)
COHORTS_START, COHORTS_END = date(2023, 1, 1), date(2025, 12, 31)
ACTIVE_WINDOW_DAYS = 365
PERIOD_STARTS = pd.date_range("2024-01-01", periods=25, freq="MS")

# The anchor's two queries, verbatim: S, E, N, retained per period start, and the cohort table.
SQL_PERIODS = """
with b as (select unnest(?::timestamp[]) as t),
cb as (select customer_id, t from (select distinct customer_id from orders) cross join b),
lastbuy as (select cb.customer_id, cb.t, o.ordered_at as last_at
            from cb asof left join orders o on cb.customer_id = o.customer_id and cb.t >= o.ordered_at),
act as (select customer_id, t, coalesce(last_at > t - interval 365 day, false) as active,
               lead(coalesce(last_at > t - interval 365 day, false)) over w as active_next,
               lead(t) over w as t_next
        from lastbuy window w as (partition by customer_id order by t)),
firsts as (select customer_id, min(ordered_at) f from orders group by 1)
select t as ps, count(*) filter (active) S, count(*) filter (active_next) E,
       count(*) filter (active_next and f > t and f <= t_next) N, count(*) filter (active and active_next) R
from act join firsts using (customer_id) where t_next is not null group by t order by t"""  # noqa: E501
SQL_COHORT = """
with f as (select customer_id, date_trunc('month', min(ordered_at)) c from orders group by 1)
select c, date_trunc('month', ordered_at) m, count(distinct customer_id) customers, sum(amount) revenue
from orders join f using (customer_id) group by all order by all"""  # noqa: E501

# Orders as Retain's canonical ``order`` table; ``frame`` is the generated frame plus ``n``.
CANONICAL_ORDERS_SQL = """
SELECT 'O' || lpad(n::VARCHAR, 9, '0') AS order_id,
       'C' || lpad(customer_id::VARCHAR, 7, '0') AS customer_id,
       ordered_at,
       amount::DECIMAL(18, 2) AS amount,
       'USD' AS currency,
       'paid' AS status,
       NULL::DECIMAL(18, 2) AS discount
FROM frame"""

Periods = list[tuple[str, int, int, int, int]]  # period start, S, E, N, retained
Cells = dict[str, tuple[int, float | None]]  # "cohort month|k" -> customers, revenue


# --- data (not timed) ------------------------------------------------------------------------


def generate_orders(orders: int, customers: int) -> pd.DataFrame:
    """The anchor's orders: customers uniform, times uniform over 3 years, gamma amounts."""
    rng = np.random.default_rng(0)
    t0 = pd.Timestamp("2023-01-01")
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, customers, orders),
            "ordered_at": t0 + pd.to_timedelta(rng.integers(0, 3 * 365 * 86400, orders), unit="s"),
            "amount": rng.gamma(2.0, 30.0, orders).round(2),
        }
    )


def build_warehouse(folder: Path, orders: int, customers: int) -> dict[str, Any]:
    """A Retain warehouse file in ``folder`` with the generated orders; the other tables empty."""
    import duckdb

    from retain.warehouse import connect

    started = time.perf_counter()
    frame = generate_orders(orders, customers).assign(n=np.arange(orders))
    backend = connect(f"duckdb:///{folder / 'warehouse.duckdb'}")
    backend.disconnect()
    with duckdb.connect(str(folder / "warehouse.duckdb")) as con:
        con.register("frame", frame)
        con.execute(f'INSERT INTO "order" {CANONICAL_ORDERS_SQL}')
        con.execute("CHECKPOINT")
        rows = con.execute('SELECT count(*), count(DISTINCT customer_id) FROM "order"').fetchone()
    size_mb = (folder / "warehouse.duckdb").stat().st_size / 2**20
    assert rows is not None
    return {
        "orders": rows[0],
        "distinct_customers": rows[1],
        "file_mb": round(size_mb, 1),
        "seconds": round(time.perf_counter() - started, 2),
        "orders_on_month_boundaries": boundary_orders(frame.ordered_at),
    }


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Timing:
    """Wall and CPU time of one timed section, and what the rest of the machine used meanwhile."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    # Every process's CPU seconds minus ours: above zero, something else competed for the cores.
    other_cpu_seconds: float = 0.0


@dataclass
class Measurement:
    """One side: its timed sections, the process's peak RSS, and the figures it produced."""

    side: str
    orders: int
    customers: int
    sections: dict[str, Timing]
    peak_mb: float
    # timed like the sections but not part of what the side does: left out of its total
    diagnostics: dict[str, Timing] = field(default_factory=dict)
    periods: Periods = field(default_factory=list)
    cells: Cells = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(timing.seconds for timing in self.sections.values())

    @property
    def other_cpu_seconds(self) -> float:
        return sum(timing.other_cpu_seconds for timing in self.sections.values())


def machine_busy_seconds() -> float:
    """CPU seconds that all processes have used since boot, from the first line of /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    busy = sum(int(value) for value in fields) - int(fields[3]) - int(fields[4])  # idle, iowait
    return busy / os.sysconf("SC_CLK_TCK")


@contextmanager
def stopwatch(own_cpu: Callable[[], float] = time.process_time) -> Iterator[Timing]:
    """Time the block; ``own_cpu`` is the CPU clock of whoever does the work."""
    timing = Timing()
    wall, cpu, busy = time.perf_counter(), own_cpu(), machine_busy_seconds()
    yield timing
    timing.seconds = time.perf_counter() - wall
    timing.cpu_seconds = own_cpu() - cpu
    timing.other_cpu_seconds = max(0.0, machine_busy_seconds() - busy - timing.cpu_seconds)


def in_child(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function`` in a fresh interpreter, so that its peak RSS is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def best_of(repeat: int, function: Callable[..., Measurement], *args: Any) -> Measurement:
    """The fastest of ``repeat`` runs, each in its own process; every run's seconds in notes."""
    runs = [in_child(function, *args) for _ in range(repeat)]
    best = min(runs, key=lambda run: run.seconds)
    if repeat > 1:
        best.notes["all_seconds"] = [round(run.seconds, 2) for run in runs]
    return best


# --- the sides -------------------------------------------------------------------------------


def retain_queries() -> tuple[Any, Any]:
    """The metrics query (24 months, orders, 365-day window) and the monthly cohort query."""
    from retain.metrics import CohortQuery, MetricsQuery

    metrics_query = MetricsQuery(
        start=METRICS_START,
        end=METRICS_END,
        period="month",
        basis="orders",
        active_window_days=ACTIVE_WINDOW_DAYS,
    )
    cohort_query = CohortQuery(start=COHORTS_START, end=COHORTS_END, period="month", basis="orders")
    return metrics_query, cohort_query


def retain_api(folder: Path, orders: int, customers: int) -> Measurement:
    """``compute_metrics`` and ``compute_cohorts`` as the CLI calls them (connecting not timed)."""
    from retain.currency.money import Money
    from retain.metrics import compute_cohorts, compute_metrics
    from retain.warehouse import connect

    with stopwatch() as connecting:
        backend = connect(f"duckdb:///{folder / 'warehouse.duckdb'}")
    metrics_query, cohort_query = retain_queries()
    money = Money(rates={})
    with stopwatch() as metrics_time:
        rows = compute_metrics(backend=backend, money=money, query=metrics_query)
    with stopwatch() as cohorts_time:
        cohort_rows = compute_cohorts(backend=backend, money=money, query=cohort_query)
    backend.disconnect()
    return Measurement(
        side="retain_api",
        orders=orders,
        customers=customers,
        sections={"compute_metrics": metrics_time, "compute_cohorts": cohorts_time},
        peak_mb=peak_rss_mb(),
        periods=periods_of_metric_rows(rows),
        cells=cells_of_cohort_rows(cohort_rows),
        notes={"connect_seconds": round(connecting.seconds, 3)},
    )


def periods_of_metric_rows(rows: list[dict[str, Any]]) -> Periods:
    return [
        (
            pd.Timestamp(row["period_start"]).strftime("%Y-%m-%d"),
            int(row["customers_start"]),
            int(row["customers_end"]),
            int(row["new_customers"]),
            int(row["retained_customers"]),
        )
        for row in rows
    ]


def cells_of_cohort_rows(rows: list[dict[str, Any]]) -> Cells:
    """Retain's classic customers per (cohort, k); its zero cells are absent in the anchor's."""
    return {
        f"{pd.Timestamp(row['cohort']):%Y-%m}|{int(row['period'])}": (int(row["customers"]), None)
        for row in rows
        if int(row["customers"])
    }


def retain_cli(folder: Path, orders: int, customers: int) -> Measurement:
    """``retain metrics`` and ``retain cohorts --format json``, end to end, as a user runs them."""
    environment = {**os.environ, "RETAIN_DATA_DIR": str(folder)}
    metrics_args = [
        "metrics",
        f"--from={METRICS_START}",
        f"--to={METRICS_END}",
        "--period=month",
        "--basis=orders",
        f"--active-window={ACTIVE_WINDOW_DAYS}",
        "--format=json",
    ]
    cohort_args = [
        "cohorts",
        f"--from={COHORTS_START}",
        f"--to={COHORTS_END}",
        "--by=month",
        "--basis=orders",
        "--format=json",
    ]
    # What every command pays before any work: starting Python and importing the CLI.
    _, startup, _ = run_command(["--help"], folder, environment)
    metrics_out, metrics_time, metrics_peak = run_command(metrics_args, folder, environment)
    cohorts_out, cohorts_time, cohorts_peak = run_command(cohort_args, folder, environment)
    return Measurement(
        side="retain_cli",
        orders=orders,
        customers=customers,
        sections={"retain metrics": metrics_time, "retain cohorts": cohorts_time},
        peak_mb=max(metrics_peak, cohorts_peak),
        periods=periods_of_metric_rows(json.loads(metrics_out)),
        cells=cells_of_cohort_rows(json.loads(cohorts_out)),
        notes={
            "peak_mb": {"retain metrics": metrics_peak, "retain cohorts": cohorts_peak},
            "retain --help seconds": round(startup.seconds, 2),
        },
    )


def run_command(
    args: list[str], folder: Path, environment: dict[str, str]
) -> tuple[str, Timing, float]:
    """Run the ``retain`` CLI; its output, timing and peak RSS (from wait4, its own)."""
    usage: list[resource.struct_rusage] = []

    def child_cpu() -> float:
        return usage[0].ru_utime + usage[0].ru_stime if usage else 0.0

    with stopwatch(child_cpu) as timing:
        # cwd is the data folder, so that no stray .env is read
        process = subprocess.Popen(
            [str(RETAIN_CLI), *args],
            cwd=folder,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
        _, status, rusage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        usage.append(rusage)
    if process.returncode:
        raise RuntimeError(f"retain {args[0]} failed ({process.returncode}): {err.decode()}")
    return out.decode(), timing, rusage.ru_maxrss / 1024


def retain_expressions(folder: Path, orders: int, customers: int) -> Measurement:
    """Each expression that compute_metrics and compute_cohorts execute, timed on its own, and
    two diagnostics that they do not execute (left out of the side's total)."""
    from retain.metrics.periods import PeriodGrid
    from retain.warehouse import connect

    backend = connect(f"duckdb:///{folder / 'warehouse.duckdb'}")
    grid = PeriodGrid.covering(start=METRICS_START, end=METRICS_END, unit="month")
    cohort_grid = PeriodGrid.covering(start=COHORTS_START, end=COHORTS_END, unit="month")
    executed, diagnostic = retain_expression_table(backend, grid, cohort_grid)
    sections: dict[str, Timing] = {}
    diagnostics: dict[str, Timing] = {}
    results: dict[str, pd.DataFrame] = {}
    for name, expression in executed.items():
        with stopwatch() as sections[name]:
            results[name] = expression.to_pandas()
    for name, expression in diagnostic.items():
        with stopwatch() as diagnostics[name]:
            results[name] = expression.to_pandas()
    backend.disconnect()
    return Measurement(
        side="retain_expressions",
        orders=orders,
        customers=customers,
        sections=sections,
        diagnostics=diagnostics,
        peak_mb=peak_rss_mb(),
        periods=periods_of_counts(results["counts"], grid),
        cells=cells_of_cohort_frames(
            results["cohort customers"], results["cohort revenue"], cohort_grid
        ),
        notes={"active ranges": int(results[ACTIVE_RANGES]["ranges"].iloc[0])},
    )


ACTIVE_RANGES = "active_ranges alone (count of ranges)"


def retain_expression_table(
    backend: Any, grid: Any, cohort_grid: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The expressions as ``service._measure`` and ``compute_cohorts`` build them, by name; the
    customer counts are the like-for-like counterpart of the anchor's S/E/N/R query."""
    import ibis

    from retain.currency.money import Money
    from retain.metrics.activity import ActivitySource, active_ranges, events
    from retain.metrics.cohorts import cohort_customers, cohort_revenue
    from retain.metrics.retention import boundary_counts
    from retain.metrics.service import MetricsQuery, metric_expressions, prepare_tables

    tables = prepare_tables(backend=backend, by=None, money=Money(rates={}))
    source = ActivitySource(order=tables.orders, subscription_change=tables.changes)
    ranges = active_ranges(events(source, "orders"), grid, window_days=ACTIVE_WINDOW_DAYS)
    currencies = [
        backend.table(name).filter(lambda t: t.currency.notnull()).select("currency").distinct()
        for name in ("order", "subscription_change", "return_event")
    ]
    query = MetricsQuery(basis="orders", active_window_days=ACTIVE_WINDOW_DAYS)
    executed = {
        "currency check (each call)": ibis.union(*currencies, distinct=False),
        # The names compute_metrics uses; "counts" is the customer counts S/E/N/R.
        **metric_expressions(tables=tables, grid=grid, query=query),
        "cohort customers": cohort_customers(source, "orders", cohort_grid),
        "cohort revenue": cohort_revenue(source, tables.returns, "orders", cohort_grid),
    }
    diagnostic = {
        ACTIVE_RANGES: ranges.aggregate(ranges=ranges.count()),
        # Without a --by cut every dimension is "all": the counts without the join that labels it.
        "customer counts without the dimension join": boundary_counts(
            ranges.mutate(dimension=ibis.literal("all")), grid
        ),
    }
    return executed, diagnostic


def periods_of_counts(counts: pd.DataFrame, grid: Any) -> Periods:
    """S, E, N, retained per period from boundary_counts, read as service._customer_metrics."""
    by_k = counts.set_index("k")
    return [
        (
            f"{grid.boundary(p):%Y-%m-%d}",
            int(by_k.at[p, "active"]),
            int(by_k.at[p + 1, "active"]),
            int(by_k.at[p + 1, "new"]),
            int(by_k.at[p, "retained"]),
        )
        for p in range(grid.count)
    ]


def cells_of_cohort_frames(customers: pd.DataFrame, revenue: pd.DataFrame, grid: Any) -> Cells:
    money = {(int(row.cohort), int(row.k)): float(row.revenue) for row in revenue.itertuples()}
    return {
        f"{grid.boundary(int(row.cohort)):%Y-%m}|{int(row.k)}": (
            int(row.customers),
            money.get((int(row.cohort), int(row.k))),
        )
        for row in customers.itertuples()
        if int(row.customers)
    }


def sql_in_memory(orders: int, customers: int) -> Measurement:
    """The anchor exactly: its frame copied into an in-memory DuckDB table of integer ids."""
    import duckdb

    frame = generate_orders(orders, customers)
    con = duckdb.connect()
    con.register("o", frame)
    con.execute("create table orders as select * from o")
    con.unregister("o")
    del frame  # the anchor keeps it for pandas; this side measures DuckDB alone
    return run_anchor_sql(con, "sql_in_memory", orders, customers)


def sql_on_warehouse(folder: Path, orders: int, customers: int) -> Measurement:
    """The anchor's SQL text over the warehouse file's ``order`` table: the data Retain reads."""
    import duckdb

    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    con.execute(
        'create temp view orders as select customer_id, ordered_at, amount from main."order"'
    )
    return run_anchor_sql(con, "sql_on_warehouse", orders, customers)


def run_anchor_sql(con: Any, side: str, orders: int, customers: int) -> Measurement:
    with stopwatch() as periods_time:
        periods = con.execute(SQL_PERIODS, [list(PERIOD_STARTS)]).df()
    with stopwatch() as cohorts_time:
        cohorts = con.execute(SQL_COHORT).df()
    con.close()
    return Measurement(
        side=side,
        orders=orders,
        customers=customers,
        sections={"periods query": periods_time, "cohort query": cohorts_time},
        peak_mb=peak_rss_mb(),
        periods=periods_of_sql(periods),
        cells=cells_of_sql(cohorts),
    )


def periods_of_sql(frame: pd.DataFrame) -> Periods:
    return [
        (f"{pd.Timestamp(row.ps):%Y-%m-%d}", int(row.S), int(row.E), int(row.N), int(row.R))
        for row in frame.itertuples()
    ]


def months_between(first: pd.Timestamp, later: pd.Timestamp) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def cells_of_sql(frame: pd.DataFrame) -> Cells:
    return {
        f"{pd.Timestamp(row.c):%Y-%m}|{months_between(pd.Timestamp(row.c), pd.Timestamp(row.m))}": (
            int(row.customers),
            float(row.revenue),
        )
        for row in frame.itertuples()
    }


def pandas_side(orders: int, customers: int) -> Measurement:
    """The anchor's vectorised pandas, timed from the generated frame to both results."""
    frame = generate_orders(orders, customers)
    with stopwatch() as timing:
        periods, cohort = anchor_pandas(frame)
    cells = {
        f"{c.to_timestamp():%Y-%m}|{months_between(c.to_timestamp(), mo.to_timestamp())}": (
            int(row.customers),
            float(row.revenue),
        )
        for (c, mo), row in cohort.iterrows()
    }
    return Measurement(
        side="pandas",
        orders=orders,
        customers=customers,
        sections={"periods and cohort table": timing},
        peak_mb=peak_rss_mb(),
        periods=periods,
        cells=cells,
    )


def anchor_pandas(orders: pd.DataFrame) -> tuple[Periods, pd.DataFrame]:
    """The anchor's pandas loop, verbatim but for the names: one set of customers per boundary."""
    starts = PERIOD_STARTS
    firsts = orders.groupby("customer_id")["ordered_at"].min()
    rows: Periods = []
    for ps, pe in zip(starts[:-1], starts[1:], strict=True):
        year = pd.Timedelta(days=365)
        at_start = (orders.ordered_at > ps - year) & (orders.ordered_at <= ps)
        at_end = (orders.ordered_at > pe - year) & (orders.ordered_at <= pe)
        a_s = set(orders.loc[at_start, "customer_id"].unique())
        a_e = set(orders.loc[at_end, "customer_id"].unique())
        f = firsts.reindex(list(a_e))
        new = int(((f > ps) & (f <= pe)).sum())
        rows.append((f"{ps:%Y-%m-%d}", len(a_s), len(a_e), new, len(a_s & a_e)))
    o2 = orders.assign(
        c=orders.customer_id.map(firsts).dt.to_period("M"),
        mo=orders.ordered_at.dt.to_period("M"),
    )
    cohort = o2.groupby(["c", "mo"]).agg(
        customers=("customer_id", "nunique"), revenue=("amount", "sum")
    )
    return rows, cohort


def spark_side(orders: int, customers: int) -> Measurement:
    """Retain on Spark local mode, canonical tables as temp views (as tests/metrics/conftest.py)."""
    import duckdb
    import ibis

    from retain.currency.money import Money
    from retain.metrics import compute_cohorts, compute_metrics

    frame = generate_orders(orders, customers).assign(n=np.arange(orders))
    con = duckdb.connect()
    con.register("frame", frame)
    order_arrow = con.execute(CANONICAL_ORDERS_SQL).fetch_arrow_table()
    sql_check = run_anchor_sql_on(con, frame)
    with stopwatch() as starting:
        session = start_spark()
    with stopwatch() as loading:
        load_spark_views(session, order_arrow)
    backend = ibis.pyspark.connect(session)
    metrics_query, cohort_query = retain_queries()
    money = Money(rates={})
    jvm = jvm_processes(session)

    def cpu() -> float:  # the work is done in the JVM: count its CPU as ours
        return time.process_time() + jvm_cpu_seconds(jvm)

    with stopwatch(cpu) as metrics_time:
        rows = compute_metrics(backend=backend, money=money, query=metrics_query)
    with stopwatch(cpu) as cohorts_time:
        cohort_rows = compute_cohorts(backend=backend, money=money, query=cohort_query)
    jvm_peak = jvm_peak_mb(jvm)
    session.stop()
    return Measurement(
        side="spark",
        orders=orders,
        customers=customers,
        sections={"compute_metrics": metrics_time, "compute_cohorts": cohorts_time},
        # both processes hold their memory at once; the sum of their peaks bounds the total
        peak_mb=peak_rss_mb() + jvm_peak,
        periods=periods_of_metric_rows(rows),
        cells=cells_of_cohort_rows(cohort_rows),
        notes={
            "python_peak_mb": peak_rss_mb(),
            "jvm_peak_mb": jvm_peak,
            "orders_on_month_boundaries": boundary_orders(frame.ordered_at),
            "session_start_seconds": round(starting.seconds, 2),
            "load_views_seconds": round(loading.seconds, 2),
            "sql_periods": sql_check[0],
            "sql_cells": sql_check[1],
        },
    )


def start_spark() -> Any:
    """A local Spark on both cores, configured as the test suite's (tests/metrics/conftest.py)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("retain-bench-metrics")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # as the test suite: Retain's expressions are tested with ANSI mode off
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")  # one per core, not 200
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def load_spark_views(session: Any, order_arrow: Any) -> None:
    """Every canonical table as a temp view: the orders, and empty ones of the right columns."""
    from retain.warehouse import CANONICAL_TABLES

    for name, schema in CANONICAL_TABLES.items():
        arrow_schema = schema.to_pyarrow().with_metadata({})
        table = order_arrow.cast(arrow_schema) if name == "order" else arrow_schema.empty_table()
        # Ibis cannot yet load null decimals into Spark, so the views are made directly.
        session.createDataFrame(table).createOrReplaceTempView(name)
        if name == "order":  # cached now, so that the conversion is not timed as metrics
            session.catalog.cacheTable(name)
            session.table(name).count()


def run_anchor_sql_on(con: Any, frame: pd.DataFrame) -> tuple[Periods, Cells]:
    """The anchor's SQL on ``frame`` (already registered), for checking another side."""
    con.execute("create table orders as select customer_id, ordered_at, amount from frame")
    periods = periods_of_sql(con.execute(SQL_PERIODS, [list(PERIOD_STARTS)]).df())
    return periods, cells_of_sql(con.execute(SQL_COHORT).df())


def jvm_processes(session: Any) -> list[int]:
    """The process ids of the JVM behind ``session``: the gateway process and its children."""
    gateway = getattr(session.sparkContext, "_gateway", None)
    process = getattr(gateway, "proc", None)
    pending, found = ([process.pid] if process is not None else []), []
    while pending:
        pid = pending.pop()
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            found.append(pid)
            pending.extend(int(child) for child in children.read_text().split())
    return found


def jvm_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds the processes have used so far (utime and stime of /proc/PID/stat)."""
    total = 0
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists():
            fields = stat.read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def jvm_peak_mb(pids: list[int]) -> float:
    """The largest peak RSS (VmHWM) among the processes."""
    peak = 0.0
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        lines = status.read_text().splitlines() if status.exists() else []
        for line in lines:
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return peak


# --- checks and report -----------------------------------------------------------------------


def compare_periods(side: Periods, anchor: Periods) -> list[str]:
    """Periods whose S, E, N or retained differ from the anchor's SQL (empty when all agree)."""
    if len(side) != len(anchor):
        return [f"{len(side)} periods against the anchor's {len(anchor)}"]
    return [
        f"{mine[0]}: S/E/N/R {mine[1:]} against {theirs[1:]}"
        for mine, theirs in zip(side, anchor, strict=True)
        if mine != theirs
    ]


def compare_cells(side: Cells, anchor: Cells) -> list[str]:
    """Cohort cells whose customers (and revenue, where the side gives it) differ."""
    problems = []
    for key in sorted(set(side) | set(anchor)):
        mine, theirs = side.get(key), anchor.get(key)
        if mine is None or theirs is None:
            problems.append(f"{key}: {mine} against {theirs}")
        elif mine[0] != theirs[0]:
            problems.append(f"{key}: {mine[0]} customers against {theirs[0]}")
        elif mine[1] is not None and theirs[1] is not None and abs(mine[1] - theirs[1]) > 0.005:
            problems.append(f"{key}: revenue {mine[1]:.2f} against {theirs[1]:.2f}")
    return problems


def boundary_orders(stamps: pd.Series) -> int:
    """Orders exactly at midnight on the 1st of a month: the anchor's cohort query puts those in
    the month that starts there, Retain's periods (start, end] in the one that ends there."""
    return int(((stamps.dt.day == 1) & (stamps == stamps.dt.normalize())).sum())


def machine() -> dict[str, str]:
    import duckdb
    import pyarrow

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "cpu": f"{os.cpu_count()} × {cpu}",
        "memory": f"{memory:.0f} GiB",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "ibis": version("ibis-framework"),
        "pyspark": version("pyspark"),
        "load average at start": " ".join(f"{load:.2f}" for load in os.getloadavg()),
    }


def report(
    results: dict[str, Measurement], checks: dict[str, list[str]], boundaries: dict[str, int]
) -> dict[str, float]:
    """Print the table, the ratios and the checks; return the ratios for the JSON file."""
    print(
        f"\n{'side':<48} {'orders':>11} {'customers':>10} {'seconds':>8} {'peak MB':>8} "
        f"{'other CPU s':>11}"
    )
    for measurement in results.values():
        print_measurement(measurement)
    ratios = compute_ratios(results)
    print()
    for name, value in ratios.items():
        print(f"{name:<72} {value:8.2f}")
    print()
    for name, met in verdicts(results, ratios).items():
        print(f"target: {name:<64} {'met' if met else 'MISSED'}")
    print()
    for name, problems in checks.items():
        verdict = "agree" if not problems else f"DIFFER in {len(problems)}"
        print(f"{name:<72} {verdict}")
        for problem in problems[:10]:
            print(f"    {problem}")
    for run, boundary in boundaries.items():
        if boundary:
            print(
                f"{run}: {boundary} generated orders fall exactly at midnight on the 1st of a "
                "month; the anchor's date_trunc puts them in the month that starts there, "
                "Retain's periods (start, end] in the month that ends there, so cohort cells "
                "next to theirs differ by one customer: a difference of definition, not a bug."
            )
    return ratios


def print_measurement(measurement: Measurement) -> None:
    print(
        f"{measurement.side:<48} {measurement.orders:>11,} {measurement.customers:>10,} "
        f"{measurement.seconds:>8.2f} {measurement.peak_mb:>8.0f} "
        f"{measurement.other_cpu_seconds:>11.1f}"
    )
    if len(measurement.sections) > 1 or measurement.diagnostics:
        named = [*measurement.sections.items()]
        named += [(f"({name})", timing) for name, timing in measurement.diagnostics.items()]
        for name, timing in named:
            print(
                f"  {name:<46} {'':>11} {'':>10} {timing.seconds:>8.2f} {'':>8} "
                f"{timing.other_cpu_seconds:>11.1f}"
            )


def compute_ratios(results: dict[str, Measurement]) -> dict[str, float]:
    ratios: dict[str, float] = {}
    api, parts = results["retain_api"], results["retain_expressions"]
    counts = parts.sections["counts"].seconds
    for sql_side in ("sql_in_memory", "sql_on_warehouse"):
        if sql_side not in results:
            continue
        sql = results[sql_side]
        ratios[f"Retain API (metrics + cohorts) / {sql_side} (both queries)"] = (
            api.seconds / sql.seconds
        )
        ratios[f"Retain CLI (both commands) / {sql_side} (both queries)"] = (
            results["retain_cli"].seconds / sql.seconds
        )
        ratios[f"Retain like-for-like (counts + compute_cohorts) / {sql_side} (both)"] = (
            counts + api.sections["compute_cohorts"].seconds
        ) / sql.seconds
        ratios[f"Retain customer counts / {sql_side} periods query"] = (
            counts / sql.sections["periods query"].seconds
        )
        ratios[f"Retain compute_cohorts / {sql_side} cohort query"] = (
            api.sections["compute_cohorts"].seconds / sql.sections["cohort query"].seconds
        )
    if "pandas" in results:
        pandas_seconds = results["pandas"].seconds
        ratios["pandas / Retain API (metrics + cohorts)"] = pandas_seconds / api.seconds
        ratios["pandas / Retain CLI (both commands)"] = (
            pandas_seconds / results["retain_cli"].seconds
        )
        ratios["pandas / sql_in_memory"] = pandas_seconds / results["sql_in_memory"].seconds
    return ratios


def verdicts(results: dict[str, Measurement], ratios: dict[str, float]) -> dict[str, bool]:
    """The issue's three targets, judged on the Python API (the CLI adds its start-up)."""
    found: dict[str, bool] = {}
    versus_pandas = ratios.get("pandas / Retain API (metrics + cohorts)")
    if versus_pandas is not None:
        found[f"at least {SPEED_TARGET_PANDAS:g}x as fast as pandas"] = (
            versus_pandas >= SPEED_TARGET_PANDAS
        )
    for sql_side in ("sql_in_memory", "sql_on_warehouse"):
        ratio = ratios.get(f"Retain API (metrics + cohorts) / {sql_side} (both queries)")
        if ratio is not None:
            found[f"within {SQL_TARGET:g}x of {sql_side}"] = ratio <= SQL_TARGET
    peak = max(results["retain_api"].peak_mb, results["retain_cli"].peak_mb)
    found[f"peak under {MEMORY_TARGET_MB:.0f} MB (API and CLI)"] = peak < MEMORY_TARGET_MB
    return found


def agreement(results: dict[str, Measurement]) -> dict[str, list[str]]:
    """Every side's figures against the anchor's SQL on the same orders."""
    anchor = results["sql_in_memory"]
    checks: dict[str, list[str]] = {}
    for side in ("retain_api", "retain_cli", "retain_expressions", "sql_on_warehouse", "pandas"):
        if side in results:
            checks[f"{side}: S/E/N/R, 24 periods"] = compare_periods(
                results[side].periods, anchor.periods
            )
            checks[f"{side}: cohort cells ({len(anchor.cells)} in the anchor)"] = compare_cells(
                results[side].cells, anchor.cells
            )
    if "spark" in results:
        spark = results["spark"]
        checks["spark: S/E/N/R against the anchor's SQL on its orders"] = compare_periods(
            spark.periods, spark.notes.pop("sql_periods")
        )
        checks["spark: cohort cells against the anchor's SQL on its orders"] = compare_cells(
            spark.cells, spark.notes.pop("sql_cells")
        )
    return checks


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--spark-orders", type=int, default=1_000_000, help="0 to skip Spark")
    parser.add_argument(
        "--spark-customers",
        type=int,
        default=None,
        help="default: as many orders per customer as the main run",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the fastest counts")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--keep", action="store_true", help="keep the warehouse file")
    return parser.parse_args()


Side = tuple[str, Callable[..., Measurement], tuple[Any, ...]]


def plan_sides(arguments: argparse.Namespace, folder: Path) -> list[Side]:
    """The sides to run, in order: name, function, arguments."""
    n, m = arguments.orders, arguments.customers
    sides: list[Side] = [
        ("retain_api", retain_api, (folder, n, m)),
        ("retain_cli", retain_cli, (folder, n, m)),
        ("retain_expressions", retain_expressions, (folder, n, m)),
        ("sql_in_memory", sql_in_memory, (n, m)),
        ("sql_on_warehouse", sql_on_warehouse, (folder, n, m)),
    ]
    if not arguments.skip_pandas:
        sides.append(("pandas", pandas_side, (n, m)))
    if arguments.spark_orders:
        spark_m = arguments.spark_customers or max(1, m * arguments.spark_orders // n)
        sides.append(("spark", spark_side, (arguments.spark_orders, spark_m)))
    return sides


def main() -> None:
    arguments = parse_arguments()
    n, m = arguments.orders, arguments.customers
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="metrics-", dir=arguments.json.parent))
    about = machine()
    print(f"{about['cpu']}, {about['memory']}, load {about['load average at start']}")
    results: dict[str, Measurement] = {}
    try:
        built = in_child(build_warehouse, folder, n, m)
        print(f"warehouse: {built} (not timed)")
        for name, function, args in plan_sides(arguments, folder):
            print(f"running {name} …", flush=True)
            results[name] = best_of(arguments.repeat, function, *args)
            print_measurement(results[name])
    finally:
        if arguments.keep:
            print(f"warehouse kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    checks = agreement(results)
    boundaries = {"main run": built["orders_on_month_boundaries"]}
    if "spark" in results:
        boundaries["spark run"] = results["spark"].notes["orders_on_month_boundaries"]
    ratios = report(results, checks, boundaries)
    write_json(arguments, about, built, results, ratios, checks)


def write_json(
    arguments: argparse.Namespace,
    about: dict[str, str],
    built: dict[str, Any],
    results: dict[str, Measurement],
    ratios: dict[str, float],
    checks: dict[str, list[str]],
) -> None:
    measurements = {
        name: {
            **{
                key: value
                for key, value in asdict(measurement).items()
                if key not in ("periods", "cells")
            },
            "seconds": measurement.seconds,
        }
        for name, measurement in results.items()
    }
    document = {
        "machine": about,
        "arguments": {key: str(value) for key, value in vars(arguments).items()},
        "warehouse": built,
        "measurements": measurements,
        "ratios": ratios,
        "targets": verdicts(results, ratios),
        "checks": checks,
        "periods": {
            "anchor sql": results["sql_in_memory"].periods,
            "retain": results["retain_api"].periods,
        },
    }
    arguments.json.write_text(json.dumps(document, indent=2, default=str))
    print(f"\nfigures written to {arguments.json}")


if __name__ == "__main__":
    main()
