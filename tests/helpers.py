"""Small helpers shared by tests: writing input files and reading the warehouse back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from retain.settings import Settings
from retain.warehouse import connect


def write_csv(path: Path, header: str, *rows: str, encoding: str = "utf-8") -> Path:
    """A CSV file from a header line and row lines."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding=encoding)
    return path


def warehouse_rows(settings: Settings, table: str, order_by: str) -> list[dict[str, Any]]:
    """Every row of a warehouse table, as dicts, sorted."""
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        frame: pd.DataFrame = backend.table(table).order_by(order_by).execute()
    finally:
        backend.disconnect()
    return [
        {key: (None if pd.isna(value) else value) for key, value in row.items()}
        for row in frame.to_dict("records")
    ]


def warehouse_count(settings: Settings, table: str) -> int:
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        return int(backend.table(table).count().execute())
    finally:
        backend.disconnect()


def signed_in_client(settings: Settings, role: str = "admin") -> Any:
    """A TestClient of a new app whose requests carry a fresh API key of ``role``."""
    from fastapi.testclient import TestClient

    from retain.api import create_app
    from retain.auth.roles import Role
    from retain.auth.service import create_key
    from retain.store import ensure_store, session_scope

    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        token = create_key(
            session=session, name=f"test {role}", role=Role(role), actor="test"
        ).token
    return TestClient(create_app(), headers={"Authorization": f"Bearer {token}"})


def race(work: Callable[[int], None], *, threads: int) -> list[BaseException]:
    """Run ``work(i)`` on ``threads`` threads released together; the errors they raised."""
    barrier, errors = threading.Barrier(threads), []

    def run(number: int) -> None:
        barrier.wait()
        try:
            work(number)
        except BaseException as error:  # collected and inspected by the test
            errors.append(error)

    started = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return errors
