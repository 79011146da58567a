"""Request and response models of the loyalty API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from retain.loyalty.rules import Event

# Far above any real adjustment, far below what the store's 64-bit integers overflow at.
MAX_ADJUSTMENT = 1_000_000_000


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MemberCreate(BaseModel):
    customer_id: str = Field(min_length=1, max_length=128)
    email: str | None = None
    ip: str | None = None
    device: str | None = None
    language: Literal["en", "zh-CN", "zh"] = "en"


class MemberRead(_Read):
    customer_id: str
    enrolled_at: datetime
    tier: str | None
    tier_since: datetime | None
    referral_code: str
    language: str


class BalanceRead(BaseModel):
    customer_id: str
    available: int
    pending: int


class EntryRead(_Read):
    id: int
    customer_id: str
    kind: str
    source: str
    points: int
    created_at: datetime
    available_at: datetime
    expires_at: datetime | None
    reference: str | None
    campaign: str | None
    note: str | None


class EventCreate(BaseModel):
    event: Event
    key: str = Field(min_length=1, max_length=200, description="The review, survey answer, ...")


class AdjustmentCreate(BaseModel):
    points: int = Field(
        ge=-MAX_ADJUSTMENT,
        le=MAX_ADJUSTMENT,
        description="Positive adds a lot; negative deducts, oldest points first.",
    )
    key: str = Field(min_length=1, max_length=200)
    note: str = Field(min_length=1)


class RedemptionCreate(BaseModel):
    reward: str
    key: str = Field(min_length=1, max_length=200, description="Retrying with it is safe.")


class RedemptionRead(_Read):
    id: int
    customer_id: str
    reward: str
    points: int
    code: str
    status: str
    reserved_at: datetime
    hold_until: datetime
    confirmed_at: datetime | None
    used_at: datetime | None


class CouponRead(BaseModel):
    code: str
    valid: bool
    reason: str
    reward: str | None
    kind: str | None
    value: Decimal | None
    currency: str | None
    product_id: str | None


class RulesText(BaseModel):
    yaml: str = Field(description="The rules as YAML; see docs/loyalty.md.")


class VisitCreate(BaseModel):
    code: str
    friend_id: str = Field(min_length=1, max_length=128)
    friend_email: str | None = None
    ip: str | None = None
    device: str | None = None


class ReferralRead(_Read):
    id: int
    referrer_id: str
    friend_id: str
    referred_at: datetime
    status: str
    findings: str
    order_id: str | None
    reward_at: datetime | None


class TierChangeRead(_Read):
    customer_id: str
    changed_at: datetime
    from_tier: str | None
    to_tier: str | None
    qualifying_value: Decimal
    reason: str


class LinkCreate(BaseModel):
    language: Literal["en", "zh-CN", "zh"] = "en"
    days: int = Field(default=30, ge=1, le=365)


class LinkRead(BaseModel):
    path: str
    expires_at: datetime
