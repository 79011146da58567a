"""Members against matched non-members: matching removes the gap due to past behaviour."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from retain.loyalty.report import compare_retention
from retain.warehouse import connect

ENROLLED = datetime(2025, 6, 1)
# (prefix, members?, customers, orders in the year before, how many of them order again)
GROUPS = [
    ("MA", True, 200, 2, 120),  # occasional buyers who joined: 60% come back
    ("NA", False, 1000, 2, 400),  # occasional buyers who did not: 40%
    ("MB", True, 200, 4, 180),  # keen buyers who joined: 90%
    ("NB", False, 200, 4, 140),  # keen buyers who did not: 70%
]


def _shop() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, datetime]]:
    """Keen buyers join more often; within each kind, members come back 20 points more often."""
    rows, ids, members = [], [], {}
    for prefix, member, count, before, returning in GROUPS:
        for number in range(count):
            customer = f"{prefix}{number}"
            ids.append(customer)
            if member:
                members[customer] = ENROLLED
            rows += [
                (customer, ENROLLED - timedelta(days=40 * k + 10), 30.0) for k in range(before)
            ]
            if number < returning:
                rows.append((customer, ENROLLED + timedelta(days=1 + number % 150), 30.0))
    orders = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    orders.insert(0, "order_id", [f"O{n}" for n in range(len(orders))])
    orders["currency"], orders["status"] = "USD", "paid"
    customers = pd.DataFrame({"customer_id": ids, "signup_at": ENROLLED - timedelta(days=400)})
    return customers, orders, members


def test_matching_on_past_behaviour_recovers_the_within_group_difference() -> None:
    customers, orders, members = _shop()
    backend = connect("duckdb://")
    try:
        backend.insert("customer", customers)
        backend.insert("order", orders)
        compared = compare_retention(backend=backend, members=members, window_days=180)
    finally:
        backend.disconnect()
    # Naively 75% against 45%; like for like the gap is 20 points in both groups.
    assert (compared.member_rate, compared.matched_rate, compared.difference) == (0.75, 0.55, 0.2)
    assert compared.matched_members == 400 and compared.comparison_customers == 1200
    assert compared.low is not None and compared.high is not None
    assert 0.1 < compared.low < 0.2 < compared.high < 0.3
    # Each return is one order of 30: spend follows the same 75% against 55%.
    assert (compared.member_spend, compared.matched_spend) == (22.5, 16.5)
    assert compared.spend_difference == 6.0
    assert compared.spend_low is not None and compared.spend_high is not None
    assert 3.0 < compared.spend_low < 6.0 < compared.spend_high < 9.0
