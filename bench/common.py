"""What several benchmarks share: peak memory, and loading generated Arrow tables fast."""

from __future__ import annotations

import resource

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
