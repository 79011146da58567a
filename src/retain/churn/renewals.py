"""Renewal pipeline: subscriptions renewing soon, with risk, health, owner and MRR at stake.

The forecast of renewed MRR treats each renewal as an independent coin with the customer's
churn probability p: expected Σ mrr·(1 − p), variance Σ mrr²·p·(1 − p), and a 95 % normal
interval clipped to [0, Σ mrr]. Customers without a stored score take the mean of those with one.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.churn.models import ChurnScore, HealthScore
from retain.currency.money import Money
from retain.currency.service import to_reporting

BUCKET_DAYS = 30
UNASSIGNED = "unassigned"
Z_95 = 1.959964


def renewing_subscriptions(
    backend: BaseBackend, *, as_of: datetime, within_days: int, money: Money
) -> ir.Table:
    """Each live subscription whose next renewal falls in ``[as_of, as_of + within_days)``."""
    changes = backend.table("subscription_change")
    before = changes.filter(changes.changed_at < ibis.literal(as_of))
    key = before.subscription_id.fill_null(before.customer_id)
    latest = (
        before.mutate(key=key)
        .group_by("key")
        .aggregate(
            customer_id=before.customer_id.argmax(before.changed_at),
            plan=before.plan.argmax(before.changed_at),
            mrr=to_reporting(
                amount=before.mrr_after, currency=before.currency, rates=money.rates
            ).argmax(before.changed_at),
            renews_at=before.renews_at.argmax(before.changed_at),
        )
    )
    end = as_of + timedelta(days=within_days)
    due = latest.filter(
        (latest.mrr > 0)
        & (latest.renews_at >= ibis.literal(as_of))
        & (latest.renews_at < ibis.literal(end))
    )
    customers = backend.table("customer").select("customer_id", "attributes")
    joined = due.left_join(customers, "customer_id")
    return joined.select(
        "customer_id",
        subscription_id=joined.key,
        plan=joined.plan,
        renews_at=joined.renews_at,
        mrr=joined.mrr,
        attributes=joined.attributes,
    )


def owners_from_attributes(attributes: pd.Series) -> pd.Series:
    """The ``owner`` key of each customer's JSON attributes, or "unassigned"."""
    found = attributes.astype("string").str.extract(r'"owner"\s*:\s*"([^"]+)"', expand=False)
    return found.fillna(UNASSIGNED).astype(str)


def stored_signals(*, session: Session, customer_ids: list[str]) -> pd.DataFrame:
    """Latest churn probability and health score per customer, from the store."""
    scores = pd.DataFrame(
        session.execute(
            select(ChurnScore.customer_id, ChurnScore.probability).where(
                ChurnScore.customer_id.in_(customer_ids)
            )
        ).all(),
        columns=["customer_id", "risk"],
    )
    health = pd.DataFrame(
        session.execute(
            select(HealthScore.customer_id, HealthScore.scored_on, HealthScore.score).where(
                HealthScore.customer_id.in_(customer_ids)
            )
        ).all(),
        columns=["customer_id", "scored_on", "health"],
    )
    latest = health.sort_values("scored_on").drop_duplicates("customer_id", keep="last")
    signals = pd.DataFrame({"customer_id": customer_ids})
    signals = signals.merge(scores, on="customer_id", how="left")
    return signals.merge(latest[["customer_id", "health"]], on="customer_id", how="left")


def build_pipeline(
    renewals: pd.DataFrame, signals: pd.DataFrame, *, as_of: datetime
) -> pd.DataFrame:
    """Renewals with bucket (30/60/90), risk, health, owner and MRR at stake, soonest first."""
    frame = renewals.merge(signals, on="customer_id", how="left")
    days = (pd.to_datetime(frame.renews_at) - pd.Timestamp(as_of)).dt.total_seconds() / 86_400
    frame["within_days"] = (np.floor(days / BUCKET_DAYS).astype(int) + 1) * BUCKET_DAYS
    frame["owner"] = owners_from_attributes(frame.attributes)
    frame["mrr"] = frame.mrr.astype("float64").round(2)
    frame["mrr_at_stake"] = (frame.mrr * frame.risk).round(2)
    columns = ["customer_id", "subscription_id", "plan", "renews_at", "within_days", "owner"]
    return frame[[*columns, "mrr", "risk", "health", "mrr_at_stake"]].sort_values(
        ["renews_at", "customer_id"], ignore_index=True
    )


def forecast_renewed_mrr(pipeline: pd.DataFrame) -> dict[str, float]:
    """Expected renewed MRR with a 95 % interval, and the MRR up for renewal."""
    mrr = pipeline.mrr.to_numpy(dtype=np.float64)
    known = pipeline.risk.dropna()
    fallback = float(known.mean()) if not known.empty else 0.0
    risk = pipeline.risk.fillna(fallback).to_numpy(dtype=np.float64)
    expected = float((mrr * (1 - risk)).sum())
    spread = Z_95 * math.sqrt(float((mrr**2 * risk * (1 - risk)).sum()))
    total = float(mrr.sum())
    return {
        "renewals": int(mrr.size),
        "mrr_up_for_renewal": round(total, 2),
        "expected_renewed_mrr": round(expected, 2),
        "low": round(max(0.0, expected - spread), 2),
        "high": round(min(total, expected + spread), 2),
        "unscored": int(pipeline.risk.isna().sum()),
    }
