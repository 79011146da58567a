"""Importing files: typed values, time zones, idempotence and all-or-nothing on both backends."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from retain.customers.models import CustomerProfile
from retain.ingest.models import ImportRun
from retain.ingest.service import IngestError, ingest_file
from retain.settings import Settings
from retain.store import session_scope
from tests.helpers import warehouse_count, warehouse_rows, write_csv

CUSTOMERS = (
    "customer_id,signup_at,country,name,email,vip_level",
    "C1,2025-01-01 10:00:00,CN,王芳,fang@example.com,gold",
    "C2,2025-01-02T10:00:00-05:00,US,Emma Stone,emma@example.com,",
)
ORDERS = (
    "order_id,customer_id,ordered_at,amount,currency",
    "O1,C1,2025-02-01 10:00,10.50,CNY",
    "O2,C2,2025-02-02,20,USD",
)


@pytest.fixture
def customers_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "customers.csv", *CUSTOMERS)


@pytest.fixture
def orders_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "orders.csv", *ORDERS)


def test_customers_land_typed_in_warehouse_and_profiles_in_store(
    settings: Settings, customers_file: Path
) -> None:
    result = ingest_file(
        kind="customers", path=customers_file, settings=settings, timezone="Asia/Shanghai"
    )

    assert (result.rows_read, result.rows_inserted, result.rows_unchanged) == (2, 2, 0)
    first, second = warehouse_rows(settings, "customer", "customer_id")
    assert first["signup_at"] == datetime(2025, 1, 1, 2, 0)  # 10:00 in Shanghai is 02:00 UTC
    assert second["signup_at"] == datetime(2025, 1, 2, 15, 0)  # the offset wins over --timezone
    assert json.loads(first["attributes"]) == {"vip_level": "gold"}
    assert "name" not in first and "email" not in first  # personal data stays in the store
    with session_scope(settings.storage.store_url) as session:
        profile = session.get(CustomerProfile, "C1")
        assert profile is not None
        assert (profile.name, profile.email, profile.country) == ("王芳", "fang@example.com", "CN")


def test_orders_keep_decimal_amounts_and_default_status(
    settings: Settings, customers_file: Path, orders_file: Path
) -> None:
    ingest_file(kind="customers", path=customers_file, settings=settings)
    ingest_file(kind="orders", path=orders_file, settings=settings)

    rows = warehouse_rows(settings, "order", "order_id")
    assert [(row["order_id"], Decimal(row["amount"]), row["status"]) for row in rows] == [
        ("O1", Decimal("10.50"), "paid"),
        ("O2", Decimal("20.00"), "paid"),
    ]
    assert rows[1]["ordered_at"] == datetime(2025, 2, 2)


def test_reimport_changes_nothing_and_is_recorded(
    settings: Settings, customers_file: Path, orders_file: Path
) -> None:
    ingest_file(kind="customers", path=customers_file, settings=settings)
    ingest_file(kind="orders", path=orders_file, settings=settings)
    again = ingest_file(kind="orders", path=orders_file, settings=settings)

    assert (again.rows_inserted, again.rows_unchanged) == (0, 2)
    assert warehouse_count(settings, "order") == 2
    with session_scope(settings.storage.store_url) as session:
        runs = session.query(ImportRun).order_by(ImportRun.id).all()
        assert [(run.kind, run.rows_inserted) for run in runs] == [
            ("customers", 2),
            ("orders", 2),
            ("orders", 0),
        ]


def test_overlapping_export_adds_only_new_rows(
    settings: Settings, customers_file: Path, orders_file: Path, tmp_path: Path
) -> None:
    ingest_file(kind="customers", path=customers_file, settings=settings)
    ingest_file(kind="orders", path=orders_file, settings=settings)
    later = write_csv(tmp_path / "later.csv", *ORDERS, "O3,C1,2025-03-01,5,CNY")

    result = ingest_file(kind="orders", path=later, settings=settings)

    assert (result.rows_inserted, result.rows_unchanged) == (1, 2)
    assert warehouse_count(settings, "order") == 3


def test_identical_rows_within_a_file_are_imported_once(
    settings: Settings, customers_file: Path, tmp_path: Path
) -> None:
    ingest_file(kind="customers", path=customers_file, settings=settings)
    repeated = write_csv(tmp_path / "orders.csv", *ORDERS, ORDERS[1])

    result = ingest_file(kind="orders", path=repeated, settings=settings)

    assert (result.rows_read, result.rows_inserted) == (3, 2)


def test_failed_import_leaves_store_and_warehouse_untouched(
    settings: Settings, customers_file: Path, tmp_path: Path
) -> None:
    ingest_file(kind="customers", path=customers_file, settings=settings)
    changed = write_csv(
        tmp_path / "changed.csv",
        CUSTOMERS[0],
        "C3,2025-03-01,SG,Tan Wei,tan@example.com,",
        "C1,2024-12-31 10:00:00,CN,王芳,fang@example.com,gold",
    )

    with pytest.raises(IngestError) as raised:
        ingest_file(kind="customers", path=changed, settings=settings)

    [problem] = raised.value.problems
    assert (problem.row, problem.column) == (3, "signup_at")
    assert "already imported with a different value" in problem.reason
    assert warehouse_count(settings, "customer") == 2
    with session_scope(settings.storage.store_url) as session:
        assert session.get(CustomerProfile, "C3") is None


def test_usage_events_without_ids_get_stable_ids(
    settings: Settings, customers_file: Path, tmp_path: Path
) -> None:
    ingest_file(kind="customers", path=customers_file, settings=settings)
    events = write_csv(
        tmp_path / "usage.csv",
        "customer_id,occurred_at,name,quantity",
        "C1,2025-02-01 10:00,login,1",
        "C1,2025-02-01 10:00,login,1",
        "C2,2025-02-01 11:00,export,3",
    )

    first = ingest_file(kind="usage-events", path=events, settings=settings)
    second = ingest_file(kind="usage-events", path=events, settings=settings)

    # Two identical events in one file are two events; the same file again adds none.
    assert first.rows_inserted == 3
    assert (second.rows_inserted, second.rows_unchanged) == (0, 3)
    ids = [row["event_id"] for row in warehouse_rows(settings, "usage_event", "event_id")]
    assert len(set(ids)) == 3


def test_parquet_and_json_lines_read_like_csv(
    settings: Settings, customers_file: Path, tmp_path: Path
) -> None:
    ingest_file(kind="customers", path=customers_file, settings=settings)
    frame = pd.DataFrame(
        {
            "order_id": ["P1", "J1"],
            "customer_id": ["C1", "C2"],
            "ordered_at": pd.to_datetime(["2025-04-01 08:00", "2025-04-02 09:30"]),
            "amount": [12.5, 7.25],
            "currency": ["CNY", "USD"],
        }
    )
    frame.iloc[:1].to_parquet(tmp_path / "orders.parquet")
    frame.iloc[1:].to_json(
        tmp_path / "orders.jsonl", orient="records", lines=True, date_format="iso"
    )

    ingest_file(kind="orders", path=tmp_path / "orders.parquet", settings=settings)
    ingest_file(kind="orders", path=tmp_path / "orders.jsonl", settings=settings)

    rows = warehouse_rows(settings, "order", "order_id")
    assert [(r["order_id"], r["ordered_at"], Decimal(r["amount"])) for r in rows] == [
        ("J1", datetime(2025, 4, 2, 9, 30), Decimal("7.25")),
        ("P1", datetime(2025, 4, 1, 8, 0), Decimal("12.50")),
    ]


def test_mapping_file_renames_columns_and_sets_formats_zone_and_defaults(
    settings: Settings, customers_file: Path, tmp_path: Path
) -> None:
    ingest_file(kind="customers", path=customers_file, settings=settings)
    export = write_csv(
        tmp_path / "shop_export.csv",
        "Order No,Buyer,Paid On,Total",
        "SO-1,C1,03/04/2025 21:15,99.9",
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  order_id: Order No\n  customer_id: Buyer\n  ordered_at: Paid On\n"
        "  amount: Total\nformats:\n  ordered_at: '%d/%m/%Y %H:%M'\n"
        "timezone: Asia/Shanghai\ndefaults:\n  currency: CNY\n",
        encoding="utf-8",
    )

    ingest_file(kind="orders", path=export, mapping_path=mapping, settings=settings)

    [row] = warehouse_rows(settings, "order", "order_id")
    assert (row["order_id"], row["currency"]) == ("SO-1", "CNY")
    assert row["ordered_at"] == datetime(2025, 4, 3, 13, 15)  # 21:15 Shanghai, day-first


def test_naive_times_follow_daylight_saving_of_their_zone(
    settings: Settings, tmp_path: Path
) -> None:
    people = write_csv(
        tmp_path / "c.csv", "customer_id,signup_at", "W,2025-01-15 12:00", "S,2025-07-15 12:00"
    )

    ingest_file(kind="customers", path=people, settings=settings, timezone="America/New_York")

    rows = {
        r["customer_id"]: r["signup_at"]
        for r in warehouse_rows(settings, "customer", "customer_id")
    }
    assert rows == {"W": datetime(2025, 1, 15, 17), "S": datetime(2025, 7, 15, 16)}


def test_gb18030_export_reads_with_its_encoding(settings: Settings, tmp_path: Path) -> None:
    people = write_csv(
        tmp_path / "c.csv", "customer_id,signup_at,name", "C9,2025-01-01,李伟", encoding="gb18030"
    )

    ingest_file(kind="customers", path=people, settings=settings, encoding="gb18030")

    with session_scope(settings.storage.store_url) as session:
        profile = session.get(CustomerProfile, "C9")
        assert profile is not None and profile.name == "李伟"
