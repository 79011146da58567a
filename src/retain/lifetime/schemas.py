"""Response bodies of the lifetime routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class PredictionRead(BaseModel):
    """A customer's latest lifetime-value prediction, as ``retain clv predict`` stored it."""

    model_config = ConfigDict(from_attributes=True, protected_namespaces=())

    customer_id: str
    model: str
    unit: str
    horizon: int
    probability_alive: float
    expected_purchases: float
    expected_spend: float
    clv: float
    next_order_at: datetime | None
    predicted_at: datetime
