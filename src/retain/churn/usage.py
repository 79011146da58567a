"""Usage-decline alerts: a real drop in a customer's usage against their own history.

The recent window and the baseline are whole weeks, so weekday/weekend patterns cancel. A drop
must be large (``min_drop`` of the daily quantity) and unlikely by chance: the recent count of
active days is compared with the baseline's daily activity rate by a binomial test, so a
customer who uses the product twice a month cannot raise an alert by missing one fortnight.
When the whole population drops (a holiday week), each customer's expectation is scaled by the
population's own drop, so only customers who fell further than everyone else are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from retain.churn.features import active_subscribers
from retain.currency.money import Money


@dataclass(frozen=True)
class AlertThresholds:
    """When a drop becomes an alert, and how severe it is; every field is configurable."""

    recent_days: int = 28
    # The baseline ends this long before the recent window starts: a decline that has been
    # building for weeks must not drag down the very baseline it is measured against.
    gap_days: int = 0
    baseline_days: int = 84
    min_drop: float = 0.6
    # Strict because every customer is tested each run: 0.05 would flag 1 in 20 by chance.
    max_p_value: float = 0.01
    medium_drop: float = 0.75
    high_drop: float = 0.9

    def __post_init__(self) -> None:
        if self.recent_days % 7 or self.baseline_days % 7 or self.gap_days % 7:
            raise ValueError("recent, gap and baseline days must be whole weeks (multiples of 7)")
        if not 0 < self.min_drop <= self.medium_drop <= self.high_drop <= 1:
            raise ValueError("need 0 < min_drop <= medium_drop <= high_drop <= 1")


def usage_windows(
    backend: BaseBackend, *, as_of: datetime, thresholds: AlertThresholds, money: Money
) -> ir.Table:
    """Per active subscriber: quantity and active days in the recent and the baseline window."""
    usage = backend.table("usage_event")
    recent_start = as_of - timedelta(days=thresholds.recent_days)
    baseline_end = recent_start - timedelta(days=thresholds.gap_days)
    baseline_start = baseline_end - timedelta(days=thresholds.baseline_days)
    window = (usage.occurred_at >= ibis.literal(recent_start)) | (
        (usage.occurred_at >= ibis.literal(baseline_start))
        & (usage.occurred_at < ibis.literal(baseline_end))
    )
    rows = usage.filter(window & (usage.occurred_at < ibis.literal(as_of)))
    recent = rows.occurred_at >= ibis.literal(recent_start)
    quantity = rows.quantity.fill_null(1.0)
    day = rows.occurred_at.date()
    windows = rows.group_by("customer_id").aggregate(
        recent_quantity=ibis.cases((recent, quantity), else_=0.0).sum(),
        baseline_quantity=ibis.cases((~recent, quantity), else_=0.0).sum(),
        recent_days=ibis.cases((recent, day), else_=ibis.null()).nunique(),
        baseline_days=ibis.cases((~recent, day), else_=ibis.null()).nunique(),
    )
    subscribers = active_subscribers(backend, as_of=as_of, money=money).select("customer_id")
    return subscribers.inner_join(windows, "customer_id").select(
        "customer_id", "recent_quantity", "baseline_quantity", "recent_days", "baseline_days"
    )


def population_factor(windows: pd.DataFrame, thresholds: AlertThresholds) -> float:
    """How the whole population's daily usage moved (capped at 1: only drops are allowed for)."""
    baseline = windows.baseline_quantity.sum() / thresholds.baseline_days
    if baseline <= 0:
        return 1.0
    return float(min(1.0, windows.recent_quantity.sum() / thresholds.recent_days / baseline))


def visible(day_rate: pd.Series, thresholds: AlertThresholds) -> pd.Series:
    """Whether a full stop would be beyond chance: sparser customers can never raise an alert."""
    from scipy.stats import binom

    return pd.Series(
        binom.cdf(0, thresholds.recent_days, day_rate) <= thresholds.max_p_value,
        index=day_rate.index,
    )


def detect_declines(
    windows: pd.DataFrame, *, thresholds: AlertThresholds, as_of: datetime
) -> pd.DataFrame:
    """The customers whose usage dropped for real, with severity and evidence in words."""
    from scipy.stats import binom

    factor = population_factor(windows, thresholds)
    rate = (windows.baseline_days / thresholds.baseline_days * factor).clip(upper=1.0)
    eligible = windows[visible(rate, thresholds)].copy()
    day_rate = rate[eligible.index]
    expected_days = day_rate * thresholds.recent_days
    eligible["p_value"] = binom.cdf(eligible.recent_days, thresholds.recent_days, day_rate)
    weekly = 7 / thresholds.baseline_days
    eligible["expected_per_week"] = eligible.baseline_quantity * weekly * factor
    eligible["recent_per_week"] = eligible.recent_quantity * 7 / thresholds.recent_days
    eligible["drop"] = 1 - eligible.recent_per_week / eligible.expected_per_week
    alerts = eligible[
        (eligible["drop"] >= thresholds.min_drop) & (eligible.p_value <= thresholds.max_p_value)
    ].copy()
    alerts["severity"] = np.select(
        [alerts["drop"] >= thresholds.high_drop, alerts["drop"] >= thresholds.medium_drop],
        ["high", "medium"],
        default="low",
    )
    alerts["evidence"] = _evidence(alerts, expected_days[alerts.index], thresholds, factor)
    alerts["detected_on"] = as_of.date()
    columns = ["customer_id", "detected_on", "severity", "drop", "recent_per_week"]
    return alerts[[*columns, "expected_per_week", "evidence"]].sort_values(
        ["drop", "customer_id"], ascending=[False, True], ignore_index=True
    )


def _evidence(
    alerts: pd.DataFrame, expected_days: pd.Series, thresholds: AlertThresholds, factor: float
) -> pd.Series:
    """One sentence per alert: the drop, the active days against expectation, the p-value."""
    weeks = thresholds.baseline_days // 7
    suffix = (
        f", allowing for a {round((1 - factor) * 100)}% drop across all customers"
        if factor < 1
        else ""
    )
    sentences = [
        f"usage fell {round(drop * 100)}% vs their own {weeks}-week baseline: {int(days)} active "
        f"days in the last {thresholds.recent_days} vs {expected:.1f} expected "
        f"(p = {p_value:.3f}){suffix}"
        for drop, days, expected, p_value in zip(
            alerts["drop"], alerts.recent_days, expected_days, alerts.p_value, strict=True
        )
    ]
    return pd.Series(sentences, index=alerts.index, dtype="object")
