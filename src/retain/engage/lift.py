"""What a playbook caused: treated against held-out customers, with confidence intervals.

Conversion is a proportion in each group; the absolute lift is their difference with Newcombe's
hybrid score interval (``retain.stats``; it keeps its coverage at the small rates and groups a
holdout has, where the Wald interval does not). The relative lift uses the Katz log-ratio
interval. Incremental revenue is the difference of the mean revenue per customer (Welch's
standard error) times the number treated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from retain.currency.service import to_reporting
from retain.stats import Interval, difference_interval, z_score

WINDOWS = (30, 90)


@dataclass(frozen=True)
class Lift:
    """Treated against held out on one outcome."""

    outcome: str
    treated: int
    treated_converted: int
    held_out: int
    held_out_converted: int
    absolute: Interval | None
    relative: Interval | None

    @property
    def treated_rate(self) -> float | None:
        return self.treated_converted / self.treated if self.treated else None

    @property
    def held_out_rate(self) -> float | None:
        return self.held_out_converted / self.held_out if self.held_out else None


def relative_interval(
    treated_converted: int, treated: int, held_converted: int, held: int, confidence: float = 0.95
) -> Interval | None:
    """The treated rate over the held-out rate, minus one, with Katz's log interval."""
    if min(treated_converted, held_converted) == 0 or treated == 0 or held == 0:
        return None
    z = z_score(confidence)
    ratio = (treated_converted / treated) / (held_converted / held)
    error = math.sqrt(1 / treated_converted - 1 / treated + 1 / held_converted - 1 / held)
    return Interval(ratio - 1, ratio * math.exp(-z * error) - 1, ratio * math.exp(z * error) - 1)


def lift(outcome: str, treated: pd.Series, held: pd.Series, confidence: float = 0.95) -> Lift:
    """The lift on a 0/1 ``outcome`` of ``treated`` over ``held`` (missing values left out)."""
    treated, held = treated.dropna().astype(bool), held.dropna().astype(bool)
    counts = (int(treated.sum()), len(treated), int(held.sum()), len(held))
    return Lift(
        outcome=outcome,
        treated=counts[1],
        treated_converted=counts[0],
        held_out=counts[3],
        held_out_converted=counts[2],
        absolute=difference_interval(*counts, confidence=confidence),
        relative=relative_interval(*counts, confidence=confidence),
    )


def incremental_revenue(
    treated: pd.Series, held: pd.Series, confidence: float = 0.95
) -> Interval | None:
    """Revenue the treatment added: the per-customer mean difference times the number treated."""
    treated, held = treated.dropna().astype(float), held.dropna().astype(float)
    if len(treated) < 2 or len(held) < 2:
        return None
    difference = treated.mean() - held.mean()
    error = math.sqrt(treated.var(ddof=1) / len(treated) + held.var(ddof=1) / len(held))
    z = z_score(confidence)
    scale = len(treated)
    return Interval(
        difference * scale, (difference - z * error) * scale, (difference + z * error) * scale
    )


def outcomes(
    *,
    backend: BaseBackend,
    enrollments: pd.DataFrame,
    at: datetime,
    rates: dict[str, Decimal],
) -> pd.DataFrame:
    """Per enrollment: repurchase within 30 and 90 days, revenue within 90, retention at 90.

    A window not yet over at ``at`` gives a missing value, never a zero. Retained at 90 days
    means an order or a usage event in days 60 to 90 after entering and no subscription churn
    within the 90 days.
    """
    if enrollments.empty:
        return enrollments.assign(repurchase_30=[], repurchase_90=[], revenue_90=[], retained_90=[])
    entries = ibis.memtable(
        enrollments[["enrollment_id", "customer_id", "entered_at"]].assign(
            entered_at=pd.to_datetime(enrollments["entered_at"])
        )
    )
    orders = backend.table("order")
    joined = entries.left_join(
        orders,
        [
            entries.customer_id == orders.customer_id,
            orders.ordered_at > entries.entered_at,
            orders.ordered_at <= entries.entered_at + ibis.interval(days=90),
        ],
    )
    amount = to_reporting(amount=joined.amount, currency=joined.currency, rates=rates)
    within_30 = joined.ordered_at <= joined.entered_at + ibis.interval(days=30)
    per_entry = joined.group_by("enrollment_id").aggregate(
        orders_30=within_30.ifelse(1, 0).sum(),
        orders_90=joined.order_id.count(),
        revenue_90=amount.sum(),
    )
    activity = _late_activity(backend, entries)
    frame = (
        per_entry.left_join(activity, "enrollment_id")
        .select(
            "enrollment_id",
            "orders_30",
            "orders_90",
            "revenue_90",
            active_late=ibis.coalesce(activity.active_late, 0),
            churned=ibis.coalesce(activity.churned, 0),
        )
        .execute()
    )
    return _windowed(enrollments.merge(frame, on="enrollment_id", how="left"), at)


def _late_activity(backend: BaseBackend, entries: ir.Table) -> ir.Table:
    orders = backend.table("order")
    usage = backend.table("usage_event")
    changes = backend.table("subscription_change")
    moments = orders.select("customer_id", at=orders.ordered_at).union(
        usage.select("customer_id", at=usage.occurred_at)
    )
    late = (
        entries.join(
            moments,
            [
                entries.customer_id == moments.customer_id,
                moments.at > entries.entered_at + ibis.interval(days=60),
                moments.at <= entries.entered_at + ibis.interval(days=90),
            ],
        )
        .group_by("enrollment_id")
        .aggregate(active_late=ibis._.count())
    )
    churns = (
        entries.join(
            changes,
            [
                entries.customer_id == changes.customer_id,
                changes.kind == "churn",
                changes.changed_at > entries.entered_at,
                changes.changed_at <= entries.entered_at + ibis.interval(days=90),
            ],
        )
        .group_by("enrollment_id")
        .aggregate(churned=ibis._.count())
    )
    return late.outer_join(churns, "enrollment_id").select(
        enrollment_id=ibis.coalesce(late.enrollment_id, churns.enrollment_id),
        active_late=late.active_late,
        churned=churns.churned,
    )


def _windowed(frame: pd.DataFrame, at: datetime) -> pd.DataFrame:
    entered = pd.to_datetime(frame["entered_at"])
    over_30 = entered + timedelta(days=30) <= at
    over_90 = entered + timedelta(days=90) <= at
    result = frame.assign(
        repurchase_30=np.where(over_30, frame["orders_30"].fillna(0) > 0, np.nan),
        repurchase_90=np.where(over_90, frame["orders_90"].fillna(0) > 0, np.nan),
        revenue_90=np.where(over_90, frame["revenue_90"].fillna(0.0), np.nan),
        retained_90=np.where(
            over_90,
            (frame["active_late"].fillna(0) > 0) & (frame["churned"].fillna(0) == 0),
            np.nan,
        ),
    )
    return result.drop(columns=["orders_30", "orders_90", "active_late", "churned"])
