"""Churn schemas: scores with reasons, usage alerts, health, renewals and tasks."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from retain.locales import language_or_default


class Reason(BaseModel):
    """One driver of a customer's risk, in words of each language under its BCP 47 tag."""

    feature: str
    contribution: float
    en: str
    zh_cn: str = Field(alias="zh-CN")

    def words(self, language: str) -> str:
        """The reason as a reader of ``language`` says it."""
        return self.zh_cn if language_or_default(language) == "zh-CN" else self.en


class ChurnScoreRead(BaseModel):
    """A customer's latest churn probability with its reasons."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    probability: float
    horizon_days: int
    reasons: list[Reason]
    scored_at: datetime


class UsageAlertRead(BaseModel):
    """A usage-decline alert with its evidence."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    detected_on: date
    severity: str
    drop: float
    recent_per_week: float
    expected_per_week: float
    evidence: str


class HealthRead(BaseModel):
    """A day's health score with its components."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    scored_on: date
    segment: str
    score: float | None
    usage: float | None
    risk: float | None
    support: float | None
    nps: float | None
    payment: float | None


class RenewalRead(BaseModel):
    """A subscription renewing soon."""

    customer_id: str
    subscription_id: str
    plan: str | None
    renews_at: datetime
    within_days: int
    owner: str
    mrr: float
    risk: float | None
    health: float | None
    mrr_at_stake: float | None


class RenewalPipeline(BaseModel):
    """The renewals in the window, a page of them, and the renewed-MRR forecast."""

    as_of: datetime
    forecast: dict[str, float]
    renewals: list[RenewalRead]


class TaskRead(BaseModel):
    """A task for a customer's owner."""

    model_config = ConfigDict(from_attributes=True)

    task_id: int
    customer_id: str
    owner: str
    kind: str
    title: str
    due_on: date
    created_at: datetime
    closed_at: datetime | None
    outcome: str | None
    note: str | None


class TaskClose(BaseModel):
    """How a task ended."""

    outcome: str
    note: str | None = None
