"""Store tables of the lifetime domain: the latest prediction per customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base


class CustomerPrediction(Base):
    """The latest lifetime-value prediction of a customer, for the API, dashboard and segments."""

    __tablename__ = "customer_prediction"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    model: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(8))
    horizon: Mapped[int] = mapped_column(Integer)
    probability_alive: Mapped[float] = mapped_column(Float)
    expected_purchases: Mapped[float] = mapped_column(Float)
    expected_spend: Mapped[float] = mapped_column(Float)
    clv: Mapped[float] = mapped_column(Float)
    # Null when not even one purchase is expected within the horizon.
    next_order_at: Mapped[datetime | None] = mapped_column(DateTime)
    predicted_at: Mapped[datetime] = mapped_column(DateTime, index=True)
