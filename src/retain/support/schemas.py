"""Request and response models of the support and knowledge-base API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from retain.pagination import MAX_OFFSET

Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "pending", "solved", "closed"]
Language = Literal["en", "zh-CN"]


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TicketCreate(BaseModel):
    customer_id: str | None = Field(default=None, max_length=128)
    requester_email: str | None = Field(default=None, max_length=320)
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=100_000)
    channel: Literal["api", "web", "email", "assistant", "agent"] = "api"
    priority: Priority = "normal"
    tags: list[str] = Field(default_factory=list, max_length=20)
    language: Language | None = None


class TicketUpdate(BaseModel):
    priority: Priority | None = None
    tags: list[str] | None = Field(default=None, max_length=20)


class StatusChange(BaseModel):
    status: Status


UserId = Annotated[int, Field(ge=1, le=MAX_OFFSET)]


class Assignment(BaseModel):
    assignee_id: UserId | None = None
    team: str | None = Field(default=None, max_length=64)


class MessageCreate(BaseModel):
    author_kind: Literal["customer", "agent", "note"] = "agent"
    body: str | None = Field(default=None, max_length=100_000)
    canned: str | None = Field(default=None, max_length=128, description="A canned reply's name.")


class MessageRead(_Read):
    id: int
    author_kind: str
    author: str | None
    body: str
    created_at: datetime


class TicketRead(_Read):
    id: int
    customer_id: str | None
    requester_email: str | None
    subject: str
    channel: str
    status: str
    priority: str
    language: str
    tags: list[str]
    assignee_id: int | None
    team: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None
    satisfaction: int | None
    customer_url: str | None = Field(default=None, description="The customer-360 page.")


class TicketDetail(TicketRead):
    messages: list[MessageRead]


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    member_ids: list[UserId] = Field(default_factory=list, max_length=500)


class TeamRead(BaseModel):
    name: str
    member_ids: list[int]


class CannedReplyWrite(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    body: str = Field(min_length=1, max_length=20_000)
    language: Language = "en"


class CannedReplyRead(_Read):
    id: int
    name: str
    language: str
    body: str


class TargetRead(BaseModel):
    priority: str
    first_response_hours: float
    resolution_hours: float


class SlaPolicyRead(BaseModel):
    timezone: str
    targets: list[TargetRead]
    warning_hours: float


class SlaTicketRead(BaseModel):
    ticket_id: int
    subject: str
    priority: str
    target: str
    due_at: datetime
    state: Literal["at_risk", "breached"]


class CsatRead(BaseModel):
    group: str
    name: str
    ratings: int
    average: float
    satisfied_share: float


class ArticleCreate(BaseModel):
    slug: str = Field(min_length=1, max_length=160, pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=200_000)
    language: Language
    category: str = Field(default="general", max_length=64)
    status: Literal["draft", "published"] = "draft"


class ArticleUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=200_000)
    language: Language | None = None
    category: str | None = Field(default=None, max_length=64)
    status: Literal["draft", "published"] | None = None


class ArticleRead(_Read):
    id: int
    slug: str
    title: str
    body: str
    language: str
    category: str
    status: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class ArticleHitRead(BaseModel):
    article: ArticleRead
    score: float


class DeflectionRead(BaseModel):
    article_id: int
    slug: str
    title: str
    language: str
    visitors: int
    deflected: int
    deflection_rate: float
    helpful: int
    not_helpful: int
