"""CSV that a spreadsheet opens as data: no cell runs as a formula (CSV injection).

Text from customers (a contact form, a review) ends up in exported CSV files; a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and LibreOffice.
Such text cells get a leading apostrophe, which spreadsheets show as text (OWASP's advice).
Numbers stay numbers: ``-5`` as an int is data, ``"-5"`` as text from a form is not trusted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with an apostrophe before text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(
    target: TextIO, rows: Iterable[Mapping[str, Any]], *, lineterminator: str = "\r\n"
) -> None:
    """Rows as CSV with a header from the first row's keys, every text cell made safe."""
    rows = list(rows)
    if not rows:
        return
    writer = csv.DictWriter(target, fieldnames=list(rows[0]), lineterminator=lineterminator)
    writer.writeheader()
    writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are safe to open in a spreadsheet."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    return frame.assign(**{str(name): frame[name].map(safe_cell) for name in text})
