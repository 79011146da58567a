"""Schemas of the customers domain: the profile and the searchable list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class CustomerListItem(BaseModel):
    customer_id: str
    name: str | None
    email: str | None
    country: str | None
    language: str | None
    signup_at: datetime | None
    clv: float | None
    probability_alive: float | None


class Profile(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    language: str | None = None
    time_zone: str | None = None
    signup_at: datetime | None = None
    channel: str | None = None
    attributes: dict[str, Any] = {}
