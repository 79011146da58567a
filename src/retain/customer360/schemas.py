"""The customer-360 view's response body: every domain's facts about one customer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from retain.churn.schemas import ChurnScoreRead, HealthRead
from retain.customers.schemas import Profile
from retain.lifetime.schemas import PredictionRead
from retain.messaging.schemas import ConsentRead


class OrderRead(BaseModel):
    order_id: str
    ordered_at: datetime
    amount: Decimal | None
    currency: str | None
    status: str | None
    discount: Decimal | None


class OrderTotals(BaseModel):
    currency: str | None
    orders: int
    amount: Decimal | None
    first_ordered_at: datetime | None
    last_ordered_at: datetime | None


class Orders(BaseModel):
    totals: list[OrderTotals]
    recent: list[OrderRead]


class Subscription(BaseModel):
    """A subscription's state after its latest change."""

    subscription_id: str | None
    plan: str | None
    status: str
    mrr: Decimal | None
    currency: str | None
    changed_at: datetime
    renews_at: datetime | None  # the next renewal after the view's moment; none once churned


class UsageWeek(BaseModel):
    week: datetime
    events: int
    quantity: float | None


class Ticket(BaseModel):
    """A ticket as its events tell it: opened when, what state it reached last."""

    ticket_id: str
    subject: str | None
    priority: str | None
    channel: str | None
    state: str | None
    opened_at: datetime
    updated_at: datetime
    satisfaction: int | None


class FeedbackRead(BaseModel):
    response_id: str
    kind: str | None
    score: int | None
    comment: str | None
    language: str | None
    answered_at: datetime


class LoyaltyEntry(BaseModel):
    event_id: str
    occurred_at: datetime
    kind: str | None
    points: int | None


class Loyalty(BaseModel):
    balance: int
    entries: int
    recent: list[LoyaltyEntry]


class ReturnRead(BaseModel):
    return_id: str
    order_id: str
    returned_at: datetime
    amount: Decimal | None
    currency: str | None
    reason: str | None
    status: str | None


class MessageRead(BaseModel):
    delivery_id: str
    playbook: str | None
    step: str | None
    channel: str | None
    sent_at: datetime | None
    holdout: bool | None
    outcome: str | None


class Predictions(BaseModel):
    lifetime_value: PredictionRead | None
    churn: ChurnScoreRead | None = None
    health: HealthRead | None = None


class Customer360(BaseModel):
    """Everything Retain knows about one customer."""

    customer_id: str
    profile: Profile
    orders: Orders
    subscriptions: list[Subscription]
    usage_weekly: list[UsageWeek]
    tickets: list[Ticket]
    feedback: list[FeedbackRead]
    loyalty: Loyalty
    returns: list[ReturnRead]
    messages: list[MessageRead]
    predictions: Predictions
    # The segments the customer is in as of the latest refresh.
    segments: list[str] = []
    # Recorded answers per channel; a channel without one follows RETAIN_CONSENT_DEFAULT.
    consent: list[ConsentRead] = []
