"""Signed webhooks and Apprise chat to local HTTP servers; bounces from the provider's webhook."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient

from retain.api import create_app
from retain.messaging.service import deliver_due
from retain.settings import Settings
from retain.signatures import sign
from tests.messaging.conftest import BOUNCE_SECRET, WEBHOOK_SECRET, Inbox, Sink
from tests.messaging.helpers import NOON, add_customer, delivery, queue


def test_webhook_is_signed_as_intake_and_carries_the_idempotency_key(
    messaging: Settings, webhook_sink: Sink
) -> None:
    add_customer(messaging, "C1", language="zh")
    queue(messaging, "hook-1", "C1", channel="webhook", playbook="winback", step="1")
    deliver_due(settings=messaging, at=NOON)

    (request,) = webhook_sink.requests
    headers = request["headers"]
    expected = sign(
        secret=WEBHOOK_SECRET, timestamp=headers["X-Retain-Timestamp"], body=request["body"]
    )
    assert headers["X-Retain-Signature"] == expected
    assert headers["Idempotency-Key"] == "hook-1"
    payload = json.loads(request["body"])
    assert payload["playbook"] == "winback" and payload["language"] == "zh-CN"
    assert payload["unsubscribe_url"].startswith("https://shop.example/m/unsubscribe/")
    assert delivery(messaging, "hook-1").status == "sent"


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(
    messaging: Settings, webhook_sink: Sink
) -> None:
    add_customer(messaging, "C1")
    webhook_sink.status = 503
    queue(messaging, "hook-retry", "C1", channel="webhook")
    first = deliver_due(settings=messaging, at=NOON)
    row = delivery(messaging, "hook-retry")
    assert first.retried == 1 and row.status == "queued" and row.attempts == 1
    assert (
        row.next_attempt_at - NOON
    ).total_seconds() == messaging.messaging.delivery_retry_seconds
    assert deliver_due(settings=messaging, at=NOON).claimed == 0  # not due before its backoff
    at = NOON
    for _ in range(messaging.messaging.delivery_max_attempts - 1):
        at = delivery(messaging, "hook-retry").next_attempt_at
        deliver_due(settings=messaging, at=at)
    row = delivery(messaging, "hook-retry")
    assert row.status == "failed" and row.attempts == messaging.messaging.delivery_max_attempts
    assert row.last_error == "webhook answered 503"


def test_apprise_chat_reaches_a_local_endpoint(messaging: Settings, webhook_sink: Sink) -> None:
    add_customer(messaging, "C1", name="Ann")
    queue(messaging, "chat-1", "C1", channel="wecom", template="generic-reminder")
    deliver_due(settings=messaging, at=NOON)
    (request,) = webhook_sink.requests
    assert request["path"] == "/apprise"
    body = json.loads(request["body"])
    assert body["title"] == "A reminder for you" and body["message"].startswith("Ann:")
    assert delivery(messaging, "chat-1").status == "sent"


def test_signed_bounce_suppresses_the_address(
    messaging: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    add_customer(messaging, "C1", email="Ann@Example.com")
    queue(messaging, "before", "C1")
    deliver_due(settings=messaging, at=NOON)
    client = TestClient(create_app())
    body = json.dumps({"address": "ann@example.com", "reason": "bounced"}).encode()
    stamp = str(int(time.time()))

    unsigned = client.post("/api/v1/messages/bounces", content=body)
    assert unsigned.status_code == 401
    signed = client.post(
        "/api/v1/messages/bounces",
        content=body,
        headers={
            "X-Retain-Timestamp": stamp,
            "X-Retain-Signature": sign(secret=BOUNCE_SECRET, timestamp=stamp, body=body),
        },
    )
    assert signed.status_code == 200 and signed.json()["deliveries_marked"] == 1
    assert delivery(messaging, "before").status == "bounced"
    queue(messaging, "after", "C1")
    deliver_due(settings=messaging, at=NOON)
    assert delivery(messaging, "after").last_error == "email address suppressed"
    assert len(smtp_server[0].messages) == 1
