"""A small shop imported through the real import path, for the playbook tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from retain.ingest.service import ingest_file
from retain.settings import Settings

FIRST_ORDERS_AT = datetime(2026, 1, 10)


def import_frame(settings: Settings, kind: str, frame: pd.DataFrame, folder: Path) -> None:
    """Write ``frame`` as CSV and import it as ``kind``."""
    path = folder / f"{kind}-{len(list(folder.glob(f'{kind}-*.csv')))}.csv"
    frame.to_csv(path, index=False)
    ingest_file(kind=kind, path=path, settings=settings)


def customers(count: int) -> pd.DataFrame:
    """Customers C000 … with an email each, half of them speaking Chinese."""
    ids = [f"C{number:03d}" for number in range(count)]
    return pd.DataFrame(
        {
            "customer_id": ids,
            "signup_at": "2026-01-01 00:00:00",
            "country": ["CN" if number % 2 else "US" for number in range(count)],
            "language": ["zh-CN" if number % 2 else "en" for number in range(count)],
            "name": [f"Customer {number}" for number in range(count)],
            "email": [f"{customer.lower()}@example.test" for customer in ids],
        }
    )


def orders(rows: list[tuple[str, str, datetime, float]]) -> pd.DataFrame:
    """Paid USD orders from (order_id, customer_id, ordered_at, amount) tuples."""
    return pd.DataFrame(
        {
            "order_id": [row[0] for row in rows],
            "customer_id": [row[1] for row in rows],
            "ordered_at": [row[2].strftime("%Y-%m-%d %H:%M:%S") for row in rows],
            "amount": [row[3] for row in rows],
            "currency": "USD",
        }
    )
