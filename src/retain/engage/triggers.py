"""Who a trigger fired for in a time window, read from the warehouse (and segment history).

Each finder returns rows (customer_id, triggered_at, key): the key names the occurrence (the
order, the ticket, the renewal date), so reading an overlapping window again finds the same
entries rather than new ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from retain.engage.definition import Trigger

COLUMNS = ["customer_id", "triggered_at", "key"]
EPOCH = datetime(1970, 1, 1)
MEMBER_PAGE = 10_000


def triggered(
    *, trigger: Trigger, backend: BaseBackend, session: Session, since: datetime, until: datetime
) -> pd.DataFrame:
    """The customers ``trigger`` fired for in (since, until]."""
    if trigger.segment_entry or trigger.segment_exit:
        return _segment_moves(session, trigger, since, until)
    if trigger.recurring is not None:
        return _recurring(session, backend, trigger, since, until)
    expression = _EXPRESSIONS[trigger.kind](backend, trigger, since, until)
    frame = expression.select(*COLUMNS).execute()
    return frame.assign(key=frame["key"].astype(str))


def _in_window(moment: ir.TimestampValue, since: datetime, until: datetime) -> ir.BooleanValue:
    return (moment > since) & (moment <= until)


def _event(backend: BaseBackend, trigger: Trigger, since: datetime, until: datetime) -> ir.Table:
    return _EVENTS[str(trigger.event)](backend, since, until)


def _first_order(backend: BaseBackend, since: datetime, until: datetime) -> ir.Table:
    orders = backend.table("order")
    first = orders.group_by("customer_id").aggregate(triggered_at=orders.ordered_at.min())
    return first.filter(_in_window(first.triggered_at, since, until)).mutate(
        key=ibis.literal("first")
    )


def _order_placed(backend: BaseBackend, since: datetime, until: datetime) -> ir.Table:
    orders = backend.table("order")
    placed = orders.filter(
        _in_window(orders.ordered_at, since, until), orders.status.isin(("paid", "pending"))
    )
    return placed.mutate(triggered_at=placed.ordered_at, key=placed.order_id)


def _ticket_resolved(backend: BaseBackend, since: datetime, until: datetime) -> ir.Table:
    events = backend.table("ticket_event")
    resolved = events.filter(
        _in_window(events.occurred_at, since, until), events.kind.isin(("resolved", "closed"))
    )
    # A ticket resolved and then closed fires once, at its first resolution in the window.
    return (
        resolved.group_by(["customer_id", "ticket_id"])
        .aggregate(triggered_at=resolved.occurred_at.min())
        .mutate(key=ibis._.ticket_id)
    )


def _nps_detractor(backend: BaseBackend, since: datetime, until: datetime) -> ir.Table:
    answers = backend.table("survey_response")
    detractors = answers.filter(
        _in_window(answers.answered_at, since, until),
        answers.kind.upper() == "NPS",
        answers.score <= 6,
    )
    return detractors.mutate(triggered_at=detractors.answered_at, key=detractors.response_id)


def _negative_review(backend: BaseBackend, since: datetime, until: datetime) -> ir.Table:
    # Analysed reviews and mentions of known customers: 1-2 stars, or unrated and negative.
    items = backend.table("review_event")
    unhappy = ibis.ifelse(items.rating.notnull(), items.rating <= 2, items.sentiment == "negative")
    found = items.filter(
        _in_window(items.posted_at, since, until), items.customer_id.notnull(), unhappy
    )
    return found.mutate(triggered_at=found.posted_at, key=found.item_id)


def _subscription_churned(backend: BaseBackend, since: datetime, until: datetime) -> ir.Table:
    changes = backend.table("subscription_change")
    churned = changes.filter(_in_window(changes.changed_at, since, until), changes.kind == "churn")
    return churned.mutate(triggered_at=churned.changed_at, key=churned.change_id)


def _before_date(
    backend: BaseBackend, trigger: Trigger, since: datetime, until: datetime
) -> ir.Table:
    assert trigger.before_date is not None
    days = trigger.before_date.days
    changes = backend.table("subscription_change")
    latest = changes.mutate(
        rank=ibis.row_number().over(
            group_by=changes.subscription_id, order_by=ibis.desc(changes.changed_at)
        )
    ).filter(ibis._.rank == 0)
    live = latest.filter(latest.kind != "churn", latest.renews_at.notnull())
    due = live.mutate(triggered_at=live.renews_at - ibis.interval(days=days))
    due = due.filter(_in_window(due.triggered_at, since, until))
    return due.mutate(
        key=due.subscription_id.concat(":", due.renews_at.date().cast("string"), f":{days}")
    )


def _inactive(backend: BaseBackend, trigger: Trigger, since: datetime, until: datetime) -> ir.Table:
    assert trigger.inactive_days is not None
    orders = backend.table("order")
    last = orders.group_by("customer_id").aggregate(last_at=orders.ordered_at.max())
    crossing = last.mutate(triggered_at=last.last_at + ibis.interval(days=trigger.inactive_days))
    crossing = crossing.filter(_in_window(crossing.triggered_at, since, until))
    return crossing.mutate(key=crossing.last_at.cast("string"))


def _segment_moves(
    session: Session, trigger: Trigger, since: datetime, until: datetime
) -> pd.DataFrame:
    from retain.segments.service import transitions

    name = trigger.segment_entry or trigger.segment_exit
    wanted = "entry" if trigger.segment_entry else "exit"
    # transitions() reads [since, until); a tick later on both ends reads (since, until].
    tick = timedelta(microseconds=1)
    moves = [
        (move.customer_id, move.at, f"{wanted}:{move.at.isoformat()}")
        for move in transitions(
            session=session, name=str(name), since=since + tick, until=until + tick
        )
        if move.kind == wanted
    ]
    return pd.DataFrame(moves, columns=COLUMNS)


def _recurring(
    session: Session, backend: BaseBackend, trigger: Trigger, since: datetime, until: datetime
) -> pd.DataFrame:
    assert trigger.recurring is not None
    period = timedelta(days=trigger.recurring.every_days)
    boundary = EPOCH + ((until - EPOCH) // period) * period
    if boundary <= since:
        return pd.DataFrame(columns=COLUMNS)
    if trigger.recurring.segment is None:
        customers = backend.table("customer").customer_id.execute().tolist()
    else:
        customers = _all_members(session, trigger.recurring.segment)
    key = f"period:{boundary.date().isoformat()}"
    return pd.DataFrame([(customer, boundary, key) for customer in customers], columns=COLUMNS)


def _all_members(session: Session, name: str) -> list[str]:
    from retain.segments.service import current_members

    customers: list[str] = []
    while True:
        page, total = current_members(
            session=session, name=name, limit=MEMBER_PAGE, offset=len(customers)
        )
        customers.extend(stay.customer_id for stay in page)
        if not page or len(customers) >= total:
            return customers


_EVENTS: dict[str, Callable[[BaseBackend, datetime, datetime], ir.Table]] = {
    "first_order": _first_order,
    "order_placed": _order_placed,
    "ticket_resolved": _ticket_resolved,
    "nps_detractor": _nps_detractor,
    "subscription_churned": _subscription_churned,
    "negative_review": _negative_review,
}
_EXPRESSIONS: dict[str, Callable[[BaseBackend, Trigger, datetime, datetime], ir.Table]] = {
    "event": _event,
    "before_date": _before_date,
    "inactive_days": _inactive,
}
