"""Retention of unhappy customers who were followed up vs those who were not."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from retain.churn.models import CustomerTask
from retain.churn.tasks import close_task
from retain.feedback import reviews, service
from retain.feedback.report import follow_up_retention
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.engage.shop import customers, import_frame, orders

START = datetime(2026, 1, 10)
COMPLAINED = datetime(2026, 2, 1)
REACHED, REACHED_BACK, OTHERS_BACK = 10, 8, 2


def test_followed_up_customers_are_compared_with_the_rest(
    settings: Settings, tmp_path: Path
) -> None:
    ensure_store(settings.storage.store_url)
    ids = [f"C{n:03d}" for n in range(20)]
    import_frame(settings, "customers", customers(20), tmp_path)
    back = ids[:REACHED_BACK] + ids[REACHED : REACHED + OTHERS_BACK]
    rows = [(f"O{c}", c, START, 20.0) for c in ids]
    rows += [(f"O{c}-again", c, COMPLAINED + timedelta(days=30), 20.0) for c in back]
    # A late return of one never-reached customer, after the 90 days: not "stayed".
    rows.append((f"O{ids[-1]}-late", ids[-1], COMPLAINED + timedelta(days=120), 20.0))
    import_frame(settings, "orders", orders(rows), tmp_path)
    items = [
        reviews.ItemIn(
            source="shop", text=f"broken again, {c}", posted_at=COMPLAINED, rating=1, customer=c
        )
        for c in ids
    ]
    with session_scope(settings.storage.store_url) as session:
        reviews.import_items(session=session, kind="review", items=items)
        assert service.follow_up(session=session) == 20
    with session_scope(settings.storage.store_url) as session:
        for task in session.scalars(select(CustomerTask).order_by(CustomerTask.customer_id)):
            reached = task.customer_id in ids[:REACHED]
            close_task(
                session=session,
                task_id=task.task_id,
                outcome="retained" if reached else "unreachable",
            )
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            found = follow_up_retention(
                session=session, backend=backend, at=COMPLAINED + timedelta(days=150)
            )
    finally:
        backend.disconnect()
    assert (found["followed_up"], found["followed_up_stayed"]) == (REACHED, REACHED_BACK)
    assert (found["not_followed_up"], found["not_followed_up_stayed"]) == (10, OTHERS_BACK)
    expected = REACHED_BACK / REACHED - OTHERS_BACK / 10
    assert found["difference"] == pytest.approx(expected, abs=1e-4)
    assert 0 < found["difference_low"] < expected < found["difference_high"] < 1
