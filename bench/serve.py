"""Server start-up benchmark: process start to the first 200 from ``/health``.

The claim (issue 16): ``retain serve`` answers ``/health`` within 3 s of being started on a
quiet machine. Measured in the same run, interleaved so that load changes hit all alike:

- ``retain serve``: the real command (``python -m retain serve``), CLI included;
- ``retain.api.serve``: the application alone, without the CLI's imports;
- the peer: a bare FastAPI + uvicorn application with one ``/health`` route, the floor any
  FastAPI server pays (Python, FastAPI, pydantic, uvicorn).

Each server runs on an empty data folder (SQLite store, DuckDB warehouse) and a free port; the
timer starts before the process is spawned and stops at the first 200, polled every 10 ms. One
untimed warm-up of each fills the file cache first. The load average is printed before and after:
a busy machine slows all three.

Usage:
    .venv/bin/python bench/serve.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_SECONDS = 300.0
POLL_SECONDS = 0.01
BARE_APP = """
import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""
API_ONLY = "import sys; from retain.api import serve; serve(port=int(sys.argv[1]))"


def main() -> None:
    arguments = _arguments()
    commands = {
        "retain serve": [sys.executable, "-m", "retain", "serve", "--port"],
        "retain.api.serve (no CLI)": [sys.executable, "-c", API_ONLY],
        "bare FastAPI + uvicorn": [sys.executable, "-c", BARE_APP],
    }
    print(f"load average before: {_load()}")
    with tempfile.TemporaryDirectory(prefix="retain-serve-bench-") as folder:
        environment = _environment(Path(folder))
        for command in commands.values():
            _start_to_health(command, environment)  # warm-up: the file cache, not the result
        timings: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(arguments.repeats):
            for name, command in commands.items():
                timings[name].append(_start_to_health(command, environment))
    print(f"load average after:  {_load()}")
    _report(timings, arguments.repeats)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed starts of each server")
    return parser.parse_args()


def _environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "RETAIN_DATA_DIR": str(folder),
        "RETAIN_DATABASE_URL": f"sqlite:///{folder / 'retain.db'}",
        "RETAIN_WAREHOUSE_URL": f"duckdb:///{folder / 'warehouse.duckdb'}",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_to_health(command: list[str], environment: dict[str, str]) -> float:
    """Seconds from spawning ``command`` (port appended) to its first 200 on ``/health``."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/health"
    started = time.perf_counter()
    server = subprocess.Popen(
        [*command, str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < DEADLINE_SECONDS:
            if server.poll() is not None:
                raise SystemExit(f"{' '.join(command)} exited with {server.returncode}")
            if _answers(url):
                return time.perf_counter() - started
            time.sleep(POLL_SECONDS)
        raise SystemExit(f"{' '.join(command)}: no 200 within {DEADLINE_SECONDS:.0f} s")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _report(timings: dict[str, list[float]], repeats: int) -> None:
    bare = statistics.median(timings["bare FastAPI + uvicorn"])
    print(f"\nstart to first 200 from /health, {repeats} starts each (seconds)")
    print(f"{'server':<28}{'median':>8}{'min':>8}{'max':>8}{'vs bare':>9}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(
            f"{name:<28}{median:>8.2f}{min(values):>8.2f}{max(values):>8.2f}{median / bare:>8.1f}×"
        )


if __name__ == "__main__":
    main()
