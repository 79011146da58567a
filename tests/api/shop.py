"""A small business sent through the event intake, as a shop integration would send it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 20, 12, 0, 0)


def shop_batch(customers: int = 6) -> dict[str, list[dict[str, Any]]]:
    """Customers with orders, a subscription, usage, a survey answer, a ticket and a return."""
    batch: dict[str, list[dict[str, Any]]] = {
        "customers": [],
        "orders": [],
        "subscription_changes": [],
        "usage_events": [],
        "survey_responses": [],
        "ticket_events": [],
        "return_events": [],
    }
    for number in range(customers):
        customer = f"S{number:03d}"
        signup = NOW - timedelta(days=400 - 30 * number)
        batch["customers"].append(
            {
                "customer_id": customer,
                "signup_at": signup.isoformat(),
                "country": "CN" if number % 2 else "US",
                "language": "zh-CN" if number % 2 else "en",
                "name": f"客户 {number}" if number % 2 else f"Customer {number}",
                "email": f"c{number}@example.com",
                "loyalty_tier": "gold",
            }
        )
        for k in range(number + 1):
            batch["orders"].append(
                {
                    "order_id": f"{customer}-O{k}",
                    "customer_id": customer,
                    "ordered_at": (signup + timedelta(days=20 * k)).isoformat(),
                    "amount": 10 + number + k,
                    "currency": "USD",
                    "status": "paid",
                }
            )
        for week in range(number):
            batch["usage_events"].append(
                {
                    "event_id": f"{customer}-U{week}",
                    "customer_id": customer,
                    "occurred_at": (NOW - timedelta(weeks=week)).isoformat(),
                    "name": "login",
                    "quantity": 1,
                }
            )
    first = batch["customers"][0]["customer_id"]
    batch["subscription_changes"].append(
        {
            "change_id": "SUB-1",
            "customer_id": first,
            "subscription_id": "sub-1",
            "changed_at": (NOW - timedelta(days=90)).isoformat(),
            "plan": "pro",
            "mrr_before": 0,
            "mrr_after": 49,
            "currency": "USD",
            "kind": "new",
            "renews_at": (NOW + timedelta(days=30)).isoformat(),
        }
    )
    batch["survey_responses"].append(
        {
            "response_id": "R-1",
            "customer_id": first,
            "kind": "NPS",
            "score": 9,
            "comment": "Great",
            "answered_at": (NOW - timedelta(days=5)).isoformat(),
        }
    )
    for event, kind in enumerate(("opened", "resolved")):
        batch["ticket_events"].append(
            {
                "event_id": f"T-1-{event}",
                "ticket_id": "T-1",
                "customer_id": first,
                "occurred_at": (NOW - timedelta(days=10 - event)).isoformat(),
                "kind": kind,
                "subject": "Where is my parcel?",
                "priority": "normal",
            }
        )
    batch["return_events"].append(
        {
            "return_id": "RET-1",
            "order_id": f"{first}-O0",
            "customer_id": first,
            "returned_at": (NOW - timedelta(days=300)).isoformat(),
            "amount": 5,
            "currency": "USD",
            "reason": "damaged",
        }
    )
    return batch
