"""Ticket events copied to the warehouse ``ticket_event`` table, each exactly once.

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
from sqlalchemy.orm import Session

from retain.store import session_scope, upsert
from retain.support.models import Ticket, TicketEvent, TicketExport
from retain.warehouse.load import MergePlan, merge_frame

EXPORT = "ticket_event"
COLUMNS = (
    "event_id",
    "ticket_id",
    "customer_id",
    "occurred_at",
    "kind",
    "channel",
    "priority",
    "subject",
    "satisfaction",
)
PLAN = MergePlan(table="ticket_event", key=("event_id",), columns=COLUMNS)
CHUNK = 50_000


def export_events(*, store_url: str, backend: BaseBackend) -> int:
    """Append the events written since the last export; how many were new to the warehouse.

    The cursor moves only after the warehouse committed. If the process dies in between, the
    next export stages the same events again and the merge skips them (same key, same content).
    """
    exported = 0
    while True:
        with session_scope(store_url) as session:
            cursor = session.get(TicketExport, EXPORT)
            after = cursor.last_event_id if cursor else 0
            frame = _events_after(session, after)
        if frame.empty:
            return exported
        known = frame[frame["customer_id"].notna() & frame["kind"].notna()]
        if not known.empty:
            exported += _merge(backend, known)
        with session_scope(store_url) as session:
            last = int(frame["row_id"].max())
            upsert(session, TicketExport, [{"name": EXPORT, "last_event_id": last}])


def _events_after(session: Session, after: int) -> pd.DataFrame:
    rows = session.execute(
        select(
            TicketEvent.id,
            TicketEvent.ticket_id,
            Ticket.customer_id,
            TicketEvent.occurred_at,
            TicketEvent.kind,
            Ticket.channel,
            Ticket.priority,
            Ticket.subject,
            TicketEvent.detail,
        )
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.id > after)
        .order_by(TicketEvent.id)
        .limit(CHUNK)
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "row_id",
            "ticket_id",
            "customer_id",
            "occurred_at",
            "kind",
            "channel",
            "priority",
            "subject",
            "detail",
        ],
    )
    frame.insert(0, "event_id", "RTE-" + frame["row_id"].astype(str))
    frame["ticket_id"] = "RT-" + frame["ticket_id"].astype(str)
    # A rating event carries its score (CSAT 1..5) in its detail.
    frame["satisfaction"] = [
        detail.get("score") if kind == "rated" else None
        for kind, detail in zip(frame["kind"], frame["detail"], strict=True)
    ]
    frame["satisfaction"] = frame["satisfaction"].astype("Int64")
    frame["kind"] = [
        warehouse_kind(kind, detail)
        for kind, detail in zip(frame["kind"], frame["detail"], strict=True)
    ]
    return frame.drop(columns=["detail"])


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


def _merge(backend: BaseBackend, frame: pd.DataFrame) -> int:
    return merge_frame(
        backend,
        frame.drop(columns=["row_id"]),
        plan=PLAN,
        projection="event_id, ticket_id, customer_id, "
        "CAST(occurred_at AS TIMESTAMP) AS occurred_at, kind, channel, priority, subject, "
        "CAST(satisfaction AS BIGINT) AS satisfaction",
    )
