"""Final delivery outcomes as warehouse ``delivery`` rows, copied by the warehouse outbox.

A delivery becomes a fact only when it reaches a final status, in no particular order of ids,
so each row carries its own ``exported_at`` stamp instead of a cursor.
"""

from __future__ import annotations

from sqlalchemy import select

from retain.messaging.models import FINAL_STATUSES, Delivery
from retain.settings import Settings
from retain.warehouse.outbox import Source, export_pending

SOURCE = Source(
    table="delivery",
    key=("delivery_id",),
    rows=select(
        Delivery.key.label("delivery_id"),
        Delivery.playbook,
        Delivery.step,
        Delivery.channel,
        Delivery.customer_id,
        Delivery.sent_at,
        Delivery.holdout,
        Delivery.status.label("outcome"),
    ).where(Delivery.status.in_(FINAL_STATUSES)),
    row_id=Delivery.id,
    exported_at=Delivery.exported_at,
)


def export_deliveries(*, settings: Settings) -> int:
    """Append final outcomes not yet in the warehouse; how many rows were new there."""
    exported = export_pending(
        store_url=settings.storage.store_url,
        warehouse_url=settings.storage.resolved_warehouse_url,
        sources=[SOURCE],
    )
    return exported[SOURCE.table]
