"""Messaging benchmark: 100,000 messages through the real pipeline (enqueue + deliver_due).

The claim (engagement issue, sending part): at least 1,000 messages a second end to end, from
``enqueue`` to the receiving server's 250 OK, with consent, suppression, frequency cap and quiet
hours checked, each message rendered from a template in the customer's language, the delivery
log kept crash-safe (``sending`` committed before sending) and the outcomes copied to the
warehouse. Four fifths go by email to a local aiosmtpd server, one fifth by signed webhook to a
local HTTP sink; both run in their own process so that they do not share this one's core.

Baseline, measured in the same run against the same servers: a plain smtplib loop sending the
same number of messages (a fixed text, no template, no log) over one connection.

Usage:
    .venv/bin/python bench/engage.py [--messages 100000] [--webhook-share 0.2] [--keep]

Extra packages: aiosmtpd (in the ``test`` extra: ``make test-env``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import smtplib
import socket
import sys
import tempfile
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ENQUEUE_BATCH = 1_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(smtp_port: int, http_port: int, ready: Any) -> None:
    """The receiving side: an SMTP server and a webhook sink counting what they accept."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from aiosmtpd.controller import Controller

    counts = {"smtp": 0, "webhook": 0}

    class Counter:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            counts["smtp"] += 1
            return "250 OK"

    class Sink(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            counts["webhook"] += 1
            self._answer(b"")

        def do_GET(self) -> None:  # noqa: N802
            self._answer(json.dumps(counts).encode())

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    controller = Controller(Counter(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = ThreadingHTTPServer(("127.0.0.1", http_port), Sink)
    ready.set()
    server.serve_forever()


def received(http_port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/count") as answer:
        return dict(json.loads(answer.read()))


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def configure(folder: Path, smtp_port: int, http_port: int) -> None:
    os.environ.update(
        {
            "RETAIN_DATA_DIR": str(folder),
            "RETAIN_SECRET_KEY": "bench-signing-key-0123456789abcdef",
            "RETAIN_SMTP_PORT": str(smtp_port),
            "RETAIN_MAIL_FROM": "Shop <news@shop.example>",
            "RETAIN_PUBLIC_BASE_URL": "https://shop.example",
            "RETAIN_MESSAGE_WEBHOOK_URL": f"http://127.0.0.1:{http_port}/hook",
            "RETAIN_MESSAGE_WEBHOOK_SECRET": "bench-webhook-key-0123456789",
            "RETAIN_QUIET_HOURS": "00:00-00:00",  # the benchmark runs at any hour
        }
    )


def add_customers(store_url: str, count: int) -> None:
    """Profiles, half in Chinese, with time zones around the world (not timed)."""
    from sqlalchemy import insert

    from retain.customers.models import CustomerProfile
    from retain.store import ensure_store, session_scope

    ensure_store(store_url)
    zones = ("Asia/Shanghai", "America/New_York", "Europe/Berlin", "UTC")
    with session_scope(store_url) as session:
        session.execute(
            insert(CustomerProfile),
            [
                {
                    "customer_id": f"C{n}",
                    "name": f"Customer {n}",
                    "email": f"c{n}@example.com",
                    "language": "zh" if n % 2 else "en",
                    "time_zone": zones[n % len(zones)],
                }
                for n in range(count)
            ],
        )


def run_pipeline(store_url: str, messages: int, webhook_share: float) -> dict[str, float]:
    """Enqueue every message, then worker passes until none is due; seconds of each phase."""
    import retain.ingest.intake  # noqa: F401  # worker start-up: paid once a process, not timed
    from retain.messaging import service
    from retain.settings import get_settings
    from retain.store import session_scope

    settings = get_settings()
    every = round(1 / webhook_share) if webhook_share else 0
    started = time.perf_counter()
    for first in range(0, messages, ENQUEUE_BATCH):
        with session_scope(store_url) as session:
            for n in range(first, min(first + ENQUEUE_BATCH, messages)):
                service.enqueue(
                    session=session,
                    key=f"bench:news:{n}",
                    customer_id=f"C{n}",
                    channel="webhook" if every and n % every == 0 else "email",
                    template="generic-news",
                    context={"headline": "Our spring collection is here"},
                    playbook="bench",
                    step="news",
                )
    enqueued = time.perf_counter()
    sent = 0
    while True:
        summary = service.deliver_due(settings=settings, limit=messages)
        sent += summary.sent
        if summary.claimed == 0:
            break
    finished = time.perf_counter()
    return {
        "enqueue_seconds": enqueued - started,
        "deliver_seconds": finished - enqueued,
        "seconds": finished - started,
        "sent": sent,
    }


def run_baseline(smtp_port: int, messages: int) -> float:
    """Seconds for a plain smtplib loop to send ``messages`` fixed emails over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", smtp_port) as connection:
        for n in range(messages):
            email = EmailMessage()
            email["From"] = "news@shop.example"
            email["To"] = f"c{n}@example.com"
            email["Subject"] = "News from us"
            email.set_content("Our spring collection is here")
            connection.send_message(email)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--webhook-share", type=float, default=0.2)
    parser.add_argument("--keep", action="store_true", help="Keep the data folder.")
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="retain-engage-"))
    smtp_port, http_port = free_port(), free_port()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    servers = context.Process(target=serve, args=(smtp_port, http_port, ready), daemon=True)
    servers.start()
    ready.wait(30)
    configure(folder, smtp_port, http_port)
    store_url = f"sqlite:///{folder / 'retain.db'}"
    try:
        add_customers(store_url, options.messages)
        ours = run_pipeline(store_url, options.messages, options.webhook_share)
        peak = peak_rss_mb()
        counts = received(http_port)
        baseline = run_baseline(smtp_port, options.messages)
    finally:
        servers.terminate()
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)
    rate = ours["sent"] / ours["seconds"]
    baseline_rate = options.messages / baseline
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"messages: {options.messages:,} ({options.webhook_share:.0%} webhook)")
    print(f"received: {counts['smtp']:,} emails, {counts['webhook']:,} webhooks")
    print(f"retain enqueue: {ours['enqueue_seconds']:.1f} s")
    print(f"retain deliver: {ours['deliver_seconds']:.1f} s")
    print(f"retain total: {ours['seconds']:.1f} s, {rate:,.0f} msg/s, peak {peak:,.0f} MB")
    print(f"baseline smtplib loop: {baseline:.1f} s, {baseline_rate:,.0f} msg/s")
    print(f"ratio (retain time / baseline time): {ours['seconds'] / baseline:.2f}x")
    print(f"target >= 1,000 msg/s: {'met' if rate >= 1000 else 'missed'}")
    if counts["smtp"] + counts["webhook"] != ours["sent"]:
        raise SystemExit("the servers did not receive every message the log says was sent")


if __name__ == "__main__":
    main()
