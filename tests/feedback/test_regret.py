"""Product regret on a small shop imported through the real import path, on each backend."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from retain.feedback import regret, reviews, service
from retain.feedback.aspects import load_aspects
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.engage.shop import customers, import_frame, orders
from tests.feedback.helpers import rated_rows

START = datetime(2026, 1, 5)
AT = START + timedelta(days=200)
COUNT = 40
RETURNED_EVERY = 3  # every third buyer of A sends the order back


def _shop(settings: Settings, folder: Path) -> dict[str, int]:
    """Even customers first buy A and never return; odd ones first buy B, then C a month later."""
    import_frame(settings, "customers", customers(COUNT), folder)
    rows, lines = [], []
    for number in range(COUNT):
        customer = f"C{number:03d}"
        first = (f"O{number}a", customer, START + timedelta(hours=number), 30.0)
        rows.append(first)
        lines.append((first[0], "A" if number % 2 == 0 else "B", "x"))
        if number % 2:
            second = (f"O{number}b", customer, START + timedelta(days=30, hours=number), 20.0)
            rows.append(second)
            lines.append((second[0], "C", "y"))
    import_frame(settings, "orders", orders(rows), folder)
    line_frame = pd.DataFrame(lines, columns=["order_id", "product_id", "category"])
    line_frame = line_frame.assign(line_number=1, quantity=1, unit_price=10.0, amount=10.0)
    import_frame(settings, "order-lines", line_frame, folder)
    returned = [f"O{n}a" for n in range(0, COUNT, 2) if (n // 2) % RETURNED_EVERY == 0]
    returns = pd.DataFrame(
        {
            "return_id": [f"R{o}" for o in returned],
            "order_id": returned,
            "customer_id": [f"C{int(o[1:-1]):03d}" for o in returned],
            "returned_at": (START + timedelta(days=5)).strftime("%Y-%m-%d %H:%M:%S"),
            "amount": 30.0,
            "currency": "USD",
        }
    )
    import_frame(settings, "return-events", returns, folder)
    return {"a_orders": COUNT // 2, "a_returned": len(returned)}


def _reviews(settings: Settings, folder: Path) -> None:
    """1-star reviews of A, 5-star reviews of B, analysed and copied to the warehouse."""
    rows = rated_rows(60)
    for row in rows:
        row["product"] = "B" if row["rating"] == 5 else "A"
    path = folder / "reviews.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows))
    with session_scope(settings.storage.store_url) as session:
        reviews.import_file(session=session, kind="review", path=path)
        service.analyze(session=session, data_dir=settings.storage.data_dir, aspects=load_aspects())
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            service.export_items(session=session, backend=backend)
    finally:
        backend.disconnect()


@pytest.fixture
def shop(settings: Settings, tmp_path: Path) -> tuple[Settings, dict[str, int]]:
    ensure_store(settings.storage.store_url)
    counts = _shop(settings, tmp_path)
    _reviews(settings, tmp_path)
    return settings, counts


def test_products_are_ranked_by_regret_with_evidence(
    shop: tuple[Settings, dict[str, int]],
) -> None:
    settings, counts = shop
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        ranked = regret.rank_regret(backend, at=AT, min_orders=1)
        by_category = regret.rank_regret(backend, at=AT, by="category", min_orders=1)
    finally:
        backend.disconnect()
    assert ranked["key"].tolist() == ["A", "C", "B"]
    a, c, b = (ranked.iloc[i] for i in range(3))
    assert a["return_rate"] == pytest.approx(counts["a_returned"] / counts["a_orders"])
    assert (a["negative_share"], a["repeat_rate"], a["churn_90d"]) == (1.0, 0.0, 1.0)
    assert a["reviews"] == 30 and a["first_buyers"] == COUNT // 2
    assert (b["return_rate"], b["negative_share"], b["repeat_rate"], b["churn_90d"]) == (
        0.0,
        0.0,
        1.0,
        0.0,
    )
    assert pd.isna(c["negative_share"]) and pd.isna(c["repeat_rate"]) and c["churn_90d"] == 1.0
    expected_a = (a["return_rate"] + 1 + 1 + 1) / 4
    assert a["regret"] == pytest.approx(expected_a, abs=1e-4)
    assert "quality" in a["top_negative_aspects"] or "delivery" in a["top_negative_aspects"]
    x = by_category[by_category["key"] == "x"].iloc[0]
    assert x["orders"] == COUNT and x["reviews"] == 60
    assert x["return_rate"] == pytest.approx(counts["a_returned"] / COUNT)


def test_min_orders_leaves_small_products_out(shop: tuple[Settings, dict[str, int]]) -> None:
    settings, _ = shop
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        ranked = regret.rank_regret(backend, at=AT, min_orders=COUNT // 2 + 1)
    finally:
        backend.disconnect()
    assert ranked.empty
