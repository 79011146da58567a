"""The ``retain`` command starts at once: its help loads no data-science, web or database library.

Each check runs in a fresh interpreter, so modules this test session has already imported
cannot hide an import that ``retain`` itself makes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import retain

# Libraries that take seconds to import between them; commands load them when they run.
HEAVY = (
    "sklearn",
    "scipy",
    "pandas",
    "lightgbm",
    "jieba",
    "huey",
    "ibis",
    "sqlalchemy",
    "numpy",
    "pyarrow",
    "fastapi",
    "matplotlib",
)
# The top level of `retain --help`, as docs and users know it.
COMMANDS = ("ingest", "demo", "metrics", "cohorts", "health", "renewals", "worker", "serve")
GROUPS = (
    "config", "db", "warehouse", "fx", "clv", "users", "keys", "churn", "tasks", "loyalty",
    "referrals", "playbooks", "segments", "messages", "templates", "consent", "returns",
    "tickets", "kb", "assistant", "feedback", "surveys", "products",
)  # fmt: skip

# Prints the help of `retain` and of each group, then the modules that were loaded.
SHOW_EVERY_HELP = """
import contextlib, io, json, sys
import typer.main
from retain.cli import app

command = typer.main.get_command(app)
groups = command.list_commands(command.context_class(command))
codes = {}
for args in [[], *([name] for name in groups)]:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            command.main([*args, "--help"], prog_name="retain")
        except SystemExit as end:
            codes[" ".join(["retain", *args])] = end.code
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def run_python(*args: str, columns: int = 80) -> str:
    """Run this interpreter on the Retain these tests import, in a fresh process."""
    source = str(Path(retain.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "COLUMNS": str(columns), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


def heavy_among(modules: list[str]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules} & set(HEAVY))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    out = run_python("-c", "import json, sys, retain.cli; print(json.dumps(sorted(sys.modules)))")

    assert heavy_among(json.loads(out)) == []


def test_help_of_retain_and_every_group_loads_no_heavy_library() -> None:
    found = json.loads(run_python("-c", SHOW_EVERY_HELP))

    assert found["codes"]["retain"] == 0
    assert set(found["codes"]) == {"retain", *(f"retain {name}" for name in COMMANDS + GROUPS)}
    assert set(found["codes"].values()) == {0}
    assert heavy_among(found["modules"]) == []


def test_help_lists_every_command_and_group() -> None:
    out = run_python("-m", "retain", "--help", columns=200)

    listed = re.findall(r"^\W*([a-z][a-z-]*)\s{2,}\S", out, flags=re.MULTILINE)
    for name in COMMANDS + GROUPS:
        assert name in listed, f"retain --help does not list {name}"


def test_the_metrics_service_and_the_store_load_neither_pandas_nor_alembic() -> None:
    # `retain metrics` imports both before it runs a query: pandas comes with the first query
    # (Ibis converts through it), Alembic only when the store is behind.
    script = "import json, sys, retain.metrics.service; print(json.dumps(sorted(sys.modules)))"
    modules = {name.split(".")[0] for name in json.loads(run_python("-c", script))}

    assert {"pandas", "alembic"} & modules == set()
