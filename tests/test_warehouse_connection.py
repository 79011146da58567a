"""``on_warehouse``: the one way work gets a short-lived warehouse connection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from retain.warehouse import on_warehouse

OPEN_FROM_ANOTHER_PROCESS = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"


def other_process_can_open(path: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_FROM_ANOTHER_PROCESS, str(path)], capture_output=True
    )
    return done.returncode == 0


def test_work_gets_the_backend_and_its_arguments_and_the_file_is_free_after(
    tmp_path: Path,
) -> None:
    path = tmp_path / "warehouse.duckdb"

    def work(backend: BaseBackend, prefix: str, *, table: str) -> str:
        return prefix + str(table in backend.list_tables())

    assert (
        on_warehouse(f"duckdb:///{path}", work, "has order: ", table="order") == "has order: True"
    )
    assert other_process_can_open(path)


def test_a_failing_work_still_frees_the_file(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"

    def work(backend: BaseBackend) -> None:
        raise LookupError("nothing here")

    with pytest.raises(LookupError):
        on_warehouse(f"duckdb:///{path}", work)
    assert other_process_can_open(path)
