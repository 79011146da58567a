"""Metrics through the CLI and the API, on imported data, including time zones at period edges."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from retain.cli import app
from retain.settings import Settings
from tests.helpers import signed_in_client, write_csv


def import_shop(tmp_path: Path) -> None:
    runner = CliRunner()
    people = write_csv(
        tmp_path / "c.csv", "customer_id,signup_at,country", "NY,2024-12-01,US", "SH,2024-12-01,CN"
    )
    # 23:30 in New York on Jan 31 is Feb 1 in UTC: a February order. 07:30 in Shanghai on
    # Feb 1 is still Jan 31 in UTC: a January order.
    orders = write_csv(
        tmp_path / "o.csv",
        "order_id,customer_id,ordered_at,amount,currency",
        "o1,NY,2025-01-31T23:30:00-05:00,10,USD",
        "o2,SH,2025-02-01T07:30:00+08:00,20,USD",
    )
    for kind, path in (("customers", people), ("orders", orders)):
        assert runner.invoke(app, ["ingest", kind, str(path)]).exit_code == 0


def test_period_edges_follow_utc_after_time_zone_conversion(
    environment: Settings, tmp_path: Path
) -> None:
    import_shop(tmp_path)

    result = CliRunner().invoke(
        app,
        [
            "metrics",
            "--from",
            "2025-01-01",
            "--to",
            "2025-02-28",
            "--basis",
            "orders",
            "--format",
            "json",
        ],
    )

    assert result.exit_code == 0, result.output
    january, february = json.loads(result.stdout)
    assert (january["orders"], january["revenue"]) == (1, 20.0)
    assert (february["orders"], february["revenue"]) == (1, 10.0)
    assert january["new_customers"] == 1 and february["new_customers"] == 1


def test_cli_exports_and_refuses_bad_input(environment: Settings, tmp_path: Path) -> None:
    import_shop(tmp_path)
    runner = CliRunner()
    export = tmp_path / "metrics.parquet"

    as_csv = runner.invoke(
        app,
        [
            "metrics",
            "--from",
            "2025-01-01",
            "--to",
            "2025-02-28",
            "--format",
            "csv",
            "--export",
            str(export),
        ],
    )
    reversed_range = runner.invoke(app, ["metrics", "--from", "2025-03-01", "--to", "2025-01-01"])
    unknown_cut = runner.invoke(app, ["metrics", "--by", "segment"])
    no_data = runner.invoke(app, ["metrics", "--from", "2010-01-01", "--to", "2010-03-01"])

    assert as_csv.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["customers_end"] for row in rows] == ["1", "2"]
    assert pd.read_parquet(export)["customers_end"].tolist() == [1, 2]
    assert (reversed_range.exit_code, unknown_cut.exit_code, no_data.exit_code) == (2, 2, 2)
    assert "is after" in reversed_range.output
    assert "unknown dimension 'segment'" in unknown_cut.output
    assert "no customers, orders or subscriptions" in no_data.output


def test_cohorts_command_prints_a_grid(environment: Settings, tmp_path: Path) -> None:
    import_shop(tmp_path)

    table = CliRunner().invoke(app, ["cohorts", "--from", "2025-01-01", "--to", "2025-02-28"])
    as_json = CliRunner().invoke(
        app, ["cohorts", "--from", "2025-01-01", "--to", "2025-02-28", "--format", "json"]
    )

    assert table.exit_code == 0 and "100%" in table.stdout
    cells = json.loads(as_json.stdout)
    assert [(c["period"], c["customers"]) for c in cells] == [(0, 1), (1, 0), (0, 1)]


def test_api_serves_metrics_and_cohorts(environment: Settings, tmp_path: Path) -> None:
    import_shop(tmp_path)
    client = signed_in_client(environment, "analyst")

    metrics = client.get(
        "/api/v1/metrics", params={"from": "2025-01-01", "to": "2025-02-28", "basis": "orders"}
    )
    cohorts = client.get("/api/v1/cohorts", params={"from": "2025-01-01", "to": "2025-02-28"})
    bad = client.get("/api/v1/metrics", params={"from": "2025-03-01", "to": "2025-01-01"})

    assert metrics.status_code == 200
    assert [row["orders"] for row in metrics.json()["items"]] == [1, 1]
    assert cohorts.status_code == 200 and cohorts.json()["items"][0]["cohort_size"] == 1
    assert bad.status_code == 422 and "is after" in bad.json()["detail"]
