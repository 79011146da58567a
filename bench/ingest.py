"""Ingest benchmark: Retain's validated import against pandas ``read_csv`` + ``to_sql``.

The claim (issue "bench/ingest.py"): a generated 10-million-row orders CSV goes into the
warehouse at least 5x as fast as the best plain pandas route, and Retain's peak memory does not
grow with the file's size.

What runs, each measured side in its own freshly spawned process so that its peak RSS is its own:

1. Retain, ``ingest_file(kind="orders")`` into the embedded DuckDB warehouse (customers imported
   beforehand, not timed), against pandas ``read_csv(engine="pyarrow")`` + ``to_sql`` into a
   SQLite file through the stdlib sqlite3 connection (no validation at all).
2. Retain again at a tenth of the rows, to compare peak memory across sizes.
3. Retain into a PostgreSQL warehouse against pandas ``to_sql`` into the same server, at a
   smaller size (``--postgres-rows``, 0 to skip); pandas uses the fastest of its insert methods.
4. For reference, not as a baseline: DuckDB loading the same CSV into the same table with no
   checks at all, the floor under anything built on DuckDB on this machine.

Every side runs ``--repeat`` times and keeps its fastest run, each after waiting for the
machine to be idle (``--quiet-wait``); the CPU time of other processes during each run is
printed, so a disturbed figure shows as one.

Usage:
    .venv/bin/python bench/ingest.py [--rows 10000000] [--customers 1000000]
        [--postgres-rows 1000000] [--postgres-url postgresql://postgres@127.0.0.1:5432]
        [--also-rows N ...] [--repeat 1] [--quiet-wait 300] [--out bench/out] [--keep]
        [--json PATH]

Extra packages: none (pandas, pyarrow, SQLAlchemy, psycopg and Rich are runtime dependencies).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from common import peak_rss_mb

if TYPE_CHECKING:
    from retain.settings import Settings, StorageSettings

SPEED_TARGET = 5.0
SQLITE_CHUNKSIZE = 100_000
ORDER_COLUMNS = "order_id,customer_id,ordered_at,amount,currency"
REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPOSITORY / "bench" / "out"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
# Before each measured run, wait for the other processes to use less than this share of one core.
QUIET_CORE_SHARE = 0.2
QUIET_SAMPLE_SECONDS = 2.0


@dataclass(frozen=True)
class Measurement:
    """One side's import of one file: wall and CPU time of the import, the process's peak RSS."""

    name: str
    rows: int
    seconds: float
    # CPU seconds of all the process's threads: how many cores the side kept busy.
    cpu_seconds: float
    # CPU seconds that every other process on the machine used meanwhile: the disturbance, or,
    # for the PostgreSQL runs, mostly the server doing its share of the work.
    other_cpu_seconds: float
    peak_mb: float
    stages: dict[str, float] = field(default_factory=dict)
    # Fingerprint of the Retain modules the run loaded ("" for the other sides).
    code: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True)
class PandasMethod:
    """One way of calling ``DataFrame.to_sql`` against PostgreSQL."""

    label: str
    method: str | None
    chunksize: int


# The candidates tried against PostgreSQL; the fastest on a trial slice is used for the run.
# "copy" is the COPY-based insertion callable given in the pandas user guide.
POSTGRES_METHODS = (
    PandasMethod("executemany, chunks of 10,000", None, 10_000),
    PandasMethod('method="multi", chunks of 10,000', "multi", 10_000),
    PandasMethod("COPY method of the pandas docs, chunks of 100,000", "copy", 100_000),
)
POSTGRES_TRIAL_ROWS = 200_000
DISPLAY_ORDER = (
    "retain",
    "pandas",
    "retain_tenth",
    "duckdb_floor",
    "retain_postgres",
    "pandas_postgres",
)


# --- data generation (not timed) -------------------------------------------------------------


def write_customers(path: Path, customers: int) -> None:
    """Customers C00000000… who signed up over the two years before the first order."""
    duckdb.sql(
        f"""
        COPY (
            SELECT 'C' || lpad(i::VARCHAR, 8, '0') AS customer_id,
                   strftime(TIMESTAMP '2021-01-01' + to_seconds((hash(i) % 63072000)::BIGINT),
                            '%Y-%m-%dT%H:%M:%S') AS signup_at,
                   ['CN', 'CN', 'CN', 'US', 'SG'][1 + (hash(i + 1) % 5)::BIGINT] AS country,
                   ['organic', 'paid_search', 'referral'][1 + (hash(i + 2) % 3)::BIGINT] AS channel
            FROM range({customers}) t(i)
        ) TO '{path}' (FORMAT csv, HEADER true)
        """
    )


def write_orders(path: Path, rows: int, customers: int) -> None:
    """Orders over 2023-2024 by known customers: ISO times, two-decimal amounts, CNY or USD."""
    duckdb.sql(
        f"""
        COPY (
            SELECT 'O' || lpad(i::VARCHAR, 10, '0') AS order_id,
                   'C' || lpad((hash(i) % {customers})::VARCHAR, 8, '0') AS customer_id,
                   strftime(TIMESTAMP '2023-01-01' + to_seconds((hash(i + 7) % 63072000)::BIGINT),
                            '%Y-%m-%dT%H:%M:%S') AS ordered_at,
                   printf('%.2f', 5 + (hash(i + 11) % 99500) / 100) AS amount,
                   CASE WHEN hash(i + 13) % 5 = 0 THEN 'USD' ELSE 'CNY' END AS currency
            FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT csv, HEADER true)
        """
    )


# --- the measured sides, each run in a spawned child process --------------------------------


@dataclass
class Stopwatch:
    """Wall and CPU time of a block, and the CPU time the rest of the machine used meanwhile."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    other_cpu_seconds: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    watch = Stopwatch()
    wall, cpu, busy = time.perf_counter(), time.process_time(), machine_busy_seconds()
    yield watch
    watch.seconds = time.perf_counter() - wall
    watch.cpu_seconds = time.process_time() - cpu
    watch.other_cpu_seconds = max(machine_busy_seconds() - busy - watch.cpu_seconds, 0.0)


def machine_busy_seconds() -> float:
    """CPU seconds that all processes have used since boot, from the first line of /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]
    )
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def measurement(
    name: str, rows: int, watch: Stopwatch, stages: dict[str, float] | None = None
) -> Measurement:
    return Measurement(
        name,
        rows,
        watch.seconds,
        watch.cpu_seconds,
        watch.other_cpu_seconds,
        peak_rss_mb(),
        stages or {},
    )


def retain_settings(folder: Path, store_url: str | None, warehouse_url: str | None) -> Settings:
    from retain.settings import Settings

    return Settings(
        storage=StorageSettings(
            data_dir=folder,
            database_url=store_url or f"sqlite:///{folder}/retain.db",
            warehouse_url=warehouse_url or f"duckdb:///{folder}/warehouse.duckdb",
        )
    )


def retain_import(
    kind: str, path: Path, folder: Path, store_url: str | None, warehouse_url: str | None
) -> Measurement:
    """Retain's ``ingest_file``, timed stage by stage from its log lines and DuckDB statements."""
    from retain.ingest.service import ingest_file

    settings = retain_settings(folder, store_url, warehouse_url)
    with stage_clock() as marks, stopwatch() as watch:
        start = time.perf_counter()
        result = ingest_file(kind=kind, path=path, settings=settings)
    target = "PostgreSQL" if warehouse_url else "DuckDB"
    stages = stage_seconds(start, start + watch.seconds, marks)
    measured = measurement(f"Retain {kind} → {target}", result.rows_inserted, watch, stages)
    return replace(measured, code=loaded_retain_fingerprint())


def loaded_retain_fingerprint() -> str:
    """A hash of the Retain modules this process loaded: the code that was measured.

    Others may be editing the checkout during a long run; comparing this across runs shows
    whether every Retain figure comes from the same code.
    """
    digest = hashlib.sha256()
    for name in sorted(sys.modules):
        path = getattr(sys.modules[name], "__file__", None)
        if (name == "retain" or name.startswith("retain.")) and path:
            digest.update(name.encode())
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def stage_clock() -> Iterator[list[tuple[str, float]]]:
    """Record when each import stage ends, without changing Retain's code.

    The service logs one line when it starts reading and one when it starts merging; its
    long DuckDB statements (read the CSV, type and check every row) go through
    ``run_with_progress``, which is wrapped here to time each one.
    """
    from retain.ingest import service

    marks: list[tuple[str, float]] = []

    class Marker(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            for word, stage in (("reading", "read"), ("merging", "merge"), ("new rows", "done")):
                if word in str(record.msg):
                    marks.append((stage, time.perf_counter()))

    original = service.run_with_progress

    def timed(con: Any, sql: str, **keywords: Any) -> None:
        original(con, sql, **keywords)
        marks.append(("statement", time.perf_counter()))

    logger = logging.getLogger(service.__name__)
    handler = Marker()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    service.run_with_progress = timed  # type: ignore[assignment]
    try:
        yield marks
    finally:
        service.run_with_progress = original
        logger.removeHandler(handler)


def stage_seconds(start: float, end: float, marks: list[tuple[str, float]]) -> dict[str, float]:
    """Seconds per stage: open, read CSV, type + check rows, other checks, merge, close.

    Empty when Retain's log lines or statements no longer match, rather than wrong figures.
    """
    times = dict((stage, at) for stage, at in marks if stage != "statement")
    statements = [at for stage, at in marks if stage == "statement"]
    if not {"read", "merge", "done"} <= times.keys() or len(statements) < 2:
        return {}
    read_csv, typed = statements[:2]
    return {
        "open store and warehouse": times["read"] - start,
        "read CSV": read_csv - times["read"],
        "type and check rows": typed - read_csv,
        "list row problems, find repeated keys": times["merge"] - typed,
        "merge (references, conflicts, insert, commit)": times["done"] - times["merge"],
        "close (disconnect, checkpoint)": end - times["done"],
    }


def duckdb_floor(path: Path, folder: Path) -> Measurement:
    """Reference, not a baseline: DuckDB's own CSV load into the same table, with no checks.

    It shows how much of Retain's time is the engine reading and writing, and how much is the
    validation and the all-or-nothing merge on top.
    """
    from retain.warehouse import connect

    backend = connect(f"duckdb:///{folder}/warehouse.duckdb")
    con = backend.con
    con.execute("SET enable_progress_bar = false")
    with stopwatch() as watch:
        con.execute(
            f'INSERT INTO "order" ({ORDER_COLUMNS}, status) '
            f"SELECT {ORDER_COLUMNS}, 'paid' FROM read_csv('{path}', header = true)"
        )
        rows = con.execute('SELECT count(*) FROM "order"').fetchone()[0]
        backend.disconnect()
    return measurement("DuckDB read_csv, no checks (reference)", rows, watch)


def read_orders(path: Path) -> Any:
    import pandas as pd

    # pyarrow reads with every core; ordered_at becomes datetime64 so SQL gets real timestamps.
    return pd.read_csv(path, engine="pyarrow", parse_dates=["ordered_at"])


def pandas_sqlite(path: Path, database: Path) -> Measurement:
    """pandas read_csv + to_sql into SQLite through sqlite3: pandas' fastest built-in path."""
    import sqlite3

    import pandas  # noqa: F401  (imported before the clock starts, as in a warm session)

    with stopwatch() as watch:
        start = time.perf_counter()
        frame = read_orders(path)
        read = time.perf_counter()
        with closing(sqlite3.connect(database)) as con:
            frame.to_sql("order", con, index=False, if_exists="replace", chunksize=SQLITE_CHUNKSIZE)
            con.commit()
    stages = {"read_csv": read - start, "to_sql": start + watch.seconds - read}
    return measurement("pandas → SQLite", len(frame), watch, stages)


def pandas_postgres(path: Path, url: str, choice: PandasMethod, rows: int | None) -> Measurement:
    """pandas read_csv + to_sql into PostgreSQL through a SQLAlchemy psycopg engine."""
    import pandas  # noqa: F401  (imported before the clock starts, as in a warm session)
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    method = copy_rows if choice.method == "copy" else choice.method
    with stopwatch() as watch:
        start = time.perf_counter()
        frame = read_orders(path)
        if rows is not None:
            frame = frame.head(rows)
        read = time.perf_counter()
        frame.to_sql(
            "pandas_order",
            engine,
            index=False,
            if_exists="replace",
            method=method,
            chunksize=choice.chunksize,
        )
    engine.dispose()
    stages = {"read_csv": read - start, "to_sql": start + watch.seconds - read}
    name = f"pandas → PostgreSQL ({choice.method or 'executemany'})"
    return measurement(name, len(frame), watch, stages)


def copy_rows(table: Any, conn: Any, keys: list[str], data_iter: Iterator[tuple[Any, ...]]) -> int:
    """The ``psql_insert_copy`` insertion method of the pandas user guide, for psycopg 3."""
    import csv
    import io

    rows = list(data_iter)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    columns = ", ".join(f'"{key}"' for key in keys)
    name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    with (
        conn.connection.cursor() as cursor,
        cursor.copy(f"COPY {name} ({columns}) FROM STDIN WITH CSV") as copy,
    ):
        copy.write(buffer.getvalue())
    return len(rows)


def wait_for_quiet(limit_seconds: float) -> None:
    """Wait, up to ``limit_seconds``, until other processes leave the cores nearly idle.

    On a shared machine, someone's test suite can take a whole core for minutes; a side
    measured then looks slower than it is. This process is idle while it samples, so all the
    CPU time it sees belongs to others.
    """
    waited = 0.0
    while waited < limit_seconds:
        before = machine_busy_seconds()
        time.sleep(QUIET_SAMPLE_SECONDS)
        waited += QUIET_SAMPLE_SECONDS
        if machine_busy_seconds() - before < QUIET_CORE_SHARE * QUIET_SAMPLE_SECONDS:
            if waited > QUIET_SAMPLE_SECONDS:
                say(f"  (waited {waited:.0f} s for other processes to finish)")
            return
    if limit_seconds > 0:
        say(f"  (other processes still busy after {limit_seconds:.0f} s; measuring anyway)")


def in_child(function: Callable[..., Measurement], *args: Any) -> Measurement:
    """Run ``function`` in a new spawned process, so that the peak RSS it reports is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# --- orchestration ----------------------------------------------------------------------------


@dataclass
class Run:
    """Everything measured, and the ratios the claim is about."""

    machine: dict[str, str]
    arguments: dict[str, Any]
    measurements: dict[str, Measurement] = field(default_factory=dict)
    # Seconds of every repeat of each side; ``measurements`` keeps the fastest.
    tries: dict[str, list[float]] = field(default_factory=dict)
    all_tries: list[Measurement] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def measure(
        self,
        key: str,
        function: Callable[..., Measurement],
        *args: Any,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        """Run one side ``--repeat`` times, each in a fresh process, and keep the fastest.

        Other work on a shared machine can only slow a run down, so the fastest repeat is the
        least disturbed one (as timeit reports); its peak memory comes with it.
        """
        tries = []
        for _ in range(self.arguments["repeat"]):
            if prepare is not None:
                prepare()
            wait_for_quiet(self.arguments["quiet_wait"])
            tries.append(in_child(function, *args))
            report(tries[-1])
        self.measurements[key] = min(tries, key=lambda measured: measured.seconds)
        self.tries[key] = [measured.seconds for measured in tries]
        self.all_tries += tries

    def ratios(self) -> dict[str, float]:
        m = self.measurements
        pairs = {
            "speed Retain/pandas (DuckDB vs SQLite)": ("retain", "pandas", "speed"),
            "peak memory Retain/pandas (DuckDB vs SQLite)": ("retain", "pandas", "memory"),
            "peak memory Retain full/tenth size": ("retain", "retain_tenth", "memory"),
            "speed Retain/pandas (PostgreSQL)": ("retain_postgres", "pandas_postgres", "speed"),
            "peak memory Retain/pandas (PostgreSQL)": (
                "retain_postgres",
                "pandas_postgres",
                "memory",
            ),
        }
        for key in m:
            if key.startswith("retain_") and key[7:].isdigit():
                label = f"peak memory Retain {m[key].rows:,} rows / {m['retain'].rows:,} rows"
                pairs[label] = (key, "retain", "memory")
        found = {}
        for label, (ours, theirs, what) in pairs.items():
            if ours in m and theirs in m:
                found[label] = (
                    m[ours].rows_per_second / m[theirs].rows_per_second
                    if what == "speed"
                    else m[ours].peak_mb / m[theirs].peak_mb
                )
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "arguments": self.arguments,
            "measurements": {
                key: {**asdict(value), "rows_per_second": value.rows_per_second}
                for key, value in self.measurements.items()
            },
            "ratios": self.ratios(),
            "tries": self.tries,
            "notes": self.notes,
            "speed_target": SPEED_TARGET,
        }


def machine() -> dict[str, str]:
    import pandas as pd
    import pyarrow

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} × {model}",
        "memory": f"{memory_kb / 1024**2:.1f} GiB",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "load average at start": " ".join(f"{load:.2f}" for load in os.getloadavg()),
        "retain": retain_version(),
    }


def retain_version() -> str:
    """The commit measured, and whether src/ differed from it."""

    def git(*args: str) -> str:
        completed = subprocess.run(
            ["git", "-C", str(REPOSITORY), *args], capture_output=True, text=True, check=False
        )
        return completed.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (
        " with uncommitted changes in src/" if git("status", "--porcelain", "src") else ""
    )


def run_embedded(
    run: Run, folder: Path, rows: int, customers_csv: Path, also_rows: list[int]
) -> None:
    """Retain into DuckDB at full and a tenth of the size; pandas into SQLite at full size."""
    template = folder / "customers-loaded"
    say(f"importing {customers_csv.name} into a template warehouse (not timed)")
    in_child(retain_import, "customers", customers_csv, template, None, None)
    sizes = [("retain_tenth", rows // 10), ("retain", rows)]
    sizes += [(f"retain_{size}", size) for size in also_rows]
    for key, size in sizes:
        orders_csv = orders_file(folder, size, run.arguments["customers"])
        target = folder / f"retain-{size}"
        say(f"Retain: importing {size:,} orders into DuckDB")
        run.measure(
            key,
            retain_import,
            "orders",
            orders_csv,
            target,
            None,
            None,
            prepare=partial(fresh_copy, template, target),
        )
        shutil.rmtree(target)
    orders_csv = orders_file(folder, rows, run.arguments["customers"])
    say(f"pandas: read_csv + to_sql of {rows:,} orders into SQLite")
    database = folder / "pandas.sqlite"
    run.measure(
        "pandas",
        pandas_sqlite,
        orders_csv,
        database,
        prepare=lambda: database.unlink(missing_ok=True),
    )
    database.unlink()
    say(f"reference: DuckDB read_csv of {rows:,} orders into the same table, no checks")
    floor = folder / "duckdb-floor"
    run.measure(
        "duckdb_floor",
        duckdb_floor,
        orders_csv,
        floor,
        prepare=lambda: shutil.rmtree(floor, ignore_errors=True),
    )
    shutil.rmtree(floor)


def fresh_copy(template: Path, target: Path) -> None:
    """A warehouse and store holding only the customers, for one import of the orders."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target)


def run_postgres(run: Run, folder: Path, rows: int, customers_csv: Path, server: str) -> None:
    """Retain into a PostgreSQL warehouse and pandas into the same server, in a fresh database."""
    orders_csv = orders_file(folder, rows, run.arguments["customers"])
    with fresh_database(server) as url:
        store_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        target = folder / "retain-postgres"
        say(f"importing {customers_csv.name} into PostgreSQL (not timed)")
        in_child(retain_import, "customers", customers_csv, target, store_url, url)
        say(f"Retain: importing {rows:,} orders into PostgreSQL")
        run.measure(
            "retain_postgres",
            retain_import,
            "orders",
            orders_csv,
            target,
            store_url,
            url,
            prepare=lambda: empty_orders(url),
        )
        choice = fastest_postgres_method(run, orders_csv, url, rows)
        say(f"pandas: read_csv + to_sql of {rows:,} orders into PostgreSQL ({choice.label})")
        run.measure("pandas_postgres", pandas_postgres, orders_csv, url, choice, None)


def empty_orders(url: str) -> None:
    """Remove the orders a previous repeat imported, keeping the customers."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute('TRUNCATE "order"')


def fastest_postgres_method(run: Run, orders_csv: Path, url: str, rows: int) -> PandasMethod:
    """Try each to_sql method on a slice, so the baseline is pandas at its best here."""
    trial = min(rows, POSTGRES_TRIAL_ROWS)
    timings = {}
    for choice in POSTGRES_METHODS:
        measured = in_child(pandas_postgres, orders_csv, url, choice, trial)
        timings[choice] = measured.stages["to_sql"]
        say(f"  trial, {trial:,} rows, {choice.label}: to_sql {measured.stages['to_sql']:.2f} s")
    best = min(timings, key=timings.__getitem__)
    run.notes["postgres_trial_rows"] = trial
    run.notes["postgres_trial_to_sql_seconds"] = {c.label: s for c, s in timings.items()}
    run.notes["postgres_method"] = best.label
    return best


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on ``server``, dropped afterwards."""
    import psycopg

    name = f"retain_bench_ingest_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def orders_file(folder: Path, rows: int, customers: int) -> Path:
    """The orders CSV of ``rows`` rows, generated on first use."""
    path = folder / f"orders-{rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_orders(path, rows, customers)
        size = path.stat().st_size / 1024**2
        say(f"generated {path.name}: {size:,.0f} MB in {time.perf_counter() - started:.1f} s")
    return path


# --- output ----------------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def report(measured: Measurement) -> None:
    say(
        f"  {measured.rows:,} rows in {measured.seconds:.2f} s = "
        f"{measured.rows_per_second:,.0f} rows/s, peak {measured.peak_mb:,.0f} MB, "
        f"CPU {measured.cpu_seconds:.1f} s (other processes {measured.other_cpu_seconds:.1f} s)"
    )


def display_position(key: str) -> int:
    """Fixed rows first, then the extra sizes (``retain_<rows>``) after the tenth-size run."""
    if key in DISPLAY_ORDER:
        return DISPLAY_ORDER.index(key) * 10
    return DISPLAY_ORDER.index("retain_tenth") * 10 + 1


def print_run(run: Run) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console.width = 110  # a log file should not wrap the run names
    figures = Table(title=f"Ingest: orders CSV into the warehouse (Retain {run.machine['retain']})")
    headings = ("run", "rows", "seconds", "rows/s", "CPU s", "others' CPU s", "peak RSS MB")
    for heading in headings:
        figures.add_column(heading, justify="left" if heading == "run" else "right")
    for key in sorted(run.measurements, key=display_position):
        measured = run.measurements[key]
        figures.add_row(
            measured.name.replace("Retain orders", "Retain"),
            f"{measured.rows:,}",
            f"{measured.seconds:.2f}",
            f"{measured.rows_per_second:,.0f}",
            f"{measured.cpu_seconds:.1f}",
            f"{measured.other_cpu_seconds:.1f}",
            f"{measured.peak_mb:,.0f}",
        )
    if "postgres_method" in run.notes:
        figures.caption = (
            f"pandas → PostgreSQL used the fastest trial: {run.notes['postgres_method']}"
        )
    console.print(figures)
    ratios = Table(title=f"Ratios (speed target: ≥ {SPEED_TARGET:g}×)")
    ratios.add_column("ratio")
    ratios.add_column("value", justify="right")
    for label, value in run.ratios().items():
        ratios.add_row(label, f"{value:.2f}×")
    console.print(ratios)
    for key in sorted(run.measurements, key=display_position):
        measured = run.measurements[key]
        if measured.stages:
            stages = Table(title=f"Where the time goes: {key}")
            stages.add_column("stage")
            stages.add_column("seconds", justify="right")
            stages.add_column("share", justify="right")
            for stage, seconds in measured.stages.items():
                stages.add_row(stage, f"{seconds:.2f}", f"{seconds / measured.seconds:.0%}")
            console.print(stages)


# --- command line ----------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="orders in the large file")
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers to generate")
    parser.add_argument(
        "--postgres-rows", type=int, default=1_000_000, help="orders for PostgreSQL; 0 skips it"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="server, no database")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for generated files")
    parser.add_argument(
        "--also-rows",
        type=int,
        nargs="*",
        default=[],
        help="more sizes for Retain alone, to extend the memory-against-size comparison",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each side; the fastest is kept"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        help="seconds to wait for an idle machine before each run (0: do not wait)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    arguments.out.mkdir(parents=True, exist_ok=True)
    # A new folder per run, so that cleaning up never touches anything else under --out.
    folder = Path(tempfile.mkdtemp(prefix="ingest-", dir=arguments.out))
    run = Run(
        machine(),
        {
            "rows": arguments.rows,
            "customers": arguments.customers,
            "postgres_rows": arguments.postgres_rows,
            "also_rows": arguments.also_rows,
            "repeat": arguments.repeat,
            "quiet_wait": arguments.quiet_wait,
        },
    )
    try:
        customers_csv = folder / "customers.csv"
        write_customers(customers_csv, arguments.customers)
        run_embedded(run, folder, arguments.rows, customers_csv, arguments.also_rows)
        if arguments.postgres_rows:
            run_postgres(
                run, folder, arguments.postgres_rows, customers_csv, arguments.postgres_url
            )
    finally:
        if not arguments.keep:
            shutil.rmtree(folder, ignore_errors=True)
    # The DuckDB and PostgreSQL paths load different modules, so compare within each.
    versions: dict[str, set[str]] = {}
    for measured in run.all_tries:
        if measured.code:
            versions.setdefault(measured.name, set()).add(measured.code)
    run.notes["retain code fingerprints"] = {
        name: sorted(codes) for name, codes in versions.items()
    }
    if any(len(codes) > 1 for codes in versions.values()):
        say("WARNING: Retain's code changed during the run; its figures mix versions of it")
    print_run(run)
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(run.to_json(), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
