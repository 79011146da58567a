"""What several benchmarks share: peak memory, and loading generated Arrow tables fast."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pyarrow as pa


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def insert_tables(warehouse_url: str, tables: dict[str, pa.Table]) -> None:
    """Append generated tables to the canonical warehouse tables of the same names.

    Straight inserts, without the import checks: benchmark data is correct by construction and
    the benchmarks measure what comes after loading.
    """
    from retain.warehouse import connect  # the callers import Retain late, so this does too

    backend = connect(warehouse_url)
    try:
        for name, table in tables.items():
            backend.con.register("incoming", table)
            columns = ", ".join(f'"{column}"' for column in table.column_names)
            backend.con.execute(f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM incoming')
            backend.con.unregister("incoming")
    finally:
        backend.disconnect()


def child_environment(pycache: Path, **extra: str) -> dict[str, str]:
    """Children import this checkout and keep compiled bytecode, as an installed package does."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    checkout = Path(__file__).resolve().parent.parent / "src"
    source = os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))
    return {
        **environment,
        "PYTHONPATH": source,
        "PYTHONPYCACHEPREFIX": str(pycache),
        "COLUMNS": "100",
        **extra,
    }
