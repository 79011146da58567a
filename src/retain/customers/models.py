"""Store tables of the customers domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base


class CustomerProfile(Base):
    """Who a customer is and how to reach them; the warehouse `customer` table holds the facts."""

    __tablename__ = "customer_profile"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(16))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    signup_at: Mapped[datetime | None] = mapped_column(DateTime)
