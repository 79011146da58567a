"""Ticket events as warehouse ``ticket_event`` rows, copied once each by the warehouse outbox.

The warehouse speaks the vocabulary of imported helpdesk data, which the churn features, the
"ticket resolved" trigger and the customer-360 page read: ``opened``, ``replied``,
``resolved``, ``closed``, ``reopened``. The store's events map onto it (see ``warehouse_kind``);
internal ones (notes, assignment, tags, priority, SLA warnings and breaches, new → open and
pending moves) stay in the store. A rating is a ``resolved`` (or ``closed``) row carrying the
score. Ids are prefixed (``RT-12``, ``RTE-340``) so they never collide with imported tickets.

Only tickets of a known customer reach the warehouse (its ``customer_id`` is required there):
a help-centre visitor's ticket without a customer id stays in the store. The cursor still
moves past every event.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select

from retain.support.models import Ticket, TicketEvent
from retain.warehouse.outbox import ROW_ID, Source, export_from_store


def export_events(*, store_url: str, backend: BaseBackend) -> int:
    """Copy the events written since the last export; how many were new to the warehouse."""
    return export_from_store(store_url=store_url, backend=backend, sources=[SOURCE])[SOURCE.table]


def _to_warehouse(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.assign(
        event_id="RTE-" + rows[ROW_ID].astype(str), ticket_id="RT-" + rows["ticket_id"].astype(str)
    )
    events = list(zip(rows["kind"], rows["detail"], strict=True))
    # A rating event carries its score (CSAT 1..5) in its detail.
    rows["satisfaction"] = pd.array(
        [detail.get("score") if kind == "rated" else None for kind, detail in events],
        dtype="Int64",
    )
    rows["kind"] = [warehouse_kind(kind, detail) for kind, detail in events]
    return rows[rows["customer_id"].notna() & rows["kind"].notna()]


def warehouse_kind(kind: str, detail: dict[str, Any]) -> str | None:
    """The warehouse's name for a store event, or None for one that stays in the store."""
    if kind == "created":
        return "opened"
    if kind == "replied":
        return "replied"
    if kind == "rated":
        return "closed" if detail.get("status") == "closed" else "resolved"
    if kind == "status":
        if (detail.get("from"), detail.get("to")) == ("solved", "open"):
            return "reopened"
        return {"solved": "resolved", "closed": "closed"}.get(str(detail.get("to")))
    return None


SOURCE = Source(
    table="ticket_event",
    key=("event_id",),
    rows=select(
        TicketEvent.ticket_id,
        Ticket.customer_id,
        TicketEvent.occurred_at,
        TicketEvent.kind,
        Ticket.channel,
        Ticket.priority,
        Ticket.subject,
        TicketEvent.detail,
    ).join(Ticket, Ticket.id == TicketEvent.ticket_id),
    row_id=TicketEvent.id,
    to_warehouse=_to_warehouse,
)
