"""Customer lifetime value and the expected time of the next order, from fitted models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retain.lifetime.compression import expand
from retain.lifetime.fitting import DAYS_PER_UNIT, LifetimeInputError
from retain.lifetime.models import GammaGammaModel, TransactionModel, check_transactions

DAYS_PER_YEAR = 365.25
BISECTION_STEPS = 60


def discount_per_unit(*, annual_discount_rate: float, days_per_unit: float) -> float:
    """The discount rate per time unit that compounds to ``annual_discount_rate`` over a year."""
    if not np.isfinite(annual_discount_rate) or annual_discount_rate < 0:
        raise LifetimeInputError(
            f"the annual discount rate must be 0 or more, not {annual_discount_rate}"
        )
    return float((1 + annual_discount_rate) ** (days_per_unit / DAYS_PER_YEAR) - 1)


def customer_lifetime_value(
    *,
    transactions: TransactionModel,
    spend: GammaGammaModel,
    summary: pd.DataFrame,
    horizon: int,
    annual_discount_rate: float,
    margin: float,
) -> pd.Series:
    """Discounted margin over ``horizon`` units, per customer.

    CLV = margin · E[spend] · Σ_{k=1..horizon} (E[Y(k)] - E[Y(k-1)]) / (1 + d)^k, where d is
    the annual discount rate turned into a rate per unit of the transaction model.
    """
    if horizon < 1 or int(horizon) != horizon:
        raise LifetimeInputError(f"horizon must be a whole number of units, 1 or more: {horizon}")
    if not 0 <= margin <= 1:
        raise LifetimeInputError(f"margin must be a fraction between 0 and 1, not {margin}")
    rate = discount_per_unit(
        annual_discount_rate=annual_discount_rate,
        days_per_unit=DAYS_PER_UNIT[transactions.unit],
    )
    previous = pd.Series(0.0, index=_index(summary))
    discounted = pd.Series(0.0, index=previous.index)
    for step in range(1, int(horizon) + 1):
        cumulative = transactions.expected_purchases(summary, horizon=step)
        discounted += (cumulative.to_numpy() - previous.to_numpy()) / (1 + rate) ** step
        previous = cumulative
    value = margin * spend.expected_spend(summary).to_numpy() * discounted.to_numpy()
    return pd.Series(value, index=previous.index, name="clv")


def time_to_purchases(
    *,
    transactions: TransactionModel,
    summary: pd.DataFrame,
    purchases: float = 1.0,
    within: float,
) -> pd.Series:
    """Time after calibration (in the model's unit) by which ``purchases`` are expected.

    The expected count E[Y(t)] rises with t towards a ceiling below the count for customers
    likely gone, so the answer is NaN where the count is not reached ``within`` the limit.
    """
    if purchases <= 0 or within <= 0:
        raise LifetimeInputError("purchases and the time limit must be more than 0")
    data = check_transactions(summary)
    unique, inverse = expand(data)
    x, t_x, age = (unique[name].to_numpy() for name in ("frequency", "recency", "T"))

    def expected(t: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return transactions.conditional_expected_purchases(t, x, t_x, age)

    low, high = np.zeros(len(unique)), np.full(len(unique), float(within))
    reached = expected(high) >= purchases
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        enough = expected(middle) >= purchases
        high, low = np.where(enough, middle, high), np.where(enough, low, middle)
    times = np.where(reached, high, np.nan)[inverse]
    return pd.Series(times, index=_index(summary), name="time_to_purchases")


def _index(summary: pd.DataFrame) -> pd.Index:
    if "customer_id" in summary.columns:
        return pd.Index(summary["customer_id"], name="customer_id")
    return summary.index
