"""Instructions to the shop: a real local HTTP server that fails at first; no duplicates."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from retain.returns import jobs, service, webhooks
from retain.returns.models import ReturnInstruction
from retain.returns.service import ItemRequest
from retain.settings import Settings
from retain.signatures import sign
from retain.store import session_scope
from tests.returns.helpers import T0, ask, move, order, store_url

SECRET = "a shop secret of some length"


class Shop(ThreadingHTTPServer):
    """Answers 503 to the first ``failures`` posts, then 200; keeps every post it received."""

    def __init__(self, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.applied: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/returns"


class _Handler(BaseHTTPRequestHandler):
    server: Shop

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        if len(self.server.received) <= self.server.failures:
            self.send_response(503)
        else:
            self.server.applied.add(self.headers["Idempotency-Key"])
            self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def shop() -> Iterator[Shop]:
    server = Shop(failures=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _resolved(url: str, shop: Shop) -> str:
    with session_scope(url) as session:
        webhooks.configure(session=session, url=shop.url, secret=SECRET, at=T0)
    request = ask(url, order(), [ItemRequest(2, 1)], key="k")
    move(url, request.return_id, "in_transit", "received", "inspected", "resolved")
    return request.return_id


def test_retried_until_confirmed_without_duplicates(settings: Settings, shop: Shop) -> None:
    url = store_url(settings)
    return_id = _resolved(url, shop)
    at = T0
    outcomes = []
    for _ in range(6):
        run = webhooks.deliver_due(store_url=url, at=at)
        outcomes.append((run.attempted, run.confirmed))
        at += timedelta(hours=7)  # past the longest backoff
    assert outcomes == [(1, 0), (1, 0), (1, 1), (0, 0), (0, 0), (0, 0)]
    keys = {headers["Idempotency-Key"] for headers, _ in shop.received}
    bodies = {body for _, body in shop.received}
    assert keys == shop.applied == {f"return:{return_id}:refund"}
    assert len(bodies) == 1  # every retry carried the very same instruction
    instruction = json.loads(bodies.pop())
    assert (instruction["kind"], instruction["amount"]) == ("refund", "13.49")
    for headers, body in shop.received:
        webhooks.verify(
            SECRET,
            headers["X-Retain-Timestamp"],
            body,
            headers["X-Retain-Signature"],
            now=float(headers["X-Retain-Timestamp"]),
        )
    with session_scope(url) as session:
        stored = session.query(ReturnInstruction).one()
        assert (stored.status, stored.attempts) == ("confirmed", 3)
        assert stored.confirmation is not None and stored.confirmation.startswith("HTTP 200")
    assert jobs.close_confirmed(store_url=url, at=at) == 1
    with session_scope(url) as session:
        assert service.get(session=session, return_id=return_id).state == "closed"


def test_instructions_carry_the_signature_format_of_every_retain_webhook(
    settings: Settings, shop: Shop
) -> None:
    url = store_url(settings)
    _resolved(url, shop)
    webhooks.deliver_due(store_url=url, at=T0)
    (headers, body), *_ = shop.received
    sent = headers["X-Retain-Signature"]
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", sent)
    # The very value event intake, the bounce webhook and the message webhook channel use.
    assert sent == sign(secret=SECRET, timestamp=headers["X-Retain-Timestamp"], body=body)


def test_a_failed_attempt_waits_its_backoff(settings: Settings, shop: Shop) -> None:
    url = store_url(settings)
    _resolved(url, shop)
    assert webhooks.deliver_due(store_url=url, at=T0).attempted == 1
    assert webhooks.deliver_due(store_url=url, at=T0 + timedelta(seconds=29)).attempted == 0
    assert webhooks.deliver_due(store_url=url, at=T0 + timedelta(seconds=30)).attempted == 1
    assert webhooks.deliver_due(store_url=url, at=T0 + timedelta(seconds=89)).attempted == 0
    assert webhooks.deliver_due(store_url=url, at=T0 + timedelta(seconds=90)).attempted == 1


def test_signatures_refuse_tampering_and_old_timestamps() -> None:
    body = b'{"a":1}'
    sent = sign(secret=SECRET, timestamp="1000", body=body)
    webhooks.verify(SECRET, "1000", body, sent, now=1000.0)
    with pytest.raises(webhooks.WebhookError, match="signature"):
        webhooks.verify(SECRET, "1000", b'{"a":2}', sent, now=1000.0)
    with pytest.raises(webhooks.WebhookError, match="too old"):
        webhooks.verify(SECRET, "1000", body, sent, now=1000.0 + 301)
