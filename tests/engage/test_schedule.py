"""The worker's engagement hook: a segment refresh enters customers into a playbook."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from retain.engage.models import Enrollment
from retain.engage.schedule import run_scheduled
from retain.engage.service import save_playbook
from retain.segments.service import define_segment
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from tests.engage.shop import customers, import_frame, orders

BIG_SPENDERS = """
name: big-spenders
trigger: {segment_entry: big}
steps: [{id: thanks, send: {channel: email, template: generic-news}}]
holdout: 0
"""


def test_entering_a_segment_enters_its_playbook(settings: Settings, tmp_path: Path) -> None:
    import_frame(settings, "customers", customers(4), tmp_path)
    recent = datetime.now() - timedelta(days=3)
    spent = [(f"O{n}", f"C{n:03d}", recent, 100.0 * n) for n in range(4)]
    import_frame(settings, "orders", orders(spent), tmp_path)
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        define_segment(session=session, name="big", rule="revenue >= 200")
        save_playbook(session=session, text=BIG_SPENDERS, at=recent)

    run_scheduled(settings)
    run_scheduled(settings)  # nobody enters twice

    with session_scope(settings.storage.store_url) as session:
        entered = list(session.scalars(select(Enrollment.customer_id)))
    assert sorted(entered) == ["C002", "C003"]
