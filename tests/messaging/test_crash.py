"""A worker killed with SIGKILL mid-run and restarted sends no duplicate and loses no message."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select

from retain.clock import utcnow
from retain.customers.models import CustomerProfile
from retain.messaging.channels import message_id
from retain.messaging.models import Delivery
from retain.store import ensure_store, get_engine, session_scope
from tests.messaging.conftest import Inbox, free_port

MESSAGES = 600
SENDER = "Shop <news@shop.example>"


class SlowInbox(Inbox):
    """An inbox that takes a few milliseconds per message, so a kill lands mid-pass."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.004)
        return await super().handle_DATA(server, session, envelope)


def _retain(environment: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "retain", *args],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_until_leases_expire(url: str, *, timeout: float) -> None:
    """Poll the store until no delivery holds a lease that is still running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(url) as session:
            latest = session.scalar(select(func.max(Delivery.lease_until)))
        if latest is None or latest < utcnow():
            return
        time.sleep(0.05)
    raise AssertionError(f"leases still held after {timeout} s")


def _statuses(url: str) -> dict[str, str]:
    with session_scope(url) as session:
        rows = session.execute(select(Delivery.key, Delivery.status)).all()
    return {key: status for key, status in rows}


@pytest.mark.slow
def test_sigkill_mid_run_then_restart_sends_each_message_once(tmp_path: Path) -> None:
    inbox, port = SlowInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    store_url = f"sqlite:///{tmp_path / 'retain.db'}"
    environment = {
        **os.environ,
        "RETAIN_DATA_DIR": str(tmp_path),
        "RETAIN_DATABASE_URL": store_url,
        "RETAIN_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        "RETAIN_SMTP_PORT": str(port),
        "RETAIN_MAIL_FROM": SENDER,
        "RETAIN_SECRET_KEY": "crash-test-signing-key-0123456789",
        "RETAIN_QUIET_HOURS": "00:00-00:00",  # never quiet: the test runs at any hour
        "RETAIN_DELIVERY_LEASE_SECONDS": "2",
    }
    keys = [f"crash:{number}" for number in range(MESSAGES)]
    ensure_store(store_url)
    now = utcnow()
    with session_scope(store_url) as session:
        session.execute(
            insert(CustomerProfile),
            [{"customer_id": f"C{n}", "email": f"c{n}@example.com"} for n in range(MESSAGES)],
        )
        session.execute(
            insert(Delivery),
            [
                {
                    "key": key,
                    "customer_id": f"C{n}",
                    "channel": "email",
                    "template": "generic-news",
                    "context": {},
                    "status": "queued",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "holdout": False,
                }
                for n, key in enumerate(keys)
            ],
        )
    get_engine(store_url).dispose()
    try:
        worker = _retain(environment, "worker", "--interval", "0.2")
        # A busy machine may take long to start the worker: the deadline is generous, not a timing.
        deadline = time.monotonic() + 300
        while len(inbox.messages) < MESSAGES // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        assert 0 < len(inbox.messages) < MESSAGES, "the kill must land mid-run"
        assert "sending" in _statuses(store_url).values()

        _wait_until_leases_expire(store_url, timeout=60)
        restarted = _retain(environment, "worker", "--once")
        assert restarted.wait(timeout=600) == 0, restarted.stderr.read()  # type: ignore[union-attr]

        by_id = {message_id(key, SENDER): key for key in keys}
        received = Counter(by_id[message["Message-ID"]] for message in inbox.messages)
        statuses = _statuses(store_url)
        unknown = {key for key, status in statuses.items() if status == "unknown"}
        assert max(received.values()) == 1, "no message was sent twice"
        assert set(received) | unknown == set(keys), "every message was sent or is unknown"
        assert {key for key, status in statuses.items() if status == "sent"} <= set(received)
        assert unknown, "the kill left deliveries whose fate the worker cannot know"

        # The operator checks the provider's log: resend the unknown ones that never arrived,
        # confirm the others as sent.
        missing = sorted(unknown - set(received))
        resend_args = [argument for key in missing for argument in ("--key", key)]
        for args in (
            ["messages", "reconcile", "--resend", *resend_args],
            ["messages", "reconcile"],
            ["worker", "--once"],
        ):
            assert _retain(environment, *args).wait(timeout=600) == 0
        received = Counter(by_id[message["Message-ID"]] for message in inbox.messages)
        assert received == Counter(keys), "in the end each message arrived exactly once"
        assert set(_statuses(store_url).values()) == {"sent"}
    finally:
        controller.stop()
        get_engine(store_url).dispose()
