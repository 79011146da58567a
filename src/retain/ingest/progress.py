"""Run a long DuckDB statement while reporting how far it has got."""

from __future__ import annotations

import threading
from collections.abc import Callable

import duckdb

Progress = Callable[[str, float | None], None]
POLL_SECONDS = 0.1


def enable_progress(con: duckdb.DuckDBPyConnection) -> None:
    """Make DuckDB track query progress without printing its own bar."""
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    con.execute("SET progress_bar_time = 0")


def run_with_progress(
    con: duckdb.DuckDBPyConnection, sql: str, *, stage: str, on_progress: Progress | None
) -> None:
    """Execute ``sql``, calling ``on_progress(stage, fraction)`` a few times a second."""
    if on_progress is None:
        con.execute(sql)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as error:  # handed to the calling thread below
            failure.append(error)

    worker = threading.Thread(target=work, name=f"retain-{stage}", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(POLL_SECONDS)
        percent = con.query_progress()
        if percent >= 0:
            on_progress(stage, min(percent / 100, 1.0))
    if failure:
        raise failure[0]
    on_progress(stage, 1.0)
