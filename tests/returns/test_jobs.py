"""The worker's returns pass: stale approvals expire, resolved returns reach the warehouse."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retain.jobs import worker
from retain.jobs.periodic import register_periodic_jobs
from retain.messaging.models import Delivery
from retain.returns import jobs, service
from retain.returns.service import ItemRequest
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import connect
from tests.returns.helpers import T0, ask, move, order, store_url


def test_a_pass_expires_stale_approvals_and_exports_resolutions(settings: Settings) -> None:
    url = store_url(settings)
    stale = ask(url, order("O1"), [ItemRequest(2, 1)], key="stale")
    done = ask(url, order("O2"), [ItemRequest(2, 1)], key="done")
    move(url, done.return_id, "in_transit", "received", "inspected", "resolved")
    with session_scope(url) as session:  # the pass uses the policy in force: the default
        days = service.load_policy(session=session).expire_approved_after_days
    early = jobs.run_pass(settings, at=T0 + timedelta(days=days - 1))
    assert (early.expired, early.exported, early.attempted) == (0, 1, 0)  # no webhook set
    late = jobs.run_pass(settings, at=T0 + timedelta(days=days, seconds=1))
    assert (late.expired, late.exported) == (1, 0)
    with session_scope(url) as session:
        assert service.get(session=session, return_id=stale.return_id).state == "expired"
        keys = {row.key for row in session.query(Delivery).all()}
    assert f"return:{stale.return_id}:expired" in keys  # the customer is told
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        assert backend.table("return_event").count().to_pandas() == 1
    finally:
        backend.disconnect()


def test_the_worker_runs_returns_passes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "_periodic", {})  # the process's registry: left as found
    register_periodic_jobs(settings)
    assert "returns" in worker.registered()
