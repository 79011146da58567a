"""Store tables of the segments domain: definitions and the history of who was in each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base


class SegmentDefinition(Base):
    """A named segment: a rule, or (built in, rule null) one cell group of the RFM grid."""

    __tablename__ = "segment_definition"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    built_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # The moment of the latest refresh: refreshing earlier would write history out of order.
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime)


class SegmentMembership(Base):
    """One stay of a customer in a segment: open while exited_at is null."""

    __tablename__ = "segment_membership"
    __table_args__ = (
        Index("ix_segment_membership_segment_customer", "segment", "customer_id"),
        # At most one open stay per segment and customer.
        Index(
            "ux_segment_membership_open",
            "segment",
            "customer_id",
            unique=True,
            sqlite_where=text("exited_at IS NULL"),
            postgresql_where=text("exited_at IS NULL"),
        ),
        Index("ix_segment_membership_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    segment: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    entered_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    exited_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
