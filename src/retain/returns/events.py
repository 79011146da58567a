"""Resolved returns copied to the warehouse ``return_event`` table, each exactly once.

The same path as loyalty events (``retain.loyalty.events``): a store outbox read by id after a
cursor, merged into the warehouse by key, the cursor moved only after the warehouse committed.
From there the revenue metrics net the amount out and loyalty reverses the order's points.
"""

from __future__ import annotations

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.returns.models import ReturnExport, ReturnOutboxEvent
from retain.store import session_scope, upsert
from retain.warehouse.load import MergePlan, merge_frame

EXPORT = "return_event"
COLUMNS = (
    "return_id",
    "order_id",
    "customer_id",
    "returned_at",
    "amount",
    "currency",
    "reason",
    "status",
)
PLAN = MergePlan(table="return_event", key=("return_id",), columns=COLUMNS)
CHUNK = 50_000


def export_events(*, store_url: str, backend: BaseBackend) -> int:
    """Append the returns resolved since the last export; how many were new to the warehouse."""
    exported = 0
    while True:
        with session_scope(store_url) as session:
            cursor = session.get(ReturnExport, EXPORT)
            frame = _events_after(session, cursor.last_id if cursor else 0)
        if frame.empty:
            return exported
        exported += _merge(backend, frame)
        with session_scope(store_url) as session:
            last = int(frame["id"].max())
            upsert(session, ReturnExport, [{"name": EXPORT, "last_id": last}])


def _events_after(session: Session, after: int) -> pd.DataFrame:
    rows = session.execute(
        select(ReturnOutboxEvent.id, *(getattr(ReturnOutboxEvent, name) for name in COLUMNS))
        .where(ReturnOutboxEvent.id > after)
        .order_by(ReturnOutboxEvent.id)
        .limit(CHUNK)
    ).all()
    frame = pd.DataFrame(rows, columns=["id", *COLUMNS])
    frame["amount"] = frame["amount"].astype(str)
    return frame


def _merge(backend: BaseBackend, frame: pd.DataFrame) -> int:
    return merge_frame(
        backend,
        frame.drop(columns=["id"]),
        plan=PLAN,
        projection="return_id, order_id, customer_id, "
        "CAST(returned_at AS TIMESTAMP) AS returned_at, "
        "CAST(amount AS DECIMAL(18, 2)) AS amount, currency, reason, status",
    )
