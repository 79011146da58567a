"""Demo benchmark: the full ``retain demo`` against the data-only ``retain demo --minimal``.

The claim (issue 16, part 3): the full demo of 5,000 customers (data, then every page's data:
lifetime values, churn model and scores, playbooks run over the past, help centre, assistant,
support, loyalty, returns, surveys) finishes in under 90 s after install on a quiet machine.

1. Each side is a fresh process, ``python -m retain demo --no-serve``, on its own empty data
   folder (SQLite store, DuckDB warehouse), started in turns, ``--repeat`` times; the median
   counts. One untimed run of each comes first so that both read compiled bytecode, as an
   installed package does (this machine sets PYTHONDONTWRITEBYTECODE, so the children get
   their own PYTHONPYCACHEPREFIX).
2. The baseline is ``--minimal``: the same generation and import, nothing computed. The
   difference between the two is what the full demo's analytic and workflow steps cost.
3. Wall seconds and the child's CPU seconds (user + system) are printed, with the load average
   before and after: on a shared machine the wall time says more about the neighbours than
   about Retain, the CPU time less so. The full demo's own per-step table (wall and CPU seconds
   per step) of the last run is printed too.

Usage:
    .venv/bin/python bench/demo.py [--customers 5000] [--repeat 1] [--json bench/out/demo.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import child_environment

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 90.0
DEFAULT_JSON = ROOT / "bench" / "out" / "demo.json"


def environment(data_dir: Path, pycache: Path) -> dict[str, str]:
    """A child that imports this checkout, keeps bytecode and writes into ``data_dir``."""
    return child_environment(
        pycache,
        RETAIN_DATA_DIR=str(data_dir),
        RETAIN_DATABASE_URL=f"sqlite:///{data_dir / 'retain.db'}",
        RETAIN_WAREHOUSE_URL=f"duckdb:///{data_dir / 'warehouse.duckdb'}",
        COLUMNS="160",
    )


def run_demo(folder: Path, customers: int, *, minimal: bool) -> dict[str, Any]:
    """One demo in a fresh process and data folder: wall and CPU seconds, its summary."""
    data_dir = Path(tempfile.mkdtemp(prefix="minimal-" if minimal else "full-", dir=folder))
    command = [sys.executable, "-m", "retain", "demo", "--no-serve", f"--customers={customers}"]
    command += ["--minimal"] if minimal else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command,
        env=environment(data_dir, folder / "pycache"),
        cwd=data_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "summary": _summary(done.stdout)}


def _summary(output: str) -> str:
    """The demo's "What the demo made" table, as it printed it ("" for the minimal demo)."""
    start = output.find("What the demo made")
    end = output.find("The last six months", start)
    return output[start:end].rstrip() if start >= 0 else ""


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per side; the median")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    arguments = parser.parse_args()
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load {load_average()}")
    runs: dict[str, list[dict[str, Any]]] = {"full": [], "minimal": []}
    with tempfile.TemporaryDirectory(prefix="demo-", dir=arguments.json.parent) as temporary:
        folder = Path(temporary)
        run_demo(folder, arguments.customers, minimal=True)  # untimed: compiles the bytecode
        for _ in range(arguments.repeat):
            for side in ("full", "minimal"):
                runs[side].append(run_demo(folder, arguments.customers, minimal=side == "minimal"))
                print(f"  {side}: {runs[side][-1]['wall']:.1f} s, load {load_average()}")
    medians = {
        side: {key: statistics.median(run[key] for run in done) for key in ("wall", "cpu")}
        for side, done in runs.items()
    }
    print(runs["full"][-1]["summary"])
    print(f"\n{arguments.customers:,} customers, median of {arguments.repeat} (seconds)")
    print(f"{'demo':<28}{'wall':>8}{'cpu':>8}")
    for side, label in (("full", "retain demo"), ("minimal", "retain demo --minimal")):
        print(f"{label:<28}{medians[side]['wall']:>8.1f}{medians[side]['cpu']:>8.1f}")
    extra = medians["full"]["wall"] - medians["minimal"]["wall"]
    ratio = medians["full"]["wall"] / medians["minimal"]["wall"]
    verdict = "met" if medians["full"]["wall"] < TARGET_SECONDS else "missed"
    print(f"full ÷ minimal: {ratio:.1f}×, the steps beyond the data: {extra:.1f} s")
    print(f"target: full demo under {TARGET_SECONDS:.0f} s wall: {verdict} (load {load_average()})")
    arguments.json.write_text(
        json.dumps({"customers": arguments.customers, "runs": runs, "medians": medians}, indent=2)
    )


if __name__ == "__main__":
    main()
