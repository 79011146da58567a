"""Resolved returns as warehouse ``return_event`` rows, copied by the warehouse outbox.

``return_outbox_event`` holds one row per resolution, written with it; from the warehouse the
revenue metrics net the amount out and loyalty reverses the order's points.
"""

from __future__ import annotations

from ibis.backends import BaseBackend
from sqlalchemy import select

from retain.returns.models import ReturnOutboxEvent
from retain.warehouse.outbox import Source, export_from_store

SOURCE = Source(
    table="return_event",
    key=("return_id",),
    rows=select(
        ReturnOutboxEvent.return_id,
        ReturnOutboxEvent.order_id,
        ReturnOutboxEvent.customer_id,
        ReturnOutboxEvent.returned_at,
        ReturnOutboxEvent.amount,
        ReturnOutboxEvent.currency,
        ReturnOutboxEvent.reason,
        ReturnOutboxEvent.status,
    ),
    row_id=ReturnOutboxEvent.id,
)


def export_events(*, store_url: str, backend: BaseBackend) -> int:
    """Copy the returns resolved since the last export; how many were new to the warehouse."""
    return export_from_store(store_url=store_url, backend=backend, sources=[SOURCE])[SOURCE.table]
