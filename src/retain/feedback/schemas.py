"""Pydantic shapes of the feedback API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from retain.feedback.reviews import ItemIn


class ItemsCreate(BaseModel):
    kind: Literal["review", "mention"]
    items: list[ItemIn] = Field(min_length=1, max_length=10_000)


class ImportRead(BaseModel):
    rows: int
    added: int
    duplicates: int
    matched: int


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_id: int
    kind: str
    source: str
    url: str | None
    author: str | None
    rating: int | None
    text: str
    posted_at: datetime
    product_id: str | None
    customer_id: str | None
    language: str | None
    sentiment: str | None
    sentiment_score: float | None
    aspects: dict[str, float] | None


class LabelledText(BaseModel):
    text: str = Field(min_length=1)
    label: str | int


class LabelledTexts(BaseModel):
    rows: list[LabelledText] = Field(min_length=1, max_length=100_000)


class EvaluationRead(BaseModel):
    rows: int
    accuracy: float
    macro_f1: float


class AnalyzeRead(BaseModel):
    analyzed: int
    negative: int
    trained_from_ratings: bool
    tasks_opened: int
    exported: int
    survey_answers_exported: int


class SurveyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Literal["NPS", "CSAT", "CES", "custom"] = "NPS"
    question_en: str | None = None
    question_zh: str | None = None
    # Bounded to ten years: larger numbers overflow the store's integers (a 500, not a 422).
    every_days: int | None = Field(default=None, ge=1, le=3650)
    min_gap_days: int = Field(default=30, ge=0, le=3650)
    remind_after_days: int | None = Field(default=3, ge=1, le=3650)
    channel: str = "email"


class SurveyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    kind: str
    question_en: str
    question_zh: str
    channel: str
    every_days: int | None
    min_gap_days: int
    remind_after_days: int | None


class SendCreate(BaseModel):
    customer_ids: list[str] = Field(min_length=1, max_length=100_000)


class SendRead(BaseModel):
    eligible: int
    invited: int
    skipped: int
    reminded: int


Rows = list[dict[str, Any]]
