"""A demo business served by uvicorn on a free port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from retain.auth.roles import Role
from retain.auth.service import create_user
from retain.settings import get_settings
from retain.store import ensure_store, session_scope

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
PASSWORD = "browser test password"
ARTIFACTS = Path(os.environ.get("RETAIN_TEST_ARTIFACTS", "test-artifacts"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving() -> Iterator[str]:
    """The URL of a Retain server on a free local port, run in a thread until the block ends."""
    from retain.api import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not running.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


def use_folder(patch: pytest.MonkeyPatch, folder: Path) -> None:
    """Point the settings at an embedded store and warehouse in ``folder``."""
    patch.setenv("RETAIN_DATA_DIR", str(folder))
    patch.setenv("RETAIN_DATABASE_URL", f"sqlite:///{folder / 'retain.db'}")
    patch.setenv("RETAIN_WAREHOUSE_URL", f"duckdb:///{folder / 'warehouse.duckdb'}")
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running server holding the full 600-customer demo: every page has data."""
    from retain.cli import app

    folder = tmp_path_factory.mktemp("web")
    with pytest.MonkeyPatch.context() as patch:
        use_folder(patch, folder)
        # The rate-limit counters live in this process and outlast each module's server: the
        # modules' sign-ins together would meet the limit of 10 a minute and see a 429 page.
        patch.setenv("RETAIN_LOGIN_RATE_LIMIT", "1000/minute")
        runner = CliRunner()
        command = ["demo", "--customers", "600", "--seed", "5", "--no-serve", "--format", "json"]
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        settings = get_settings()
        ensure_store(settings.storage.store_url)
        with session_scope(settings.storage.store_url) as session:
            for role in (Role.analyst, Role.viewer):
                create_user(
                    session=session, username=role.value, password=PASSWORD, role=role, actor="test"
                )
        with serving() as url:
            yield url
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium; on CI a missing one fails, elsewhere it skips."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: make test installs it with apt-get")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
