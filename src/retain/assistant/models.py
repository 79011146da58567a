"""Store tables of the assistant: conversations, their messages and evaluation runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing row id.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class AssistantConversation(Base):
    """One chat; handed off at most once (``ticket_id``), rated at most once by the customer."""

    __tablename__ = "assistant_conversation"
    __table_args__ = (Index("ix_assistant_conversation_started", "started_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="en")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    last_message_at: Mapped[datetime] = mapped_column(DateTime)
    # open (answering), handed_off (a ticket was opened)
    status: Mapped[str] = mapped_column(String(16), default="open")
    ticket_id: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int | None] = mapped_column(Integer)  # 1-5; thumbs up is 5, down is 1
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)


class AssistantMessage(Base):
    """A message of a conversation, the customer's or the assistant's, with how it was decided."""

    __tablename__ = "assistant_message"
    __table_args__ = (Index("ix_assistant_message_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("assistant_conversation.id"))
    author: Mapped[str] = mapped_column(String(16))  # customer, assistant
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # How the question was settled (on the question and on the reply alike): intent, article,
    # generated, handoff, needs_email or sign_in.
    resolution: Mapped[str | None] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(128))
    confidence: Mapped[float | None] = mapped_column(Float)
    article_id: Mapped[str | None] = mapped_column(String(64))


class AssistantEvaluation(Base):
    """The figures of one ``retain assistant evaluate`` run; the dashboard shows the latest."""

    __tablename__ = "assistant_evaluation"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime)
    examples_file: Mapped[str] = mapped_column(String(512))
    examples: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    answered_accuracy: Mapped[float] = mapped_column(Float)
    escalation_rate: Mapped[float] = mapped_column(Float)
    oos_recall: Mapped[float | None] = mapped_column(Float)
