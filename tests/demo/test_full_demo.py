"""``retain demo`` leaves data for every analytic page, and the playbook lift it shows is real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from retain.churn.models import ChurnScore, CustomerTask, HealthScore
from retain.cli import app
from retain.demo.analytics import PLANTED, PLANTED_EFFECT_FILE, PLANTED_ORDER_PREFIX
from retain.engage.models import Enrollment
from retain.engage.service import list_records, playbook_stats, shipped_playbooks
from retain.lifetime.tables import CustomerPrediction
from retain.messaging.models import Delivery
from retain.segments.models import SegmentMembership
from retain.settings import Settings, StorageSettings, get_settings
from retain.store import get_engine, session_scope
from retain.warehouse import connect
from tests.helpers import warehouse_count

CUSTOMERS = 600


def _run_demo(folder: Path, *options: str) -> Iterator[tuple[Settings, Result]]:
    settings = Settings(
        storage=StorageSettings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'retain.db'}",
            warehouse_url=f"duckdb:///{folder / 'warehouse.duckdb'}",
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAIN_DATA_DIR", str(folder))
        patch.setenv("RETAIN_DATABASE_URL", settings.storage.store_url)
        patch.setenv("RETAIN_WAREHOUSE_URL", settings.storage.resolved_warehouse_url)
        get_settings.cache_clear()
        command = ["demo", "--customers", str(CUSTOMERS), "--seed", "3", "--no-serve", *options]
        yield settings, CliRunner().invoke(app, command)
    get_settings.cache_clear()
    get_engine(settings.storage.store_url).dispose()


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Result]]:
    yield from _run_demo(tmp_path_factory.mktemp("full-demo"))


def data_end(settings: Settings) -> datetime:
    params = json.loads((settings.storage.data_dir / "demo" / "params.json").read_text())
    return datetime.fromisoformat(params["as_of"])


def _count(settings: Settings, model: type, *conditions: object) -> int:
    with session_scope(settings.storage.store_url) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*conditions)))


def test_full_demo_fills_every_analytic_page(full_demo: tuple[Settings, Result]) -> None:
    settings, result = full_demo

    assert result.exit_code == 0, result.output
    assert "What the demo made" in result.output and "failed:" not in result.output
    assert _count(settings, CustomerPrediction) > CUSTOMERS / 2
    assert _count(settings, ChurnScore) > 0
    with session_scope(settings.storage.store_url) as session:
        assert all(score.reasons for score in session.scalars(select(ChurnScore)))
    assert _count(settings, HealthScore) == _count(settings, ChurnScore)
    assert _count(settings, CustomerTask) > 0
    assert _count(settings, SegmentMembership, SegmentMembership.exited_at.is_(None)) > 0


def test_every_shipped_playbook_ran_over_the_past_and_sent(
    full_demo: tuple[Settings, Result],
) -> None:
    settings, _ = full_demo

    with session_scope(settings.storage.store_url) as session:
        sent = dict(
            session.execute(
                select(Delivery.playbook, func.count())
                .where(Delivery.status == "sent")
                .group_by(Delivery.playbook)
            ).all()
        )
        queued = _count(settings, Delivery, Delivery.status == "queued")
    with session_scope(settings.storage.store_url) as session:
        ran_until = {
            record.name: record.triggered_until for record in list_records(session=session)
        }
    assert ran_until == dict.fromkeys(shipped_playbooks(), data_end(settings))
    # Each kind of trigger that fires every week of any business: events, inactivity, dates,
    # and the recurring playbooks' period boundaries.
    assert {"onboarding", "review-request", "win-back", "renewal-30", "newsletter"} <= set(sent)
    assert "brand-story" in sent
    assert queued == 0, "a demo never leaves messages for a real worker to send"
    assert warehouse_count(settings, "delivery") == _count(settings, Delivery)


def test_reported_lift_covers_the_planted_effect(full_demo: tuple[Settings, Result]) -> None:
    settings, _ = full_demo
    truth = json.loads((settings.storage.data_dir / "demo" / PLANTED_EFFECT_FILE).read_text())
    measured_at = datetime.fromisoformat(truth["measured_at"])
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            stats = playbook_stats(
                session=session, backend=backend, name=PLANTED.playbook, at=measured_at
            )
    finally:
        backend.disconnect()
    lift = next(item for item in stats.lifts if item.outcome == PLANTED.outcome)

    assert lift.absolute is not None and lift.treated == truth["treated"] > 0
    assert truth["true_effect"] > 0
    assert lift.absolute.low <= truth["true_effect"] <= lift.absolute.high


def test_effect_is_planted_only_on_treated_entries(full_demo: tuple[Settings, Result]) -> None:
    settings, _ = full_demo
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        orders = backend.table("order")
        planted = orders.filter(orders.order_id.startswith(PLANTED_ORDER_PREFIX))
        planted_ids = planted.order_id.execute().tolist()
    finally:
        backend.disconnect()
    entries = {int(order_id.removeprefix(PLANTED_ORDER_PREFIX)) for order_id in planted_ids}

    with session_scope(settings.storage.store_url) as session:
        rows = session.execute(
            select(Enrollment.playbook, Enrollment.held_out).where(
                Enrollment.enrollment_id.in_(entries)
            )
        ).all()
    assert len(rows) == len(entries) > 0
    assert {(playbook, held_out) for playbook, held_out in rows} == {(PLANTED.playbook, None)}


def test_minimal_demo_imports_data_only(tmp_path: Path) -> None:
    for settings, result in _run_demo(tmp_path, "--minimal"):
        assert result.exit_code == 0, result.output
        assert warehouse_count(settings, "order") > 0
        assert _count(settings, CustomerPrediction) == 0
        assert _count(settings, ChurnScore) == 0
        assert _count(settings, Enrollment) == 0
        assert _count(settings, SegmentMembership) == 0
        assert not (settings.storage.data_dir / "demo" / PLANTED_EFFECT_FILE).exists()
