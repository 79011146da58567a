"""A customer's facts from the warehouse, for the customer-360 view: prepared point lookups.

Each lookup only filters by customer (sorting and limits happen here), so that an engine with an
index on ``customer_id`` (``retain warehouse index``) answers it from the index.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import cache
from typing import Any

import ibis.expr.types as ir
from ibis.backends import BaseBackend

from retain.warehouse.prepared import PreparedQuery, canonical

USAGE_WEEKS = 13
# The fact tables of a customer, with the column that orders their rows in time.
TIMELINES = {
    "customer": "signup_at",
    "order": "ordered_at",
    "subscription_change": "changed_at",
    "ticket_event": "occurred_at",
    "survey_response": "answered_at",
    "loyalty_event": "occurred_at",
    "return_event": "returned_at",
    "delivery": "sent_at",
}


def _rows_of(table: str) -> PreparedQuery:
    def build(customer_id: ir.Scalar) -> ir.Table:
        facts = canonical(table)
        return facts.filter(facts.customer_id == customer_id)

    return PreparedQuery(build, "customer_id")


def _weekly_usage(customer_id: ir.Scalar, since: ir.Scalar) -> ir.Table:
    events = canonical("usage_event")
    recent = events.occurred_at >= since.cast("timestamp")
    mine = events.filter((events.customer_id == customer_id) & recent)
    weekly = mine.mutate(week=mine.occurred_at.truncate("W"))
    return weekly.group_by("week").aggregate(events=weekly.count(), quantity=weekly.quantity.sum())


@cache
def _queries() -> dict[str, PreparedQuery]:
    # Built on the first read rather than at import: the server starts sooner.
    return {
        **{table: _rows_of(table) for table in TIMELINES},
        "usage": PreparedQuery(_weekly_usage, "customer_id", "since"),
    }


def read_timeline(
    *, backend: BaseBackend, customer_id: str, as_of: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Every fact family of one customer, newest first, and weekly usage since 13 weeks."""
    this_week = as_of.date() - timedelta(days=as_of.weekday())
    since = datetime.combine(this_week - timedelta(weeks=USAGE_WEEKS - 1), time())
    queries = _queries()
    found = {
        table: _newest_first(query.run(backend, customer_id=customer_id), TIMELINES[table])
        for table, query in queries.items()
        if table in TIMELINES
    }
    found["usage"] = queries["usage"].run(
        backend, customer_id=customer_id, since=since.isoformat(sep=" ")
    )
    return found


def _newest_first(rows: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: row[column] or datetime.min, reverse=True)
