"""Exported CSV opens in a spreadsheet as data: a customer's text never runs as a formula."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from retain.output import OutputFormat, render
from retain.spreadsheets import safe_cell, safe_frame, write_rows

FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_cli_csv_neutralises_a_formula_from_a_contact_form(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    render([{"ticket": 7, "subject": text}], output_format=OutputFormat.csv)

    [row] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["subject"] == "'" + text
    assert row["ticket"] == "7"


def test_a_carriage_return_formula_is_neutralised_too() -> None:
    assert safe_cell("\r=1+1") == "'\r=1+1"


def test_numbers_and_plain_text_are_left_as_they_are() -> None:
    buffer = io.StringIO()
    write_rows(buffer, [{"amount": -5, "note": "a - b = c", "name": "Ann"}])

    [row] = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert row == {"amount": "-5", "note": "a - b = c", "name": "Ann"}


def test_a_frame_written_for_a_spreadsheet_has_safe_text_and_untouched_numbers() -> None:
    frame = pd.DataFrame({"customer_id": ["C1", "=cmd|' /C calc'!A0"], "score": [-0.5, 0.25]})

    safe = safe_frame(frame)

    assert safe["customer_id"].tolist() == ["C1", "'=cmd|' /C calc'!A0"]
    assert safe["score"].tolist() == [-0.5, 0.25]
    assert frame["customer_id"].tolist()[1].startswith("=")  # the caller's frame is unchanged
