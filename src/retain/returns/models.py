"""Store tables of the returns domain: requests, their lines and history, credit, outboxes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing row id.
RowId = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(18, 2)


class ReturnRequest(Base):
    """One return request of one order; its ``revision`` UPDATE is the lock of every change."""

    __tablename__ = "return_request"
    __table_args__ = (Index("ix_return_request_state", "state", "due_at"),)

    return_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(256), unique=True)
    order_id: Mapped[str] = mapped_column(String(128), index=True)
    customer_id: Mapped[str] = mapped_column(String(128), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(8), default="en")
    state: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    state_since: Mapped[datetime] = mapped_column(DateTime)
    # When the current waiting state is overdue (its SLA), None in final states.
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[str] = mapped_column(Text, default="")  # stored file names, comma-separated
    wanted: Mapped[str] = mapped_column(String(16))  # refund, credit, exchange
    exchange_for: Mapped[str | None] = mapped_column(String(128))
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_reason: Mapped[str | None] = mapped_column(
        String(16)
    )  # final_sale, window_passed, other
    decline_note: Mapped[str | None] = mapped_column(Text)
    items_value: Mapped[Decimal] = mapped_column(Money)
    fees: Mapped[Decimal] = mapped_column(Money)
    bonus: Mapped[Decimal] = mapped_column(Money)
    resolution: Mapped[str | None] = mapped_column(String(16))  # refunded, credited, exchanged
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReturnOrderLock(Base):
    """One row per order with returns: writing it serialises requests for that order."""

    __tablename__ = "return_order_lock"

    order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(DateTime)


class ReturnLine(Base):
    """Units of one order line in a request, and what was paid for them."""

    __tablename__ = "return_line"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("return_request.return_id"), index=True)
    line_number: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str | None] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Money)  # paid for these units, before fees
    condition: Mapped[str] = mapped_column(String(32))


class ReturnTransition(Base):
    """The request's history: every change of state, who made it and when; append-only."""

    __tablename__ = "return_transition"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("return_request.return_id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)


class ReturnPolicyVersion(Base):
    """A version of the return policy as the YAML text given; the newest one is in force."""

    __tablename__ = "return_policy"

    version: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(128))


class CreditAccount(Base):
    """A customer's store-credit account; its row is locked by every ledger write."""

    __tablename__ = "store_credit_account"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    opened_at: Mapped[datetime] = mapped_column(DateTime)


class CreditEntry(Base):
    """One store-credit entry; never updated or deleted: a correction is another entry."""

    __tablename__ = "store_credit_entry"
    __table_args__ = (Index("ix_store_credit_entry_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("store_credit_account.customer_id"))
    kind: Mapped[str] = mapped_column(String(16))  # credit, bonus, spend, adjust
    idempotency_key: Mapped[str] = mapped_column(String(256), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)  # positive adds, negative takes
    created_at: Mapped[datetime] = mapped_column(DateTime)
    reference: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)


class ReturnWebhook(Base):
    """Where the shop receives refund and exchange instructions, and the key that signs them."""

    __tablename__ = "return_webhook"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ReturnInstruction(Base):
    """An instruction to the shop (outbox row): sent until confirmed, exactly one per resolution."""

    __tablename__ = "return_instruction"
    __table_args__ = (Index("ix_return_instruction_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(256), unique=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("return_request.return_id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # refund, exchange, credit
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, fixed at creation
    status: Mapped[str] = mapped_column(String(16))  # pending, confirmed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmation: Mapped[str | None] = mapped_column(Text)  # the shop's answer or callback


class ReturnOutboxEvent(Base):
    """A resolved return waiting to become a warehouse ``return_event`` row (copied once)."""

    __tablename__ = "return_outbox_event"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    return_id: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(String(128))
    returned_at: Mapped[datetime] = mapped_column(DateTime)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
