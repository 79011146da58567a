"""retain.output: what every command prints, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import typer
from rich.console import Console
from sqlalchemy import select

from retain.currency.models import ExchangeRate
from retain.output import OutputFormat, command_session, command_warehouse, render
from retain.settings import Settings

NAN = float("nan")
# Two customers as `retain health` gives them: the second answered no survey, so no NPS.
HEALTH = [
    {"customer_id": "C1", "score": 59.5, "nps": 80.0, "payment": 100.0},
    {"customer_id": "C2", "score": 61.25, "nps": NAN, "payment": 85.0},
]


def table_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The rendered table as a file or pipe receives it."""
    piped = io.StringIO()
    render(rows, output_format=OutputFormat.table, console=Console(file=piped))
    return piped.getvalue().splitlines()


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip("│┃ ").split("│")]


def test_a_table_shows_a_missing_value_as_an_empty_cell() -> None:
    lines = table_lines(HEALTH)
    second = next(cells(line) for line in lines if "C2" in line)
    assert second == ["C2", "61.25", "", "85.00"]
    assert not any("nan" in line.lower() for line in lines)


def test_a_table_column_has_one_precision() -> None:
    rows = [cells(line) for line in table_lines(HEALTH) if "C1" in line or "C2" in line]
    # 100 and 85 as 100.00 and 85.00; 80 as 80.00 like the rest of its column.
    assert [row[3] for row in rows] == ["100.00", "85.00"]
    assert rows[0][2] == "80.00"
    shares = table_lines([{"k": "a", "v": 0.5}, {"k": "b", "v": 0.25}])
    assert [cells(line)[1] for line in shares if cells(line)[0] in ("a", "b")] == [
        "0.5000",
        "0.2500",
    ]


def test_a_piped_table_keeps_long_cells_whole() -> None:
    reason = "no product usage for 52 days; last NPS score 5; " * 4
    lines = table_lines([{"customer_id": "C1", "reasons": reason.strip()}])
    # Rich would fit the table into 80 columns and wrap the cell over many lines.
    assert any(reason.strip() in line for line in lines)
    assert max(len(line) for line in lines) > 80


def test_json_writes_a_missing_value_as_null(capsys: pytest.CaptureFixture[str]) -> None:
    render([{"report": "health", "rows": HEALTH}], output_format=OutputFormat.json)

    def refuse(constant: str) -> float:
        raise AssertionError(f"{constant} is not JSON")

    [report] = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert [row["nps"] for row in report["rows"]] == [80.0, None]


def test_csv_writes_a_missing_value_as_an_empty_field(capsys: pytest.CaptureFixture[str]) -> None:
    render(HEALTH, output_format=OutputFormat.csv)
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["nps"] for row in rows] == ["80.0", ""]


MOMENT = datetime(2026, 1, 1)


class Refused(Exception):
    """A domain error a command turns into exit code 2."""


def test_a_command_warehouse_is_closed_and_refused_errors_exit_with_code_2(
    environment: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with command_warehouse() as backend:
        opened = backend
        backend.raw_sql("SELECT 1")
    with pytest.raises(typer.Exit) as ended, command_warehouse(Refused):
        raise Refused("no such thing")
    assert ended.value.exit_code == 2
    assert capsys.readouterr().err == "error: no such thing\n"
    with pytest.raises(Exception):  # noqa: B017 - any error: the connection is closed
        opened.raw_sql("SELECT 1")


def test_a_command_session_commits_and_refused_errors_exit_with_code_2(
    environment: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with command_session() as session:
        session.add(ExchangeRate(currency="CNY", rate=Decimal("0.14"), updated_at=MOMENT))
    with pytest.raises(typer.Exit) as ended, command_session(Refused) as session:
        session.add(ExchangeRate(currency="EUR", rate=Decimal("1.1"), updated_at=MOMENT))
        raise Refused("no such rate")
    assert ended.value.exit_code == 2
    assert capsys.readouterr().err == "error: no such rate\n"
    with command_session() as session:
        assert [rate.currency for rate in session.scalars(select(ExchangeRate))] == ["CNY"]
