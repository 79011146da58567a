"""Request and response bodies of the assistant routes: the chat, ratings, tokens, summary."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class MessageCreate(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    conversation_id: str | None = Field(default=None, max_length=36)
    token: str | None = Field(default=None, max_length=2000, description="Signed customer token.")
    email: str | None = Field(
        default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", description="Hand-off contact."
    )
    language: Literal["en", "zh-CN"] | None = None


class CitationRead(BaseModel):
    article_id: int
    title: str
    url: str


class MessageRead(BaseModel):
    conversation_id: str
    text: str
    resolution: str
    intent: str | None
    confidence: float | None
    ticket_id: int | None
    citations: list[CitationRead]


class RatingCreate(BaseModel):
    rating: int = Field(ge=1, le=5, description="1-5; a thumbs up is 5, a thumbs down 1.")
    token: str | None = Field(default=None, max_length=2000)


class RatingRead(BaseModel):
    conversation_id: str
    rating: int


class TokenCreate(BaseModel):
    customer_id: str = Field(min_length=1, max_length=128)


class TokenRead(BaseModel):
    customer_id: str
    token: str
    chat_url: str


class UnansweredRead(BaseModel):
    question: str
    times: int


class SummaryRead(BaseModel):
    since: datetime
    conversations: int
    customer_messages: int
    auto_resolution_rate: float | None
    escalation_rate: float | None
    handed_off: int
    answered_accuracy: float | None
    evaluated_at: datetime | None
    csat: float | None
    csat_satisfied: float | None
    ratings: int
    unanswered: list[UnansweredRead]
