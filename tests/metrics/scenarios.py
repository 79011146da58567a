"""Small businesses whose metrics are worked out by hand in the tests (and in docs/metrics.md).

Periods are the calendar months January to April 2025: boundaries b0 = Jan 1, b1 = Feb 1,
b2 = Mar 1, b3 = Apr 1, b4 = May 1. The shop examples use an active window of 60 days.
"""

from __future__ import annotations

import pandas as pd


def frame(columns: str, *rows: tuple[object, ...]) -> pd.DataFrame:
    data = pd.DataFrame(list(rows), columns=columns.split())
    for column in data.columns:
        if column.endswith("_at"):
            data[column] = pd.to_datetime(data[column])
    return data


def shop() -> dict[str, pd.DataFrame]:
    """Five shoppers A-E; active at a boundary when they ordered in the 60 days up to it.

    A: Dec 15 (100), Feb 10 (50)         active at b0 b1 b2 b3
    B: Nov 20 (30)                       active at b0
    C: Jan 20 (40), Apr 25 (60)          active at b1 b2 b4 (lapses at b3, comes back)
    D: Dec 31 23:59:59 (20), Mar 1 00:00 (80, exactly on b2)   active at b0 b1 b2 b3
    E: Feb 1 00:00 (10, exactly on b1, so in January), returns 10 on Feb 5   active b1 b2 b3
    """
    customers = frame(
        "customer_id signup_at country channel",
        ("A", "2024-12-15", "CN", "organic"),
        ("B", "2024-11-20", "US", "organic"),
        ("C", "2025-01-20", "CN", "paid_search"),
        ("D", "2024-12-31", "US", "referral"),
        ("E", "2025-02-01", "CN", "organic"),
    )
    orders = frame(
        "order_id customer_id ordered_at amount currency status",
        ("o1", "A", "2024-12-15 10:00:00", 100.0, "USD", "paid"),
        ("o2", "A", "2025-02-10 10:00:00", 50.0, "USD", "paid"),
        ("o3", "B", "2024-11-20 10:00:00", 30.0, "USD", "paid"),
        ("o4", "C", "2025-01-20 10:00:00", 40.0, "USD", "paid"),
        ("o5", "C", "2025-04-25 10:00:00", 60.0, "USD", "paid"),
        ("o6", "D", "2024-12-31 23:59:59", 20.0, "USD", "paid"),
        ("o7", "D", "2025-03-01 00:00:00", 80.0, "USD", "paid"),
        ("o8", "E", "2025-02-01 00:00:00", 10.0, "USD", "refunded"),
        ("o9", "E", "2025-03-15 00:00:00", 999.0, "USD", "cancelled"),
    )
    returns = frame(
        "return_id order_id customer_id returned_at amount currency reason status",
        ("r1", "o8", "E", "2025-02-05 12:00:00", 10.0, "USD", "damaged", "refunded"),
    )
    surveys = frame(
        "response_id customer_id kind score answered_at",
        ("s1", "A", "NPS", 10, "2025-01-05"),
        ("s2", "B", "NPS", 9, "2025-01-06"),
        ("s3", "C", "NPS", 7, "2025-01-07"),
        ("s4", "D", "NPS", 3, "2025-01-08"),
        ("s5", "A", "CSAT", 5, "2025-01-09"),
        ("s6", "C", "CSAT", 4, "2025-01-10"),
        ("s7", "D", "CSAT", 2, "2025-01-11"),
    )
    return {
        "customer": customers,
        "order": orders,
        "return_event": returns,
        "survey_response": surveys,
    }


def subscriptions() -> dict[str, pd.DataFrame]:
    """Three subscribers F-H.

    F: new Jan 10 (100), expansion Feb 15 (150), churn Mar 20 09:00, back Mar 20 15:00 (120)
    G: new Dec 1 (50), contraction Jan 15 (30), churn Feb 28 (0)
    H: new Nov 1 (200), stays
    MRR at b0..b4: 250, 330, 350, 320, 320.
    """
    customers = frame(
        "customer_id signup_at country",
        ("F", "2025-01-10", "CN"),
        ("G", "2024-12-01", "US"),
        ("H", "2024-11-01", "US"),
    )
    changes = frame(
        "change_id customer_id changed_at plan mrr_before mrr_after currency kind",
        ("c1", "F", "2025-01-10 00:00:00", "pro", 0.0, 100.0, "USD", "new"),
        ("c2", "F", "2025-02-15 00:00:00", "team", 100.0, 150.0, "USD", "expansion"),
        ("c3", "F", "2025-03-20 09:00:00", "team", 150.0, 0.0, "USD", "churn"),
        ("c4", "F", "2025-03-20 15:00:00", "pro", 0.0, 120.0, "USD", "reactivation"),
        ("c5", "G", "2024-12-01 00:00:00", "basic", 0.0, 50.0, "USD", "new"),
        ("c6", "G", "2025-01-15 00:00:00", "basic", 50.0, 30.0, "USD", "contraction"),
        ("c7", "G", "2025-02-28 00:00:00", "basic", 30.0, 0.0, "USD", "churn"),
        ("c8", "H", "2024-11-01 00:00:00", "team", 0.0, 200.0, "USD", "new"),
    )
    return {"customer": customers, "subscription_change": changes}
