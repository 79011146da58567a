"""Request and response bodies of the segments routes."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SegmentDefine(BaseModel):
    """A rule segment's rule and what it is for."""

    rule: str = Field(
        min_length=1, max_length=4000, examples=['churn_risk > 0.6 and country = "CN"']
    )
    description: str | None = Field(default=None, max_length=2000)


class SegmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    rule: str | None
    description: str | None
    built_in: bool
    created_at: datetime
    updated_at: datetime
    refreshed_at: datetime | None


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    entered_at: datetime


class SegmentRefreshRequest(BaseModel):
    """Which segments to refresh (default all) and at which moment (default now, UTC)."""

    names: list[str] | None = None
    at: datetime | None = None

    @field_validator("at")
    @classmethod
    def naive_utc(cls, value: datetime | None) -> datetime | None:
        """The store keeps naive UTC times."""
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)


class SegmentRefreshRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    at: datetime
    members: int
    entered: int
    exited: int
    error: str | None = None
