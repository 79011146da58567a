"""Small helpers shared by tests: writing input files and reading the warehouse back."""

from __future__ import annotations

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
    backend = connect(settings.resolved_warehouse_url)
    try:
        frame: pd.DataFrame = backend.table(table).order_by(order_by).execute()
    finally:
        backend.disconnect()
    return [
        {key: (None if pd.isna(value) else value) for key, value in row.items()}
        for row in frame.to_dict("records")
    ]


def warehouse_count(settings: Settings, table: str) -> int:
    backend = connect(settings.resolved_warehouse_url)
    try:
        return int(backend.table(table).count().execute())
    finally:
        backend.disconnect()
