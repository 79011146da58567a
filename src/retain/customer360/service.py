"""The customer-360 view: the profile with every domain's facts, predictions and consent.

It sits above the domains (as ``jobs/`` does) because it reads from many of them: churn,
lifetime, segments and messaging in the store, and each domain's facts in the warehouse.
"""

from __future__ import annotations

import calendar
import json
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ibis.backends import BaseBackend
from pydantic import BaseModel
from sqlalchemy.orm import Session

from retain.churn.health import health_history
from retain.churn.schemas import ChurnScoreRead, HealthRead
from retain.churn.service import get_score
from retain.clock import utcnow
from retain.customer360.schemas import (
    Customer360,
    FeedbackRead,
    Loyalty,
    LoyaltyEntry,
    MessageRead,
    OrderRead,
    Orders,
    OrderTotals,
    Predictions,
    ReturnRead,
    Subscription,
    Ticket,
    UsageWeek,
)
from retain.customer360.timeline import USAGE_WEEKS, read_timeline
from retain.customers.models import CustomerProfile
from retain.customers.schemas import Profile
from retain.customers.service import get_profile
from retain.lifetime.schemas import PredictionRead
from retain.lifetime.tables import CustomerPrediction
from retain.messaging.consent import consents
from retain.messaging.schemas import ConsentRead
from retain.segments.service import segments_of

RECENT = 20


def customer_360(
    *, session: Session, backend: BaseBackend, customer_id: str, as_of: datetime | None = None
) -> Customer360 | None:
    """The customer-360 view, or None when neither the store nor the warehouse knows them."""
    moment = as_of or utcnow()
    profile = get_profile(session=session, customer_id=customer_id)
    facts = read_timeline(backend=backend, customer_id=customer_id, as_of=moment)
    if profile is None and not facts["customer"]:
        return None
    prediction = session.get(CustomerPrediction, customer_id)
    return Customer360(
        customer_id=customer_id,
        profile=_profile(profile, facts["customer"]),
        orders=Orders(
            totals=_order_totals(facts["order"]),
            recent=[OrderRead(**_pick(row, OrderRead)) for row in facts["order"][:RECENT]],
        ),
        subscriptions=_subscriptions(facts["subscription_change"], moment),
        usage_weekly=_usage_weeks(facts["usage"], moment),
        tickets=_tickets(facts["ticket_event"]),
        feedback=[
            FeedbackRead(**_pick(row, FeedbackRead)) for row in facts["survey_response"][:RECENT]
        ],
        loyalty=_loyalty(facts["loyalty_event"]),
        returns=[ReturnRead(**_pick(row, ReturnRead)) for row in facts["return_event"][:RECENT]],
        messages=[MessageRead(**_pick(row, MessageRead)) for row in facts["delivery"][:RECENT]],
        predictions=_predictions(session, customer_id, prediction),
        segments=segments_of(session=session, customer_id=customer_id),
        consent=[
            ConsentRead.model_validate(row)
            for row in consents(session=session, customer_id=customer_id)
        ],
    )


def _predictions(
    session: Session, customer_id: str, prediction: CustomerPrediction | None
) -> Predictions:
    churn = get_score(session=session, customer_id=customer_id)
    health = health_history(session=session, customer_id=customer_id)
    return Predictions(
        lifetime_value=PredictionRead.model_validate(prediction) if prediction else None,
        churn=ChurnScoreRead.model_validate(churn) if churn else None,
        health=HealthRead.model_validate(health[-1]) if health else None,
    )


def _order_totals(orders: list[dict[str, Any]]) -> list[OrderTotals]:
    """Orders, amount and first and last order time, per currency."""
    totals: dict[str | None, OrderTotals] = {}
    for order in orders:
        found = totals.get(order["currency"])
        if found is None:
            totals[order["currency"]] = OrderTotals(
                currency=order["currency"],
                orders=1,
                amount=order["amount"],
                first_ordered_at=order["ordered_at"],
                last_ordered_at=order["ordered_at"],
            )
            continue
        found.orders += 1
        if order["amount"] is not None:
            found.amount = (found.amount or Decimal(0)) + order["amount"]
        found.first_ordered_at = min(
            found.first_ordered_at or order["ordered_at"], order["ordered_at"]
        )
        found.last_ordered_at = max(
            found.last_ordered_at or order["ordered_at"], order["ordered_at"]
        )
    return list(totals.values())


def _usage_weeks(rows: list[dict[str, Any]], as_of: datetime) -> list[UsageWeek]:
    """Every week of the usage window, quiet weeks as zeros (weeks start on Monday)."""
    found = {row["week"].date(): row for row in rows}
    this_week = as_of.date() - timedelta(days=as_of.weekday())
    weeks = [this_week - timedelta(weeks=back) for back in range(USAGE_WEEKS - 1, -1, -1)]
    return [
        UsageWeek(
            week=datetime.combine(week, time()),
            events=int(found[week]["events"]) if week in found else 0,
            quantity=float(found[week]["quantity"] or 0) if week in found else 0.0,
        )
        for week in weeks
    ]


def _pick(row: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    return {name: row.get(name) for name in model.model_fields}


def _profile(stored: CustomerProfile | None, facts: list[dict[str, Any]]) -> Profile:
    profile = Profile.model_validate(stored) if stored else Profile()
    if facts:
        fact = facts[0]
        profile.channel = fact["channel"]
        profile.signup_at = profile.signup_at or fact["signup_at"]
        profile.country = profile.country or fact["country"]
        profile.language = profile.language or fact["language"]
        profile.attributes = json.loads(fact["attributes"]) if fact["attributes"] else {}
    return profile


def _subscriptions(changes: list[dict[str, Any]], as_of: datetime) -> list[Subscription]:
    """Each subscription after its latest change (changes arrive newest first), as of as_of."""
    history: dict[str | None, list[dict[str, Any]]] = {}
    for change in changes:
        history.setdefault(change["subscription_id"], []).append(change)
    subscriptions = []
    for subscription_id, mine in history.items():
        latest = mine[0]
        churned = latest["kind"] == "churn"
        renews_at = latest["renews_at"]
        if renews_at is not None and not churned:
            renews_at = next_renewal(
                renews_at=renews_at, period_months=billing_months(changes=mine), after=as_of
            )
        subscriptions.append(
            Subscription(
                subscription_id=subscription_id,
                plan=latest["plan"],
                status="churned" if churned else "active",
                mrr=latest["mrr_after"],
                currency=latest["currency"],
                changed_at=latest["changed_at"],
                renews_at=renews_at,
            )
        )
    return subscriptions


DAYS_PER_MONTH = 365.25 / 12


def billing_months(*, changes: list[dict[str, Any]]) -> int:
    """Months between renewals, from the start (new or reactivation) of one subscription.

    Renewals themselves are not changes, so a subscription's latest ``renews_at`` goes stale;
    its start tells the period (its first renewal is one period later). Without a start, monthly.
    """
    for change in changes:
        if change["kind"] in ("new", "reactivation") and change["renews_at"] is not None:
            days = (change["renews_at"] - change["changed_at"]).total_seconds() / 86_400
            return max(1, round(days / DAYS_PER_MONTH))
    return 1


def next_renewal(*, renews_at: datetime, period_months: int, after: datetime) -> datetime:
    """The first renewal later than ``after``: ``renews_at`` rolled forward by whole periods.

    Each candidate is counted from ``renews_at`` itself, so a renewal on the 31st comes back to
    the 31st after a short month instead of drifting to the 28th.
    """
    if renews_at > after:
        return renews_at
    months_behind = (after.year - renews_at.year) * 12 + after.month - renews_at.month
    periods = max(1, months_behind // period_months)
    candidate = _add_months(renews_at, periods * period_months)
    while candidate <= after:
        periods += 1
        candidate = _add_months(renews_at, periods * period_months)
    return candidate


def _add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later; a day the month lacks becomes its last day."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


def _tickets(events: list[dict[str, Any]]) -> list[Ticket]:
    """One ticket per id from its events (newest first): first event opens, last sets the state."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        grouped.setdefault(event["ticket_id"], []).append(event)
    tickets = []
    for ticket_id, history in grouped.items():
        newest, oldest = history[0], history[-1]
        rated = next((e["satisfaction"] for e in history if e["satisfaction"] is not None), None)
        tickets.append(
            Ticket(
                ticket_id=ticket_id,
                subject=oldest["subject"] or newest["subject"],
                priority=newest["priority"] or oldest["priority"],
                channel=oldest["channel"],
                state=newest["kind"],
                opened_at=oldest["occurred_at"],
                updated_at=newest["occurred_at"],
                satisfaction=rated,
            )
        )
    return tickets


def _loyalty(events: list[dict[str, Any]]) -> Loyalty:
    return Loyalty(
        balance=sum(int(event["points"] or 0) for event in events),
        entries=len(events),
        recent=[LoyaltyEntry(**_pick(row, LoyaltyEntry)) for row in events[:RECENT]],
    )
