"""Real local servers for the messaging tests: an aiosmtpd SMTP server and a webhook sink."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from retain.settings import Settings, get_settings

WEBHOOK_SECRET = "webhook-test-key-0123456789"
BOUNCE_SECRET = "bounce-test-key-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """Collects every message the SMTP server accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on a free local port; yields its inbox and port."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


class Sink(ThreadingHTTPServer):
    requests: list[dict[str, Any]]
    status: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the webhook channel reuses its connection
    server: Sink

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": body}
        )
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture
def webhook_sink() -> Iterator[Sink]:
    """An HTTP server recording every POST; ``status`` sets its answer."""
    sink = Sink(("127.0.0.1", 0), _Handler)
    sink.requests, sink.status = [], 200
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.shutdown()
    sink.server_close()


def sink_url(sink: Sink, path: str = "/hook") -> str:
    return f"http://127.0.0.1:{sink.server_address[1]}{path}"


@pytest.fixture
def messaging(
    environment: Settings,
    smtp_server: tuple[Inbox, int],
    webhook_sink: Sink,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """Settings sending email to the local SMTP server and webhooks to the local sink."""
    values = {
        "RETAIN_SMTP_PORT": str(smtp_server[1]),
        "RETAIN_MAIL_FROM": "Shop <news@shop.example>",
        "RETAIN_PUBLIC_BASE_URL": "https://shop.example",
        "RETAIN_MESSAGE_WEBHOOK_URL": sink_url(webhook_sink),
        "RETAIN_MESSAGE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RETAIN_BOUNCE_SECRET": BOUNCE_SECRET,
        "RETAIN_APPRISE_URLS": json.dumps(
            {"wecom": f"json://127.0.0.1:{webhook_sink.server_address[1]}/apprise"}
        ),
        "RETAIN_SECRET_KEY": "messaging-test-signing-key-0123456789",
        # Never quiet: tests that send "now" run at any hour (the default is 21:00-08:00).
        "RETAIN_QUIET_HOURS": "00:00-00:00",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return get_settings()
