"""What a template may use about a customer: profile, predictions and product suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import ibis
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from retain.churn.models import ChurnScore
from retain.customers.models import CustomerProfile
from retain.lifetime.tables import CustomerPrediction

RECENT_DAYS = 90
SUGGESTIONS = 3


def profile_context(profile: CustomerProfile | None, customer_id: str) -> dict[str, Any]:
    """The profile fields a message may show (no phone: it never belongs in a message body)."""
    if profile is None:
        return {"customer_id": customer_id, "name": None, "email": None, "language": None}
    return {
        "customer_id": customer_id,
        "name": profile.name,
        "email": profile.email,
        "language": profile.language,
        "country": profile.country,
    }


def message_context(*, session: Session, backend: BaseBackend, customer_id: str) -> dict[str, Any]:
    """The customer's real context: profile, CLV and churn risk when known, suggested products."""
    prediction = session.get(CustomerPrediction, customer_id)
    churn = session.get(ChurnScore, customer_id)
    return {
        "customer": profile_context(session.get(CustomerProfile, customer_id), customer_id),
        "clv": prediction.clv if prediction else None,
        "churn_risk": churn.probability if churn else None,
        "recommended_products": recommended_products(backend=backend, customer_id=customer_id),
    }


def recommended_products(
    *, backend: BaseBackend, customer_id: str, at: datetime | None = None
) -> list[dict[str, Any]]:
    """The best sellers of the customer's favourite categories that they did not buy lately."""
    lines = backend.table("order_line")
    orders = backend.table("order")
    bought = lines.join(orders, lines.order_id == orders.order_id)
    own = bought.filter(bought.customer_id == customer_id)
    last_order = own.ordered_at.max().execute()
    if last_order is None or pd.isna(last_order):  # PostgreSQL answers NaT for no orders
        return []
    since = (at or last_order) - timedelta(days=RECENT_DAYS)
    categories = (
        own.filter(own.category.notnull())
        .group_by("category")
        .aggregate(bought=own.quantity.sum())
        .order_by(ibis.desc("bought"))
        .limit(2)
    )
    recent = own.filter(own.ordered_at >= since).select("product_id").distinct()
    popular = (
        bought.filter(bought.category.isin(categories.category))
        .filter(~bought.product_id.isin(recent.product_id))
        .group_by(["product_id", "product_name", "category"])
        .aggregate(sold=bought.quantity.sum())
        .order_by([ibis.desc("sold"), "product_id"])
        .limit(SUGGESTIONS)
    )
    frame = popular.execute()
    return [
        {"product_id": row.product_id, "product_name": row.product_name, "category": row.category}
        for row in frame.itertuples()
    ]
