"""Holdouts, the warehouse outbox, the worker's hooks and queue, the CLI and the API list."""

from __future__ import annotations

import json
import os

import pytest
import redis
from huey import RedisHuey
from typer.testing import CliRunner

from retain.cli import app
from retain.jobs import worker
from retain.messaging import service
from retain.messaging.service import deliver_due
from retain.settings import Settings, get_settings
from retain.store import ensure_store, session_scope
from tests.helpers import signed_in_client, warehouse_rows
from tests.messaging.conftest import Inbox
from tests.messaging.helpers import NOON, add_customer, delivery, queue

# Databases of their own, one per backend the test runs on (in parallel), so that no two runs
# share a queue.
REDIS_URLS = {
    "sqlite": "redis://127.0.0.1:6379/14",
    "postgresql+psycopg": "redis://127.0.0.1:6379/15",
}


def test_final_outcomes_and_holdouts_reach_the_warehouse_once(
    messaging: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    add_customer(messaging, "C1")
    queue(messaging, "w:1", "C1", playbook="winback", step="email-1")
    with session_scope(messaging.storage.store_url) as session:
        held = service.record_holdout(
            session=session, key="w:2", customer_id="C2", playbook="winback", step="email-1"
        )
        assert held.status == "holdout"
    first = deliver_due(settings=messaging, at=NOON)
    second = deliver_due(settings=messaging, at=NOON)
    assert (first.exported, second.exported) == (2, 0)
    rows = warehouse_rows(messaging, "delivery", "delivery_id")
    assert [(row["delivery_id"], row["holdout"], row["outcome"]) for row in rows] == [
        ("w:1", False, "sent"),
        ("w:2", True, "holdout"),
    ]
    assert rows[0]["playbook"] == "winback" and rows[0]["sent_at"] == NOON
    assert len(smtp_server[0].messages) == 1


def test_worker_runs_registered_hooks_and_queued_passes(
    messaging: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    calls: list[str] = []
    worker.register_periodic(
        "test-hook", 3600, lambda settings: calls.append(settings.email.smtp_host)
    )
    try:
        worker.run_once(settings=messaging)
        worker.run_once(settings=messaging)  # within the hour: not again
        assert calls == ["127.0.0.1"]
        assert "test-hook" in worker.registered()
    finally:
        worker._periodic.pop("test-hook")
    add_customer(messaging, "C1")
    worker.request_pass(messaging)
    queue(messaging, "soon", "C1")
    worker._drain(worker.task_queue(messaging.storage.queue_url, str(messaging.storage.data_dir)))
    assert delivery(messaging, "soon").status == "sent"


def test_cli_consent_messages_and_templates(
    messaging: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    runner = CliRunner()
    add_customer(messaging, "C1", email="ann@example.com")
    queue(messaging, "cli-1", "C1")
    assert runner.invoke(app, ["worker", "--once"]).exit_code == 0
    listed = runner.invoke(app, ["messages", "list", "--format", "json"])
    assert json.loads(listed.output)[0]["status"] == "sent"

    assert runner.invoke(app, ["consent", "set", "C1", "email", "revoked"]).exit_code == 0
    shown = runner.invoke(app, ["consent", "show", "C1", "--format", "json"])
    assert json.loads(shown.output)[0]["granted"] is False

    bounced = runner.invoke(app, ["messages", "bounce", "ann@example.com"])
    assert "1 delivery marked bounced" in bounced.output
    names = runner.invoke(app, ["templates", "list", "--format", "json"]).output
    assert "generic-offer" in names
    preview = runner.invoke(app, ["templates", "preview", "generic-news", "--customer", "C1"])
    assert preview.exit_code == 0 and "Subject: News from us" in preview.output
    missing = runner.invoke(app, ["templates", "preview", "nope", "--customer", "C1"])
    assert missing.exit_code == 2


def test_api_lists_deliveries_and_sets_consent(messaging: Settings) -> None:
    add_customer(messaging, "C1")
    queue(messaging, "api-1", "C1")
    agent = signed_in_client(messaging, "agent")
    page = agent.get("/api/v1/messages", params={"status": "queued"}).json()
    assert page["total"] == 1 and page["items"][0]["key"] == "api-1"
    put = agent.put("/api/v1/customers/C1/consent", json={"channel": "sms", "granted": True})
    assert put.status_code == 200
    assert agent.get("/api/v1/customers/C1/consent").json()["items"][0]["channel"] == "sms"


def test_queued_passes_run_through_redis(
    messaging: Settings, smtp_server: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_url = REDIS_URLS[messaging.storage.store_url.split(":", 1)[0]]
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"Redis must be reachable on CI: {error}")
        pytest.skip(f"Redis not reachable: {error}")
    monkeypatch.setenv("RETAIN_QUEUE_URL", redis_url)
    get_settings.cache_clear()
    settings = get_settings()
    tasks = worker.task_queue(settings.storage.queue_url, str(settings.storage.data_dir))
    assert isinstance(tasks, RedisHuey)
    tasks.flush()
    add_customer(settings, "C1")
    worker.request_pass(settings)
    assert tasks.pending_count() == 1
    queue(settings, "via-redis", "C1")
    worker._drain(tasks)
    assert delivery(settings, "via-redis").status == "sent"
    assert tasks.pending_count() == 0


def test_enqueue_many_skips_keys_already_queued(messaging: Settings) -> None:
    ensure_store(messaging.storage.store_url)
    first = service.Outgoing("k1", "C1", "email", "generic-news", {})
    with session_scope(messaging.storage.store_url) as session:
        assert service.enqueue_many(session=session, messages=[first]) == 1
    second = service.Outgoing("k2", "C1", "email", "generic-news", {})
    with session_scope(messaging.storage.store_url) as session:
        assert service.enqueue_many(session=session, messages=[first, second]) == 1
        with pytest.raises(ValueError, match="distinct"):
            service.enqueue_many(session=session, messages=[second, second])
    assert delivery(messaging, "k2").status == "queued"
