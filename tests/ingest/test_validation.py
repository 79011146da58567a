"""Bad input: every problem kind is named by file, row and column, and nothing is imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from retain.cli import app
from retain.ingest.problems import Problem
from retain.ingest.service import IngestError, ingest_file
from retain.settings import Settings
from tests.helpers import warehouse_count, write_csv

HEADER = "order_id,customer_id,ordered_at,amount,currency"


@pytest.fixture
def known_customers(settings: Settings, tmp_path: Path) -> Settings:
    people = write_csv(
        tmp_path / "customers.csv", "customer_id,signup_at", "C1,2025-01-01", "C2,2025-01-01"
    )
    ingest_file(kind="customers", path=people, settings=settings)
    return settings


def problems_of(settings: Settings, path: Path, kind: str = "orders") -> list[Problem]:
    with pytest.raises(IngestError) as raised:
        ingest_file(kind=kind, path=path, settings=settings)
    assert warehouse_count(settings, "order") == 0
    return raised.value.problems


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("O1,C1,31/02/2025,10,CNY", "ordered_at", "cannot read this as a date or time"),
        ("O1,C1,2025-02-01,-5,CNY", "amount", "must not be negative"),
        ("O1,C1,2025-02-01,ten,CNY", "amount", "cannot read this as an amount"),
        ("O1,C1,2025-02-01,10,yuan", "currency", "does not look like a currency"),
        ("O1,,2025-02-01,10,CNY", "customer_id", "missing value"),
        ("O1,C404,2025-02-01,10,CNY", "customer_id", "unknown customer"),
    ],
)
def test_each_bad_value_is_located(
    known_customers: Settings, tmp_path: Path, row: str, column: str, reason: str
) -> None:
    path = write_csv(tmp_path / "orders.csv", HEADER, "O0,C2,2025-01-05,1,CNY", row)

    [problem] = problems_of(known_customers, path)

    assert (problem.file, problem.row, problem.column) == (str(path), 3, column)
    assert reason in problem.reason


def test_missing_column_lists_what_the_file_has(known_customers: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", "order_id,customer_id,amount", "O1,C1,10")

    [problem] = problems_of(known_customers, path)

    assert problem.row is None and problem.column == "ordered_at"
    assert "missing column 'ordered_at'" in problem.reason
    assert "order_id, customer_id, amount" in problem.reason


def test_same_id_with_different_content_in_one_file(
    known_customers: Settings, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        HEADER,
        "O1,C1,2025-02-01,10,CNY",
        "O2,C1,2025-02-01,10,CNY",
        "O1,C1,2025-02-01,12,CNY",
    )

    [problem] = problems_of(known_customers, path)

    assert (problem.row, problem.column, problem.value) == (4, "order_id", "O1")
    assert "same order_id as row 2 but different content" in problem.reason


def test_wrong_encoding_names_the_line_and_suggests_a_fix(
    known_customers: Settings, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        HEADER,
        "O1,C1,2025-02-01,10,CNY",
        "O2,C1,2025-02-01,10,人民币",
        encoding="gb18030",
    )

    [problem] = problems_of(known_customers, path)

    assert problem.row == 3
    assert "not valid utf-8" in problem.reason and "--encoding" in problem.reason


def test_subscription_change_kind_must_match_its_mrr(
    known_customers: Settings, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "subs.csv",
        "customer_id,changed_at,mrr_before,mrr_after,kind",
        "C1,2025-01-01,0,50,new",
        "C1,2025-02-01,50,30,expansion",
    )

    [problem] = problems_of(known_customers, path, kind="subscription-changes")

    assert (problem.row, problem.column) == (3, "kind")
    assert "an expansion raises the MRR" in problem.reason


def test_reports_at_most_the_limit_but_counts_all(
    known_customers: Settings, tmp_path: Path
) -> None:
    rows = [f"O{i},C1,2025-02-01,-{i},CNY" for i in range(1, 81)]
    path = write_csv(tmp_path / "orders.csv", HEADER, *rows)

    with pytest.raises(IngestError) as raised:
        ingest_file(kind="orders", path=path, settings=known_customers)

    assert len(raised.value.problems) == 50
    assert raised.value.total == 80
    assert [p.row for p in raised.value.problems] == list(range(2, 52))


def test_cli_exits_2_and_prints_each_problem(environment: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", HEADER, "O1,C1,yesterday,10,CNY")

    result = CliRunner().invoke(app, ["ingest", "orders", str(path)])

    assert result.exit_code == 2
    assert f"{path}, row 2, column 'ordered_at': cannot read this as a date or time" in (
        result.output.replace("\n", "")
    )


def test_cli_rejects_unknown_kind_and_time_zone(environment: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", HEADER)
    runner = CliRunner()

    unknown_kind = runner.invoke(app, ["ingest", "invoices", str(path)])
    unknown_zone = runner.invoke(app, ["ingest", "orders", str(path), "--timezone", "Mars/Base"])

    assert unknown_kind.exit_code == 2 and "unknown import kind 'invoices'" in unknown_kind.output
    assert unknown_zone.exit_code == 2 and "unknown time zone 'Mars/Base'" in unknown_zone.output
