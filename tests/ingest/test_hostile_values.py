"""Values that read but would break a later command are refused, located, before anything lands."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from retain.ingest.service import IngestError, ingest_file
from retain.settings import Settings
from tests.helpers import warehouse_count, warehouse_rows, write_csv

ORDER_HEADER = "order_id,customer_id,ordered_at,amount,currency"


@pytest.fixture
def known_customer(settings: Settings, tmp_path: Path) -> Settings:
    people = write_csv(tmp_path / "customers.csv", "customer_id,signup_at", "C1,2025-01-01")
    ingest_file(kind="customers", path=people, settings=settings)
    return settings


def refused(settings: Settings, path: Path, kind: str, table: str) -> tuple[int | None, str, str]:
    with pytest.raises(IngestError) as raised:
        ingest_file(kind=kind, path=path, settings=settings)
    assert warehouse_count(settings, table) == 0
    [problem] = raised.value.problems
    return problem.row, problem.column or "", problem.reason


@pytest.mark.parametrize(
    ("cell", "column", "reason"),
    [
        ("O1,C1,infinity,10,CNY", "ordered_at", "cannot read this as a date or time"),
        ("O1,C1,-infinity,10,CNY", "ordered_at", "cannot read this as a date or time"),
        ("O1,C1,epoch,10,CNY", "ordered_at", "cannot read this as a date or time"),
        ("O1,C1,9999-12-31 23:59:59,10,CNY", "ordered_at", "between the years 1900 and 2200"),
        ("O1,C1,0001-01-01,10,CNY", "ordered_at", "between the years 1900 and 2200"),
        ("O1,C1,2025-03-02T10:00:00+99:00,10,CNY", "ordered_at", "at most ±14:00"),
        ("O1,C1,2025-03-02,10.005,CNY", "amount", "more than 2 decimal places"),
        ("O1,C1,2025-03-02,100.5,JPY", "amount", "no minor units"),
        ("O1,C1\x00x,2025-03-02,10,CNY", "customer_id", "contains a NUL"),
    ],
)
def test_an_order_value_that_would_break_later_commands_is_refused(
    known_customer: Settings, tmp_path: Path, cell: str, column: str, reason: str
) -> None:
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, "O0,C1,2025-01-05,1,CNY", cell)

    row, found_column, found_reason = refused(known_customer, path, "orders", "order")

    assert (row, found_column) == (3, column)
    assert reason in found_reason


def test_whole_yen_and_two_decimal_yuan_are_accepted(
    known_customer: Settings, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        ORDER_HEADER,
        "O1,C1,2025-03-02,100,JPY",
        "O2,C1,2025-03-02,9.99,CNY",
    )

    assert ingest_file(kind="orders", path=path, settings=known_customer).rows_inserted == 2


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("NaN", "cannot read this as a number"), ("inf", "cannot read"), ("1e999", "finite number")],
)
def test_a_usage_quantity_must_be_finite(
    known_customer: Settings, tmp_path: Path, cell: str, reason: str
) -> None:
    path = write_csv(
        tmp_path / "usage.csv",
        "customer_id,occurred_at,name,quantity",
        f"C1,2025-03-02,login,{cell}",
    )

    row, column, found = refused(known_customer, path, "usage-events", "usage_event")

    assert (row, column) == (2, "quantity")
    assert reason in found


def test_an_nps_score_must_be_whole(known_customer: Settings, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "nps.csv", "customer_id,kind,score,answered_at", "C1,NPS,9.5,2025-03-02"
    )

    row, column, found = refused(known_customer, path, "survey-responses", "survey_response")

    assert (row, column) == (2, "score")
    assert "whole number" in found


def test_a_date_alone_is_read_in_the_given_time_zone(settings: Settings, tmp_path: Path) -> None:
    people = write_csv(
        tmp_path / "customers.csv",
        "customer_id,signup_at",
        "C1,2025-03-02",
        "C2,2025-03-02 00:00:00",
        "C3,2025-03-02T00:00:00-02:00",
    )

    ingest_file(kind="customers", path=people, settings=settings, timezone="Asia/Shanghai")

    signups = [row["signup_at"] for row in warehouse_rows(settings, "customer", "customer_id")]
    assert signups == [datetime(2025, 3, 1, 16), datetime(2025, 3, 1, 16), datetime(2025, 3, 2, 2)]


def test_a_quoted_field_first_seen_late_in_the_file_is_read(
    settings: Settings, tmp_path: Path
) -> None:
    rows = [f"C{number},2025-01-01,plain" for number in range(40_000)]
    path = write_csv(
        tmp_path / "customers.csv",
        "customer_id,signup_at,note",
        *rows,
        'C40000,2025-01-01,"quoted, with a comma"',
    )

    assert ingest_file(kind="customers", path=path, settings=settings).rows_inserted == 40_001


def test_an_unclosed_quote_is_a_located_problem(settings: Settings, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        "customer_id,signup_at,name",
        'C1,2025-01-01,"Bob',
        "C2,2025-01-01,Ann",
    )

    row, _, reason = refused(settings, path, "customers", "customer")

    assert row == 2
    assert "quote" in reason


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("customer_id,signup_at,Customer_ID", "names this column twice"),
        ("customer_id,signup_at," + ",".join(f"c{n}" for n in range(10_000)), "10,002 columns"),
    ],
)
def test_an_unusable_header_is_refused_at_line_one(
    settings: Settings, tmp_path: Path, header: str, reason: str
) -> None:
    path = write_csv(tmp_path / "customers.csv", header, "C1,2025-01-01,x")

    row, _, found = refused(settings, path, "customers", "customer")

    assert row == 1
    assert reason in found


def test_a_semicolon_separated_export_is_read(settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "customers.csv", "customer_id;signup_at", "C1;2025-01-01")

    assert ingest_file(kind="customers", path=path, settings=settings).rows_inserted == 1
