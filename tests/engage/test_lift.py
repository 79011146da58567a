"""The lift statistics against published values and an independent implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import relative_risk

from retain.engage.lift import incremental_revenue, lift, relative_interval
from retain.stats import difference_interval


def test_relative_lift_is_scipys_katz_interval_minus_one() -> None:
    interval = relative_interval(30, 100, 20, 100)
    reference = relative_risk(30, 100, 20, 100)
    bounds = reference.confidence_interval(confidence_level=0.95)
    assert interval is not None
    assert interval.estimate == pytest.approx(reference.relative_risk - 1)
    assert (interval.low, interval.high) == pytest.approx((bounds.low - 1, bounds.high - 1))


def test_no_interval_without_both_groups() -> None:
    assert difference_interval(3, 10, 0, 0) is None
    assert relative_interval(3, 10, 0, 10) is None


def test_lift_leaves_out_unobserved_windows() -> None:
    treated = pd.Series([1.0, 0.0, 1.0, np.nan])
    held = pd.Series([0.0, 1.0, np.nan])
    result = lift("repurchase_30", treated, held)
    assert (result.treated, result.treated_converted) == (3, 2)
    assert (result.held_out, result.held_out_converted) == (2, 1)


def test_incremental_revenue_is_the_welch_difference_times_the_treated() -> None:
    rng = np.random.default_rng(7)
    treated, held = pd.Series(rng.gamma(2, 30, 400)), pd.Series(rng.gamma(2, 25, 300))
    interval = incremental_revenue(treated, held)
    difference = treated.mean() - held.mean()
    error = np.sqrt(treated.var() / 400 + held.var() / 300)
    assert interval is not None
    assert interval.estimate == pytest.approx(400 * difference)
    assert interval.high - interval.estimate == pytest.approx(400 * 1.959964 * error, rel=1e-5)
