"""Playbooks run on an imported shop: entries, holdouts, waits, goals, branches, no repeats."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from retain.churn.models import CustomerTask
from retain.engage.holdout import held_out
from retain.engage.models import Enrollment
from retain.engage.service import run_playbooks, save_playbook
from retain.messaging.models import Delivery
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.engage.shop import FIRST_ORDERS_AT, customers, import_frame, orders

WELCOME = """
name: welcome
trigger: {event: first_order}
steps:
  - {id: hello, send: {channel: email, template: onboarding-welcome}}
  - wait: {days: 3}
  - {id: back, branch: {if: converted, then: exit}}
  - {id: nudge, send: {channel: email, template: onboarding-second-order}}
  - {id: call, task: {owner: success, title: Call them}}
goal: {kind: ordered_again, days: 30}
holdout: 0.2
"""
COUNT = 60


@pytest.fixture
def shop(settings: Settings, tmp_path: Path) -> Settings:
    import_frame(settings, "customers", customers(COUNT), tmp_path)
    first = [
        (f"O{n}", f"C{n:03d}", FIRST_ORDERS_AT + timedelta(minutes=n), 40.0) for n in range(COUNT)
    ]
    import_frame(settings, "orders", orders(first), tmp_path)
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        save_playbook(session=session, text=WELCOME, at=FIRST_ORDERS_AT)
    return settings


def _run(settings: Settings, at: datetime) -> None:
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        run_playbooks(settings=settings, backend=backend, at=at)
    finally:
        backend.disconnect()


def _sends(settings: Settings, step: str) -> set[str]:
    with session_scope(settings.storage.store_url) as session:
        rows = session.scalars(select(Delivery.customer_id).where(Delivery.step == step))
        return set(rows)


def test_first_orders_enter_with_a_stable_holdout_and_no_repeats(shop: Settings) -> None:
    at = FIRST_ORDERS_AT + timedelta(hours=12)
    _run(shop, at)
    _run(shop, at)  # the same run again changes nothing

    expected_held = {
        f"C{n:03d}"
        for n in range(COUNT)
        if held_out(playbook="welcome", customer_id=f"C{n:03d}", fraction=0.2, global_fraction=0)
    }
    with session_scope(shop.storage.store_url) as session:
        entries = session.scalars(select(Enrollment)).all()
        holdouts = set(
            session.scalars(select(Delivery.customer_id).where(Delivery.status == "holdout"))
        )
    assert len(entries) == COUNT
    assert {e.customer_id for e in entries if e.held_out == "playbook"} == expected_held
    assert holdouts == expected_held
    assert _sends(shop, "hello") == {f"C{n:03d}" for n in range(COUNT)} - expected_held
    with session_scope(shop.storage.store_url) as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == COUNT


def test_waits_goals_and_branches(shop: Settings, tmp_path: Path) -> None:
    _run(shop, FIRST_ORDERS_AT + timedelta(hours=12))
    treated = sorted(_sends(shop, "hello"))
    returning = treated[:5]
    second = [
        (f"R{n}", customer, FIRST_ORDERS_AT + timedelta(days=2), 25.0)
        for n, customer in enumerate(returning)
    ]
    import_frame(shop, "orders", orders(second), tmp_path)

    _run(shop, FIRST_ORDERS_AT + timedelta(days=2, hours=12))  # still waiting
    assert _sends(shop, "nudge") == set()

    _run(shop, FIRST_ORDERS_AT + timedelta(days=4))
    assert _sends(shop, "nudge") == set(treated) - set(returning)
    with session_scope(shop.storage.store_url) as session:
        statuses = dict(
            session.execute(
                select(Enrollment.customer_id, Enrollment.status).where(
                    Enrollment.held_out.is_(None)
                )
            ).all()
        )
        tasks = set(session.scalars(select(CustomerTask.customer_id)))
    assert {c for c, status in statuses.items() if status == "converted"} == set(returning)
    assert {c for c, status in statuses.items() if status == "done"} == set(treated) - set(
        returning
    )
    assert tasks == set(treated) - set(returning)


def test_a_customer_enters_once_unless_reentry_is_allowed(shop: Settings, tmp_path: Path) -> None:
    again = """
name: again
trigger: {event: order_placed}
steps: [{id: thanks, send: {channel: email, template: review-request}}]
reenter_after_days: 5
holdout: 0
"""
    with session_scope(shop.storage.store_url) as session:
        save_playbook(session=session, text=again, at=FIRST_ORDERS_AT)
    later = [
        ("L1", "C001", FIRST_ORDERS_AT + timedelta(days=1), 10.0),  # too soon: stays out
        ("L2", "C002", FIRST_ORDERS_AT + timedelta(days=6), 10.0),  # five days on: enters again
    ]
    import_frame(shop, "orders", orders(later), tmp_path)
    _run(shop, FIRST_ORDERS_AT + timedelta(hours=12))
    _run(shop, FIRST_ORDERS_AT + timedelta(days=7))
    with session_scope(shop.storage.store_url) as session:
        counts = dict(
            session.execute(
                select(Enrollment.customer_id, func.count())
                .where(Enrollment.playbook == "again")
                .group_by(Enrollment.customer_id)
            ).all()
        )
    assert counts["C001"] == 1 and counts["C002"] == 2 and counts["C003"] == 1
