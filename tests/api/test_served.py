"""What `retain serve` trusts and shows: forwarded headers only from configured proxies, API
docs only when asked for."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.test_startup import _environment, _first_health, _free_port

LIMIT = 3


@contextmanager
def served(folder: Path, *arguments: str, **variables: str) -> Iterator[str]:
    """``retain serve`` on a free port with these RETAIN_* variables; yields its base URL."""
    port = _free_port()
    environment = {**_environment(folder), **variables}
    server = subprocess.Popen(
        [sys.executable, "-m", "retain", "serve", "--port", str(port), *arguments],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _first_health(f"{base}/health", server)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wrong_passwords(base: str, attempts: int) -> list[int]:
    """Status of each failed sign-in, each claiming another client address."""
    form = {"username": "admin", "password": "wrong", "csrf_token": "x"}
    return [
        httpx.post(
            f"{base}/login", data=form, headers={"X-Forwarded-For": f"203.0.113.{attempt}"}
        ).status_code
        for attempt in range(attempts)
    ]


@pytest.mark.parametrize(
    ("proxies", "limited"), [("", True), ("127.0.0.1", False)], ids=["untrusted", "trusted"]
)
def test_forwarded_addresses_count_only_from_a_trusted_proxy(
    tmp_path: Path, proxies: str, limited: bool
) -> None:
    variables = {"RETAIN_LOGIN_RATE_LIMIT": f"{LIMIT}/minute", "RETAIN_TRUSTED_PROXIES": proxies}
    with served(tmp_path, **variables) as base:
        statuses = wrong_passwords(base, LIMIT + 2)

    assert (429 in statuses) is limited, statuses


def test_api_docs_are_closed_unless_asked_for(tmp_path: Path) -> None:
    with served(tmp_path) as base:
        closed = [httpx.get(f"{base}{path}").status_code for path in DOC_PATHS]
    with served(tmp_path, "--dev") as base:
        opened = [httpx.get(f"{base}{path}").status_code for path in DOC_PATHS]

    assert closed == [404, 404, 404]
    assert opened == [200, 200, 200]


DOC_PATHS = ("/docs", "/redoc", "/api/v1/openapi.json")
