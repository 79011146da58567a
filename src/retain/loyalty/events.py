"""Ledger entries copied to the warehouse ``loyalty_event`` table, each exactly once."""

from __future__ import annotations

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.loyalty.models import LoyaltyEntry, LoyaltyExport
from retain.store import session_scope, upsert
from retain.warehouse.load import MergePlan, merge_frame

EXPORT = "loyalty_event"
COLUMNS = ("event_id", "customer_id", "occurred_at", "kind", "points")
PLAN = MergePlan(table="loyalty_event", key=("event_id",), columns=COLUMNS)
CHUNK = 50_000


def export_events(*, store_url: str, backend: BaseBackend) -> int:
    """Append the entries written since the last export; how many were new to the warehouse.

    The cursor moves only after the warehouse committed. If the process dies in between, the
    next export stages the same entries again and the merge skips them (same key, same content).
    """
    exported = 0
    while True:
        with session_scope(store_url) as session:
            cursor = session.get(LoyaltyExport, EXPORT)
            after = cursor.last_entry_id if cursor else 0
            frame = _entries_after(session, after)
        if frame.empty:
            return exported
        exported += _merge(backend, frame)
        with session_scope(store_url) as session:
            last = int(frame["entry_id"].max())
            upsert(session, LoyaltyExport, [{"name": EXPORT, "last_entry_id": last}])


def _entries_after(session: Session, after: int) -> pd.DataFrame:
    rows = session.execute(
        select(
            LoyaltyEntry.id,
            LoyaltyEntry.customer_id,
            LoyaltyEntry.created_at,
            LoyaltyEntry.kind,
            LoyaltyEntry.points,
        )
        .where(LoyaltyEntry.id > after)
        .order_by(LoyaltyEntry.id)
        .limit(CHUNK)
    ).all()
    frame = pd.DataFrame(rows, columns=["entry_id", "customer_id", "occurred_at", "kind", "points"])
    frame.insert(0, "event_id", "L" + frame["entry_id"].astype(str))
    return frame


def _merge(backend: BaseBackend, frame: pd.DataFrame) -> int:
    return merge_frame(
        backend,
        frame.drop(columns=["entry_id"]),
        plan=PLAN,
        projection="event_id, customer_id, CAST(occurred_at AS TIMESTAMP) AS occurred_at, kind, "
        "CAST(points AS BIGINT) AS points",
    )
