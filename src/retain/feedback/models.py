"""Store tables of the feedback domain: reviews and mentions, surveys, invitations, answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base


class FeedbackItem(Base):
    """A review or a social mention, as imported, with its analysis once analysed."""

    __tablename__ = "feedback_item"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # review or mention
    source: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(1024))
    author: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(320))
    handle: Mapped[str | None] = mapped_column(String(256))
    rating: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    product_id: Mapped[str | None] = mapped_column(String(128), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # Two ways to be the same item: same source and url, or same author, day and text.
    url_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    dedup_key: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    language: Mapped[str | None] = mapped_column(String(8))
    sentiment: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    aspects: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    analyzed_at: Mapped[datetime | None] = mapped_column(DateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    exported_at: Mapped[datetime | None] = mapped_column(DateTime)


class Survey(Base):
    """A survey: its kind, question in both languages and its recurring schedule."""

    __tablename__ = "survey"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # NPS, CSAT, CES or custom
    question_en: Mapped[str] = mapped_column(Text)
    question_zh: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32), default="email")
    every_days: Mapped[int | None] = mapped_column(Integer)
    min_gap_days: Mapped[int] = mapped_column(Integer, default=30)
    remind_after_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SurveyInvitation(Base):
    """One survey sent to one customer; answered at most once through its signed link."""

    __tablename__ = "survey_invitation"
    __table_args__ = (UniqueConstraint("survey_name", "customer_id", "sent_at"),)

    invitation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_name: Mapped[str] = mapped_column(ForeignKey("survey.name"), index=True)
    customer_id: Mapped[str] = mapped_column(String(128), index=True)
    language: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)


class SurveyAnswer(Base):
    """An answer; copied to the warehouse ``survey_response`` table once."""

    __tablename__ = "survey_answer"

    response_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitation.invitation_id"), unique=True
    )
    survey_name: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    answered_at: Mapped[datetime] = mapped_column(DateTime)
    exported_at: Mapped[datetime | None] = mapped_column(DateTime)
