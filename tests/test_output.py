"""retain.output: what every command prints, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from rich.console import Console

from retain.output import OutputFormat, render

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
