"""The canonical warehouse tables. Their names and columns are the contract every module uses."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

MONEY = dt.Decimal(18, 2)

CANONICAL_TABLES: dict[str, ibis.Schema] = {
    "customer": ibis.schema(
        {
            "customer_id": dt.String(nullable=False),
            "signup_at": dt.Timestamp(),
            "country": dt.String(),
            "channel": dt.String(),
            "language": dt.String(),
            "attributes": dt.String(),  # JSON object text: every backend can store and parse it
        }
    ),
    "order": ibis.schema(
        {
            "order_id": dt.String(nullable=False),
            "customer_id": dt.String(nullable=False),
            "ordered_at": dt.Timestamp(nullable=False),
            "amount": MONEY,
            "currency": dt.String(),
            "status": dt.String(),
            "discount": MONEY,
        }
    ),
    "order_line": ibis.schema(
        {
            "order_id": dt.String(nullable=False),
            "line_number": dt.Int64(nullable=False),
            "product_id": dt.String(),
            "product_name": dt.String(),
            "category": dt.String(),
            "quantity": dt.Int64(),
            "unit_price": MONEY,
            "amount": MONEY,
        }
    ),
    "subscription_change": ibis.schema(
        {
            "change_id": dt.String(nullable=False),
            "customer_id": dt.String(nullable=False),
            "subscription_id": dt.String(),
            "changed_at": dt.Timestamp(nullable=False),
            "plan": dt.String(),
            "mrr_before": MONEY,
            "mrr_after": MONEY,
            "currency": dt.String(),
            "kind": dt.String(),
            "renews_at": dt.Timestamp(),
        }
    ),
    "usage_event": ibis.schema(
        {
            "event_id": dt.String(nullable=False),
            "customer_id": dt.String(nullable=False),
            "occurred_at": dt.Timestamp(nullable=False),
            "name": dt.String(),
            "quantity": dt.Float64(),
        }
    ),
    "delivery": ibis.schema(
        {
            "delivery_id": dt.String(nullable=False),
            "playbook": dt.String(),
            "step": dt.String(),
            "channel": dt.String(),
            "customer_id": dt.String(nullable=False),
            "sent_at": dt.Timestamp(),
            "holdout": dt.Boolean(),
            "outcome": dt.String(),
        }
    ),
    "survey_response": ibis.schema(
        {
            "response_id": dt.String(nullable=False),
            "customer_id": dt.String(nullable=False),
            "kind": dt.String(),
            "score": dt.Int64(),
            "comment": dt.String(),
            "language": dt.String(),
            "answered_at": dt.Timestamp(nullable=False),
        }
    ),
    "ticket_event": ibis.schema(
        {
            "event_id": dt.String(nullable=False),
            "ticket_id": dt.String(nullable=False),
            "customer_id": dt.String(nullable=False),
            "occurred_at": dt.Timestamp(nullable=False),
            "kind": dt.String(),
            "channel": dt.String(),
            "priority": dt.String(),
            "subject": dt.String(),
            "satisfaction": dt.Int64(),
        }
    ),
    "loyalty_event": ibis.schema(
        {
            "event_id": dt.String(nullable=False),
            "customer_id": dt.String(nullable=False),
            "occurred_at": dt.Timestamp(nullable=False),
            "kind": dt.String(),
            "points": dt.Int64(),
        }
    ),
    "return_event": ibis.schema(
        {
            "return_id": dt.String(nullable=False),
            "order_id": dt.String(nullable=False),
            "customer_id": dt.String(nullable=False),
            "returned_at": dt.Timestamp(nullable=False),
            "amount": MONEY,
            "currency": dt.String(),
            "reason": dt.String(),
            "status": dt.String(),
        }
    ),
}

# Feedback: reviews and social mentions with their analysis (aspects as JSON object text).
# Not "feedback_item": the store has that table, and both planes may share one PostgreSQL.
CANONICAL_TABLES["review_event"] = ibis.schema(
    {
        "item_id": dt.String(nullable=False),
        "kind": dt.String(),
        "source": dt.String(),
        "customer_id": dt.String(),
        "product_id": dt.String(),
        "rating": dt.Int64(),
        "language": dt.String(),
        "sentiment": dt.String(),
        "sentiment_score": dt.Float64(),
        "aspects": dt.String(),
        "posted_at": dt.Timestamp(nullable=False),
    }
)

# The key that names one fact in each table: one row per key, whoever writes it. PostgreSQL
# enforces it with a unique index; DuckDB has one writer at a time, so the merge's check suffices.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "customer": ("customer_id",),
    "order": ("order_id",),
    "order_line": ("order_id", "line_number"),
    "subscription_change": ("change_id",),
    "usage_event": ("event_id",),
    "delivery": ("delivery_id",),
    "survey_response": ("response_id",),
    "ticket_event": ("event_id",),
    "loyalty_event": ("event_id",),
    "return_event": ("return_id",),
    "review_event": ("item_id",),
}
