"""Store tables of the support domain: tickets, their messages and events, the knowledge base."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing row id.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class Ticket(Base):
    """A customer's request, from the API, the help-centre form, email or the assistant."""

    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_status", "status", "priority"),
        Index("ix_ticket_customer", "customer_id"),
        Index("ix_ticket_visitor", "visitor", "created_at"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str | None] = mapped_column(String(128))
    requester_email: Mapped[str | None] = mapped_column(String(320))
    # Who asked, as the help centre knows them (customer id, email or a visitor cookie):
    # the key that ties a ticket to earlier article views for the deflection report.
    visitor: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(16))  # api, web, email, assistant, agent
    status: Mapped[str] = mapped_column(String(16))  # new, open, pending, solved, closed
    priority: Mapped[str] = mapped_column(String(16))  # low, normal, high, urgent
    language: Mapped[str] = mapped_column(String(8), default="en")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    team: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    solved_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # SLA targets as instants, computed in business hours when the ticket opens.
    first_response_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the worker warned that a target was close, and when the target was missed.
    first_response_warned_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_response_breached_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_warned_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(DateTime)
    rating_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # CSAT 1..5
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)


class TicketMessage(Base):
    """One message on a ticket; an internal note is never shown to the customer."""

    __tablename__ = "ticket_message"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    author_kind: Mapped[str] = mapped_column(String(16))  # customer, agent, assistant, note
    author: Mapped[str | None] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # RFC 5322 Message-ID of an email in or out, so replies thread to their ticket.
    email_message_id: Mapped[str | None] = mapped_column(String(512), unique=True)
    # When an agent's reply on an email ticket left by SMTP (null while it waits for the worker).
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime)


class TicketEvent(Base):
    """What happened to a ticket, appended; copied to the warehouse ``ticket_event`` table."""

    __tablename__ = "ticket_event_log"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    # created, status, assigned, replied, note, sla_warning, sla_breach, rated
    kind: Mapped[str] = mapped_column(String(24))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SupportTeam(Base):
    """A team tickets can be assigned to; its members are users of retain.auth."""

    __tablename__ = "support_team"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)


class SupportTeamMember(Base):
    __tablename__ = "support_team_member"

    team: Mapped[str] = mapped_column(ForeignKey("support_team.name"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)


class CannedReply(Base):
    """A reply agents reuse; ``{{ name }}``-style fields render in a sandbox."""

    __tablename__ = "canned_reply"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    body: Mapped[str] = mapped_column(Text)


class Article(Base):
    """A knowledge-base article in English or Chinese; only published ones are public."""

    __tablename__ = "kb_article"
    __table_args__ = (Index("ix_kb_article_updated", "updated_at"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))  # en, zh-CN
    category: Mapped[str] = mapped_column(String(64), default="general")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, published
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)


class ArticleUse(Base):
    """An article read or rated by a visitor, in the help centre or through the assistant."""

    __tablename__ = "kb_article_use"
    __table_args__ = (Index("ix_kb_article_use_visitor", "visitor", "used_at"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # help_centre, assistant
    visitor: Mapped[str] = mapped_column(String(320))
    used_at: Mapped[datetime] = mapped_column(DateTime)
    # None for a view; True/False for a "was this helpful?" answer.
    helpful: Mapped[bool | None] = mapped_column(Boolean)
