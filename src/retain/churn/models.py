"""Store tables of the churn domain: scores with reasons, usage alerts, health history, tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base


class ChurnScore(Base):
    """A customer's latest churn probability and the reasons behind it."""

    __tablename__ = "churn_score"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    probability: Mapped[float] = mapped_column(Float, index=True)
    horizon_days: Mapped[int] = mapped_column(Integer)
    # A list of {"feature", "contribution", "en", "zh-CN"}, largest contribution first.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class UsageAlert(Base):
    """A real drop in a customer's usage against their own history, with its evidence."""

    __tablename__ = "usage_alert"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    detected_on: Mapped[date] = mapped_column(Date, primary_key=True)
    severity: Mapped[str] = mapped_column(String(8), index=True)
    drop: Mapped[float] = mapped_column(Float)
    recent_per_week: Mapped[float] = mapped_column(Float)
    expected_per_week: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text)


class HealthScore(Base):
    """One day's health score of a customer (0-100) with its components: the history."""

    __tablename__ = "health_score"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    scored_on: Mapped[date] = mapped_column(Date, primary_key=True)
    segment: Mapped[str] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    # Null where the component is unknown (no churn score yet, no survey answered).
    usage: Mapped[float | None] = mapped_column(Float)
    risk: Mapped[float | None] = mapped_column(Float)
    support: Mapped[float | None] = mapped_column(Float)
    nps: Mapped[float | None] = mapped_column(Float)
    payment: Mapped[float | None] = mapped_column(Float)


class CustomerTask(Base):
    """A call to action for a customer's owner, from an alert or an at-risk renewal."""

    __tablename__ = "customer_task"

    task_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(128), index=True)
    owner: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # "customer:kind" while open, null once closed: a unique index keeps one open task per pair.
    open_key: Mapped[str | None] = mapped_column(String(192), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
