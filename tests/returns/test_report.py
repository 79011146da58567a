"""Return insight on a small warehouse whose answer is known by construction."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from retain.returns import report
from retain.settings import Settings
from retain.warehouse import connect

DAY0 = datetime(2025, 1, 1)


def _load(settings: Settings) -> None:
    """Four returners (one buys again in 20 days) and four look-alikes (three buy again)."""
    orders, lines, returns = [], [], []

    def buy(customer: str, day: int, amount: float, category: str = "shoes") -> str:
        order_id = f"{customer}-{day}"
        orders.append((order_id, customer, DAY0 + timedelta(days=day), amount, "EUR", "paid", 0.0))
        lines.append((order_id, 1, f"P-{category}", category, category, 1, amount, amount))
        return order_id

    for index in range(4):
        returned = buy(f"A{index}", 0, 100.0)
        returns.append((f"R{index}", returned, f"A{index}", DAY0 + timedelta(days=5), 100.0))
        buy(f"N{index}", 0, 100.0, "tea")
        if index == 0:
            buy(f"A{index}", 20, 100.0)
        if index < 3:
            buy(f"N{index}", 20, 100.0, "tea")
    for day in (0, 10, 20):  # a serial returner: three orders, three returns
        returned = buy("S", day, 10.0)
        returns.append((f"RS{day}", returned, "S", DAY0 + timedelta(days=day + 2), 10.0))
    buy("Z", 400, 5.0, "tea")  # the last order: 400 days of history
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        backend.insert("order", pd.DataFrame(orders, columns=list(backend.table("order").columns)))
        backend.insert(
            "order_line", pd.DataFrame(lines, columns=list(backend.table("order_line").columns))
        )
        frame = pd.DataFrame(
            returns, columns=["return_id", "order_id", "customer_id", "returned_at", "amount"]
        )
        frame["currency"], frame["reason"], frame["status"] = "EUR", "wrong_size", "refunded"
        backend.insert("return_event", frame)
    finally:
        backend.disconnect()


def test_rates_serial_returners_and_retention_against_look_alikes(settings: Settings) -> None:
    _load(settings)
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        categories = report.rate_by_line_field(backend, "category").to_pandas()
        customers = report.rate_by_customer(backend).to_pandas().set_index("customer_id")
        reasons = report.rate_by_reason(backend).to_pandas()
        rows = report.retention_after_return(backend)
    finally:
        backend.disconnect()
    shoes = categories.set_index("category").loc["shoes"]
    assert (shoes["orders"], shoes["returned_orders"]) == (8, 7)  # A0's second order was kept
    assert categories.set_index("category").loc["tea", "return_rate"] == 0
    assert bool(customers.loc["S", "serial"]) and not bool(customers.loc["A0", "serial"])
    assert reasons.iloc[0]["returns"] == 7 and reasons.iloc[0]["share"] == 1.0
    found = {(row["cut"], row["group"], row["days"], row["outcome"]): row for row in rows}
    overall = found[("all", "all", 30, "repurchased")]
    # S's first return sits in a stratum of its own spend; A0..A3 match N0..N3 exactly.
    assert overall["returners"] == 4 and overall["rate"] == pytest.approx(0.25)
    assert overall["expected"] == pytest.approx(0.75)
    assert overall["difference"] == pytest.approx(-0.5)
    assert overall["low"] < overall["difference"] < overall["high"]
    assert found[("processing", "unknown", 30, "repurchased")]["returners"] == 4


def test_processing_time_and_auto_approval_cut_the_returners(settings: Settings) -> None:
    _load(settings)
    details = report.processing_details(
        [
            (f"R{index}", DAY0, DAY0 + timedelta(days=2 + 4 * index), index % 2 == 0)
            for index in range(4)
        ]
    )
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        rows = report.retention_after_return(backend, details=details)
    finally:
        backend.disconnect()
    counts = {
        (row["cut"], row["group"]): row["returners"]
        for row in rows
        if row["days"] == 30 and row["outcome"] == "repurchased"
    }
    assert counts[("processing", "0-3d")] == 1 and counts[("processing", ">7d")] == 2
    assert counts[("auto_approved", "auto")] == 2 and counts[("auto_approved", "manual")] == 2
