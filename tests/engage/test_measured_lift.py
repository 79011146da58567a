"""On a shop where the playbook truly works, the measured lift finds the true effect.

The shop is generated here: every customer's chance of a second order within 30 days is 20%
when held out and 32% when treated, so the true lift is 12 percentage points.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select

from retain.engage.models import Enrollment
from retain.engage.service import playbook_stats, run_playbooks, save_playbook
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.engage.shop import FIRST_ORDERS_AT, customers, import_frame, orders

COUNT = 3_000
BASE_RATE, TREATED_RATE = 0.20, 0.32
PLAYBOOK = """
name: effective
trigger: {event: first_order}
steps: [{id: offer, send: {channel: email, template: winback-offer}}]
holdout: 0.3
"""


def test_the_true_lift_lies_in_the_interval(settings: Settings, tmp_path: Path) -> None:
    import_frame(settings, "customers", customers(COUNT), tmp_path)
    first = [
        (f"F{n}", f"C{n:03d}", FIRST_ORDERS_AT + timedelta(seconds=n), 50.0) for n in range(COUNT)
    ]
    import_frame(settings, "orders", orders(first), tmp_path)
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        save_playbook(session=session, text=PLAYBOOK, at=FIRST_ORDERS_AT)
    backend = connect(settings.storage.resolved_warehouse_url)
    run_playbooks(settings=settings, backend=backend, at=FIRST_ORDERS_AT + timedelta(hours=6))

    with session_scope(settings.storage.store_url) as session:
        groups = dict(session.execute(select(Enrollment.customer_id, Enrollment.held_out)).all())
    rng = np.random.default_rng(11)
    second = []
    for customer, group in sorted(groups.items()):
        rate = BASE_RATE if group else TREATED_RATE
        if rng.random() < rate:
            day = int(rng.integers(1, 29))
            second.append((f"S{customer}", customer, FIRST_ORDERS_AT + timedelta(days=day), 30.0))
    import_frame(settings, "orders", orders(second), tmp_path)

    with session_scope(settings.storage.store_url) as session:
        stats = playbook_stats(
            session=session,
            backend=backend,
            name="effective",
            at=FIRST_ORDERS_AT + timedelta(days=120),
        )
    backend.disconnect()
    repurchase = stats.lifts[0]
    assert repurchase.outcome == "repurchase_30"
    assert repurchase.treated + repurchase.held_out == COUNT
    assert repurchase.absolute is not None
    assert repurchase.absolute.low < TREATED_RATE - BASE_RATE < repurchase.absolute.high
    assert repurchase.absolute.low > 0  # the effect is detected, not only covered
    revenue = stats.incremental_revenue_90
    assert revenue is not None and revenue.low > 0
    assert stats.sends["offer"]["queued"] == repurchase.treated
