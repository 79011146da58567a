"""Ledger entries as warehouse ``loyalty_event`` rows, copied by the warehouse outbox."""

from __future__ import annotations

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select

from retain.loyalty.models import LoyaltyEntry
from retain.warehouse.outbox import ROW_ID, Source, export_from_store


def _to_warehouse(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(event_id="L" + rows[ROW_ID].astype(str))


SOURCE = Source(
    table="loyalty_event",
    key=("event_id",),
    rows=select(
        LoyaltyEntry.customer_id,
        LoyaltyEntry.created_at.label("occurred_at"),
        LoyaltyEntry.kind,
        LoyaltyEntry.points,
    ),
    row_id=LoyaltyEntry.id,
    to_warehouse=_to_warehouse,
)


def export_events(*, store_url: str, backend: BaseBackend) -> int:
    """Copy the entries written since the last export; how many were new to the warehouse."""
    return export_from_store(store_url=store_url, backend=backend, sources=[SOURCE])[SOURCE.table]
