"""A small shop whose RFM scores and rule members can be worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from retain.churn.models import ChurnScore
from retain.lifetime.tables import CustomerPrediction
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.metrics.warehouse_data import fill_canonical_tables

AT = datetime(2026, 6, 1)
COUNTRIES = ["CN", "SG", "US", "CN", "DE", "SG", "CN", "GB", "FR", "CN", "JP"]
# Days from each customer's last order to AT: all different, so every rank is strict.
LAST_ORDER_GAP = [5, 200, 15, 300, 25, 100, 50, 400, 70, 35]
CHURN_RISK = {"C0": 0.9, "C1": 0.7, "C3": 0.5, "C5": 0.65, "C9": 0.61}
CLV = {"C0": 600.0, "C1": 400.0, "C5": 900.0, "C9": 501.0}


def shop_frames() -> dict[str, pd.DataFrame]:
    """C0-C9: Cn has n + 1 orders of one amount, 30 days apart; C10 never ordered.

    C0 also has a cancelled order and C1 an order after AT; neither counts.
    """
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{n}" for n in range(11)],
            "signup_at": datetime(2024, 1, 1),
            "country": COUNTRIES,
            "channel": ["email", "ads"] * 5 + ["email"],
            "language": ["en"] * 10 + ["中文"],
        }
    )
    rows = [
        (
            f"C{n}-{k}",
            f"C{n}",
            AT - timedelta(days=LAST_ORDER_GAP[n] + 30 * k),
            100 + 13 * ((n * 7) % 10),
            "USD",
            "paid",
        )
        for n in range(10)
        for k in range(n + 1)
    ]
    rows.append(("C0-x", "C0", AT - timedelta(days=1), 10_000, "USD", "cancelled"))
    rows.append(("C1-late", "C1", AT + timedelta(days=1), 10_000, "USD", "paid"))
    orders = pd.DataFrame(
        rows, columns=["order_id", "customer_id", "ordered_at", "amount", "currency", "status"]
    )
    return {"customer": customers, "order": orders}


def fill_shop(settings: Settings) -> None:
    """The shop in the warehouse and its churn scores and CLVs in the store."""
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        fill_canonical_tables(backend, shop_frames())
    finally:
        backend.disconnect()
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        for customer, risk in CHURN_RISK.items():
            session.add(
                ChurnScore(
                    customer_id=customer,
                    probability=risk,
                    horizon_days=90,
                    reasons=[],
                    scored_at=AT,
                )
            )
        for customer, clv in CLV.items():
            session.add(
                CustomerPrediction(
                    customer_id=customer,
                    model="bgnbd",
                    unit="days",
                    horizon=365,
                    probability_alive=0.5,
                    expected_purchases=1.0,
                    expected_spend=clv,
                    clv=clv,
                    predicted_at=AT,
                )
            )
