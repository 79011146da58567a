"""Pydantic schemas of the returns API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ItemIn(BaseModel):
    line_number: int = Field(ge=1)
    quantity: int = Field(ge=1, le=10_000)
    condition: Literal["unopened", "opened", "used", "damaged"] = "unopened"


class ReturnCreate(BaseModel):
    """A request made by an agent for a customer (customers use the portal)."""

    # A NUL is no order id any shop issues, and the warehouse's SQL parser cuts strings at it.
    order_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00]+$")
    items: list[ItemIn] = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=64)
    resolution: Literal["refund", "credit", "exchange"] = "refund"
    comment: str | None = Field(default=None, max_length=2000)
    exchange_for: str | None = Field(default=None, max_length=128)
    key: str = Field(min_length=1, max_length=200, description="Idempotency key of the request.")


class PreviewRead(BaseModel):
    outcome: Literal["approve", "decline", "review"]
    decline_reason: str | None
    note: str
    items_value: Decimal
    fees: Decimal
    refund: Decimal
    bonus: Decimal


class LineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    line_number: int
    product_id: str | None
    category: str | None
    quantity: int
    value: Decimal
    condition: str


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    note: str | None


class ReturnRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    return_id: str
    order_id: str
    customer_id: str
    state: str
    requested_at: datetime
    state_since: datetime
    due_at: datetime | None
    overdue: bool = False
    reason: str
    comment: str | None
    wanted: str
    exchange_for: str | None
    auto_approved: bool
    decline_reason: str | None
    decline_note: str | None
    currency: str
    items_value: Decimal
    fees: Decimal
    bonus: Decimal
    resolution: str | None
    resolved_at: datetime | None


class ReturnDetail(ReturnRead):
    lines: list[LineRead]
    history: list[StepRead]


class DeclineIn(BaseModel):
    reason: Literal["final_sale", "window_passed", "other"]
    note: str = Field(min_length=1, max_length=2000)


class TransitionIn(BaseModel):
    to: Literal["approved", "in_transit", "received", "inspected", "closed", "cancelled"]
    note: str | None = Field(default=None, max_length=2000)


class ResolveIn(BaseModel):
    resolution: Literal["refund", "credit", "exchange"] | None = None


class PolicyText(BaseModel):
    text: str = Field(max_length=100_000, description="The policy in YAML.")


class WebhookIn(BaseModel):
    url: str = Field(max_length=2048)
    secret: str = Field(min_length=16, max_length=256)


class WebhookRead(BaseModel):
    url: str | None
    configured: bool


class InstructionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str
    return_id: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    confirmed_at: datetime | None


class CreditRead(BaseModel):
    customer_id: str
    balance: Decimal


class ReturnsOverview(BaseModel):
    """What the returns dashboard shows: rates by category and reason, serial returners,
    repurchase after a return by each cut that splits the returners, and open returns by state."""

    categories: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    serial_returners: list[dict[str, Any]]
    retention: list[dict[str, Any]]
    open_states: list[dict[str, Any]]
