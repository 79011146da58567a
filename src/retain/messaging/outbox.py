"""Final delivery outcomes copied to the warehouse ``delivery`` table, each exactly once.

A row is stamped ``exported_at`` only after the warehouse committed; a crash in between stages
the same rows again next time and the merge skips them (same delivery_id, same content).
"""

from __future__ import annotations

import duckdb
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select, update

from retain.clock import utcnow
from retain.messaging.models import FINAL_STATUSES, Delivery
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import connect
from retain.warehouse.load import STAGE, MergePlan, merge_stage

COLUMNS = (
    "delivery_id",
    "playbook",
    "step",
    "channel",
    "customer_id",
    "sent_at",
    "holdout",
    "outcome",
)
PLAN = MergePlan(table="delivery", key=("delivery_id",), columns=COLUMNS)
CHUNK = 50_000


def export_deliveries(*, settings: Settings) -> int:
    """Append final outcomes not yet in the warehouse; how many rows were new there."""
    frame = _pending(settings.store_url)
    if frame.empty:
        return 0
    exported = 0
    backend = connect(settings.resolved_warehouse_url)
    try:
        while not frame.empty:
            exported += _merge(backend, frame)
            _stamp(settings.store_url, frame["id"].tolist())
            frame = _pending(settings.store_url)
    finally:
        backend.disconnect()
    return exported


def _pending(store_url: str) -> pd.DataFrame:
    with session_scope(store_url) as session:
        rows = session.execute(
            select(
                Delivery.id,
                Delivery.key,
                Delivery.playbook,
                Delivery.step,
                Delivery.channel,
                Delivery.customer_id,
                Delivery.sent_at,
                Delivery.holdout,
                Delivery.status,
            )
            .where(Delivery.exported_at.is_(None), Delivery.status.in_(FINAL_STATUSES))
            .order_by(Delivery.id)
            .limit(CHUNK)
        ).all()
    return pd.DataFrame(rows, columns=["id", *COLUMNS])


def _stamp(store_url: str, ids: list[int]) -> None:
    with session_scope(store_url) as session:
        for start in range(0, len(ids), 5000):
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids[start : start + 5000]))
                .values(exported_at=utcnow())
            )


def _merge(backend: BaseBackend, frame: pd.DataFrame) -> int:
    # A DuckDB warehouse merges from its own connection; PostgreSQL receives the stage by COPY.
    staging = backend.con if backend.name == "duckdb" else duckdb.connect()
    stage = frame.drop(columns=["id"]).reset_index(names="_row")
    stage["sent_at"] = pd.to_datetime(stage["sent_at"])
    staging.register("_delivery_frame", stage)
    try:
        staging.execute(
            f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT _row, delivery_id, playbook, step, "
            "channel, customer_id, CAST(sent_at AS TIMESTAMP) AS sent_at, "
            "CAST(holdout AS BOOLEAN) AS holdout, outcome FROM _delivery_frame"
        )
        result = merge_stage(backend, staging, plan=PLAN, limit=10)
    finally:
        staging.unregister("_delivery_frame")
        staging.execute(f"DROP TABLE IF EXISTS {STAGE}")
    if result.findings:
        raise RuntimeError(f"deliveries conflict with the warehouse: {result.findings[0]}")
    return result.inserted
