"""Store tables of the messaging domain: deliveries, consent, suppressions, template overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base

# The store table is message_delivery: the warehouse fact table `delivery` may share the
# database (PostgreSQL for both planes).
# Statuses after which a delivery is never sent again; each is copied to the warehouse once.
FINAL_STATUSES = frozenset({"sent", "failed", "bounced", "skipped", "holdout", "opened", "clicked"})
# Statuses that count towards the frequency cap: the customer received the message.
RECEIVED_STATUSES = frozenset({"sent", "opened", "clicked", "bounced"})


class Delivery(Base):
    """One message to one customer on one channel; ``key`` makes enqueueing idempotent."""

    __tablename__ = "message_delivery"
    __table_args__ = (
        Index("ix_message_delivery_due", "status", "next_attempt_at"),
        Index("ix_message_delivery_customer_sent", "customer_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    playbook: Mapped[str | None] = mapped_column(String(128))
    step: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(128))
    template: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(8))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    claim: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_message_id: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)
    exported_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class Consent(Base):
    """Whether a customer agreed to messages on a channel, and where that answer came from."""

    __tablename__ = "consent"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Suppression(Base):
    """An address never to send to again on a channel (bounced, complained)."""

    __tablename__ = "suppression"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class MessageTemplate(Base):
    """An edited template overriding the shipped YAML file of the same name."""

    __tablename__ = "message_template"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
