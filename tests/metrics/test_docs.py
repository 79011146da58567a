"""The worked example in docs/metrics.md is what Retain computes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis

from retain.currency.money import Money
from retain.metrics import MetricsQuery, compute_metrics
from tests.metrics.scenarios import shop
from tests.metrics.warehouse_data import fill_canonical_tables

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
COLUMNS = {
    "S": "customers_start",
    "E": "customers_end",
    "N": "new_customers",
    "retained": "retained_customers",
    "lost": "lost_customers",
    "reactivated": "reactivated_customers",
    "CRR": "crr",
    "churn": "churn_rate",
    "revenue": "revenue",
    "net revenue": "net_revenue",
}


def documented_table() -> list[dict[str, str]]:
    lines = DOCS.read_text(encoding="utf-8").split("<!-- worked-example")[1].splitlines()[1:]
    table = lines[: next(i for i, line in enumerate(lines) if not line.strip())]
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    return [
        dict(zip(header, (cell.strip() for cell in row.strip("|").split("|")), strict=True))
        for row in table[2:]
    ]


def test_worked_example_in_the_docs_is_computed() -> None:
    backend = fill_canonical_tables(ibis.duckdb.connect(), shop())

    rows = compute_metrics(
        backend=backend,
        money=Money(rates={}),
        query=MetricsQuery(
            start=date(2025, 1, 1), end=date(2025, 4, 30), basis="orders", active_window_days=60
        ),
    )

    documented = documented_table()
    assert [doc["period"] for doc in documented] == [f"{r['period_start']:%Y-%m}" for r in rows]
    for doc, row in zip(documented, rows, strict=True):
        for label, key in COLUMNS.items():
            assert float(doc[label]) == round(float(row[key]), 6), (doc["period"], label)
