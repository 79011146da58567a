"""Store tables of the loyalty domain: members, the append-only ledger and what hangs off it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
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
EntryId = BigInteger().with_variant(Integer(), "sqlite")


class LoyaltyMember(Base):
    """An enrolled customer; its row is locked by every ledger write for that customer."""

    __tablename__ = "loyalty_member"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime)
    # Bumped by every ledger write: the UPDATE is the lock that serialises a member's writes.
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    tier: Mapped[str | None] = mapped_column(String(64))
    tier_since: Mapped[datetime | None] = mapped_column(DateTime)
    tier_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    below_tier_since: Mapped[datetime | None] = mapped_column(DateTime)
    referral_code: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    ip: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="en")


class LoyaltyEntry(Base):
    """One ledger entry; never updated or deleted: a correction is another entry."""

    __tablename__ = "loyalty_entry"
    __table_args__ = (
        Index("ix_loyalty_entry_customer", "customer_id", "id"),
        Index("ix_loyalty_entry_reference", "reference"),
    )

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("loyalty_member.customer_id"))
    kind: Mapped[str] = mapped_column(String(16))  # earn, redeem, expire, adjust, reverse
    source: Mapped[str] = mapped_column(String(16))  # order, review, survey, referral, ...
    idempotency_key: Mapped[str] = mapped_column(String(256), unique=True)
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Points count towards the balance from this instant (pending until the return window ends).
    available_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    reference: Mapped[str | None] = mapped_column(String(128))  # order id, reward, referral
    campaign: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)


class LoyaltyAllocation(Base):
    """Which lot (a positive entry) a negative entry drew its points from; append-only."""

    __tablename__ = "loyalty_allocation"

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entry.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entry.id"), index=True)
    # Positive when the entry consumed points of the lot, negative when it gave them back.
    points: Mapped[int] = mapped_column(BigInteger)


class LoyaltyTierChange(Base):
    """Tier history: every promotion and demotion, with the qualifying value that caused it."""

    __tablename__ = "loyalty_tier_change"

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("loyalty_member.customer_id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    from_tier: Mapped[str | None] = mapped_column(String(64))
    to_tier: Mapped[str | None] = mapped_column(String(64))
    qualifying_value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    reason: Mapped[str] = mapped_column(String(32))


class LoyaltyRuleset(Base):
    """A version of the earning rules as the YAML text given; the newest one is in force."""

    __tablename__ = "loyalty_ruleset"

    version: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)


class LoyaltyCampaign(Base):
    """Points a bonus campaign has awarded so far, checked against its budget atomically."""

    __tablename__ = "loyalty_campaign"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    points_awarded: Mapped[int] = mapped_column(BigInteger, default=0)


class LoyaltyRedemption(Base):
    """A reward redeemed: reserved, then confirmed (the coupon is valid) or released."""

    __tablename__ = "loyalty_redemption"

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("loyalty_member.customer_id"), index=True)
    reward: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # reserved, confirmed, released, used
    reserved_at: Mapped[datetime] = mapped_column(DateTime)
    hold_until: Mapped[datetime] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entry.id"))


class LoyaltyReferral(Base):
    """A friend referred by a member, the checks it passed or failed, and its reward state."""

    __tablename__ = "loyalty_referral"
    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    referrer_id: Mapped[str] = mapped_column(ForeignKey("loyalty_member.customer_id"), index=True)
    friend_id: Mapped[str] = mapped_column(String(128), index=True)
    friend_email: Mapped[str | None] = mapped_column(String(320))
    ip: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(128))
    referred_at: Mapped[datetime] = mapped_column(DateTime)
    # pending, review, blocked, qualified, rewarded, cancelled
    status: Mapped[str] = mapped_column(String(16))
    findings: Mapped[str] = mapped_column(Text, default="")  # check names, comma-separated
    order_id: Mapped[str | None] = mapped_column(String(128))
    reward_at: Mapped[datetime | None] = mapped_column(DateTime)
