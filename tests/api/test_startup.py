"""`retain serve` starts fast: the application loads no heavy library until a request needs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import retain

# Each of these takes seconds to import on a busy machine; only requests that use them load them.
# (pandas still loads: about thirty domain modules the routers reach import it at the top,
# e.g. retain.assistant.service -> retain.support.deadlines -> retain.churn.tasks.)
HEAVY_LIBRARIES = (
    "sklearn",
    "scipy",
    "lightgbm",
    "jieba",
    "matplotlib",
    "huey",
    "joblib",
    "alembic",
    "holidays",
    "httpx",
)
SOURCES = str(Path(retain.__file__).resolve().parents[1])
START_DEADLINE_SECONDS = 300.0


def _environment(data_dir: Path | None = None) -> dict[str, str]:
    """This process's environment with these sources first, and a data folder when given."""
    environment = {**os.environ, "PYTHONPATH": SOURCES}
    if data_dir is not None:
        environment["RETAIN_DATA_DIR"] = str(data_dir)
        environment["RETAIN_DATABASE_URL"] = f"sqlite:///{data_dir / 'retain.db'}"
        environment["RETAIN_WAREHOUSE_URL"] = f"duckdb:///{data_dir / 'warehouse.duckdb'}"
    return environment


def test_creating_the_app_loads_no_heavy_library() -> None:
    script = (
        "import json, sys\n"
        "from retain.api import create_app\n"
        "create_app()\n"
        f"print(json.dumps([name for name in {HEAVY_LIBRARIES!r} if name in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _first_health(url: str, server: subprocess.Popen[str]) -> httpx.Response:
    """Poll ``url`` until it answers 200; fail if the server exits or the deadline passes."""
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"retain serve exited with {server.returncode}")
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        time.sleep(0.05)  # a polling interval, not a wait for a guessed duration
    raise AssertionError(f"no 200 from {url} within {START_DEADLINE_SECONDS:.0f} s")


def test_retain_serve_answers_health(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "retain", "serve", "--port", str(port)],
        env=_environment(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        health = _first_health(f"http://127.0.0.1:{port}/health", server).json()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert health["version"] == retain.__version__
    assert health["store"]["status"] == "ok"
