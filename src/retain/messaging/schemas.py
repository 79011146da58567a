"""Request and response bodies of the messaging API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    playbook: str | None
    step: str | None
    channel: str
    customer_id: str
    template: str | None
    language: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    sent_at: datetime | None
    holdout: bool


class TemplateSummary(BaseModel):
    name: str
    description: str
    languages: list[str]
    overridden: bool


class TemplateRead(BaseModel):
    name: str
    template: dict[str, Any]


class TemplateSource(BaseModel):
    source: str = Field(description="The template as YAML: languages -> subject, text, html.")


# Ids are printable text: a NUL byte is refused by PostgreSQL and by SQL literals alike.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


class PreviewCreate(BaseModel):
    customer_id: str = Field(min_length=1, max_length=128, pattern=PRINTABLE)
    # "zh" is how links and scripts said Chinese before the BCP 47 tags: still accepted.
    language: Literal["en", "zh-CN", "zh"] | None = None


class PreviewRead(BaseModel):
    template: str
    language: str
    subject: str
    text: str
    html: str | None


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str
    granted: bool
    source: str
    updated_at: datetime


class ConsentUpdate(BaseModel):
    channel: str = Field(min_length=1, max_length=32, pattern=PRINTABLE)
    granted: bool
    source: str = Field(default="api", max_length=64, pattern=PRINTABLE)


class BounceCreate(BaseModel):
    address: str = Field(min_length=3, max_length=320, pattern=PRINTABLE)
    channel: str = Field(default="email", max_length=32, pattern=PRINTABLE)
    reason: Literal["bounced", "complained"] = "bounced"


class BounceRead(BaseModel):
    address: str
    deliveries_marked: int
