"""`retain demo` generates a business and imports every file of it, on both backends."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from retain.cli import app
from retain.ingest.demo import DEMO_KINDS
from retain.ingest.kinds import KINDS
from retain.settings import Settings
from tests.helpers import warehouse_count


def test_demo_imports_every_generated_row_and_a_rerun_adds_none(environment: Settings) -> None:
    command = ["demo", "--customers", "400", "--seed", "11", "--no-serve", "--minimal"]
    command += ["--format", "json"]

    first = CliRunner().invoke(app, command)
    second = CliRunner().invoke(app, command)

    assert first.exit_code == 0, first.output
    demo_dir = environment.storage.data_dir / "demo"
    for result in json.loads(first.stdout):
        kind = KINDS[result["kind"]]
        rows = pq.read_metadata(demo_dir / f"{kind.name}.parquet").num_rows
        assert rows > 0, kind.name
        assert result["rows_inserted"] == rows == warehouse_count(environment, kind.table)
    assert [r["kind"] for r in json.loads(first.stdout)] == list(DEMO_KINDS)
    assert all(r["rows_inserted"] == 0 for r in json.loads(second.stdout))
    assert (demo_dir / "truth.parquet").is_file() and (demo_dir / "params.json").is_file()
