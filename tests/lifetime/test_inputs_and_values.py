"""Bad input is refused with a reason; a failed fit says what to try; per-customer values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retain.lifetime import (
    BetaGeoModel,
    FitNotConverged,
    GammaGammaModel,
    LifetimeInputError,
    NotFittedError,
    ParetoNBDModel,
    customer_lifetime_value,
    time_to_purchases,
)
from tests.lifetime.cdnow import shipped_summary


def frame(**columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame(columns)


@pytest.mark.parametrize(
    ("summary", "reason"),
    [
        (frame(frequency=[1], recency=[2.0]), "lacks column"),
        (frame(frequency=[-1], recency=[0.0], T=[3.0]), "whole number"),
        (frame(frequency=[1.5], recency=[1.0], T=[3.0]), "whole number"),
        (frame(frequency=[1], recency=[4.0], T=[3.0]), "cannot exceed T"),
        (frame(frequency=[0], recency=[1.0], T=[3.0]), "frequency 0"),
        (frame(frequency=[0], recency=[0.0], T=[-1.0]), "0 or more"),
        (frame(frequency=[1], recency=[np.nan], T=[3.0]), "missing values"),
        (frame(frequency=[], recency=[], T=[]), "no customers"),
    ],
)
def test_impossible_summaries_are_refused(summary: pd.DataFrame, reason: str) -> None:
    with pytest.raises(LifetimeInputError, match=reason):
        BetaGeoModel(unit="weeks").fit(summary)


def test_the_time_unit_is_explicit_and_checked() -> None:
    with pytest.raises(TypeError):
        BetaGeoModel()  # type: ignore[call-arg]
    with pytest.raises(LifetimeInputError, match="unit must be one of"):
        BetaGeoModel(unit="fortnights")  # type: ignore[arg-type]
    with pytest.raises(LifetimeInputError, match="in weeks but the model works in days"):
        BetaGeoModel(unit="days").fit(shipped_summary())


def test_weights_must_fit_the_rows() -> None:
    summary = frame(frequency=[1, 0], recency=[1.0, 0.0], T=[3.0, 3.0])
    with pytest.raises(LifetimeInputError, match="one value per row"):
        BetaGeoModel(unit="weeks").fit(summary, weights=[1.0])
    with pytest.raises(LifetimeInputError, match="positive"):
        BetaGeoModel(unit="weeks").fit(summary, weights=[1.0, 0.0])


def test_predicting_before_fitting_is_refused() -> None:
    with pytest.raises(NotFittedError):
        BetaGeoModel(unit="weeks").probability_alive(shipped_summary())


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel])
def test_a_fit_without_repeat_purchases_fails_with_a_hint(model: type) -> None:
    nobody_returns = frame(frequency=[0] * 50, recency=[0.0] * 50, T=list(range(1, 51)))
    with pytest.raises(FitNotConverged, match="did not converge.*Try: "):
        model(unit="weeks").fit(nobody_returns)


def test_gamma_gamma_needs_positive_repeat_spend() -> None:
    summary = frame(frequency=[2, 1, 0], monetary=[10.0, 0.0, np.nan])
    with pytest.raises(LifetimeInputError, match="more than 0"):
        GammaGammaModel().fit(summary)
    with pytest.raises(LifetimeInputError, match="monetary"):
        GammaGammaModel().fit(frame(frequency=[2, 1]))


@pytest.fixture(scope="module")
def fitted() -> tuple[BetaGeoModel, GammaGammaModel]:
    transactions = BetaGeoModel(unit="weeks").fit(shipped_summary())
    spend = GammaGammaModel()
    spend.result = None
    # The published CDNOW spend parameters, so the values below do not depend on a second fit.
    from retain.lifetime.fitting import FitResult

    spend.result = FitResult(
        model="Gamma-Gamma",
        params={"p": 6.25, "q": 3.74, "gamma": 15.44},
        standard_errors={},
        intervals={},
        log_likelihood=0.0,
        customers=946,
        unique_rows=946,
        seconds=0.0,
        unit=None,
    )
    return transactions, spend


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["regular", "lapsed", "new"],
        "frequency": [2, 2, 0],
        "recency": [30.43, 5.0, 0.0],
        "T": [38.86, 38.86, 38.86],
        "monetary": [40.0, 40.0, np.nan],
    }
)


def test_predictions_are_indexed_by_customer(fitted: tuple) -> None:
    transactions, spend = fitted
    alive = transactions.probability_alive(CUSTOMERS)
    assert list(alive.index) == ["regular", "lapsed", "new"]
    assert alive["new"] == 1 and alive["lapsed"] < alive["regular"] < 1
    mean_spend = spend.expected_spend(CUSTOMERS)
    # With no repeat purchase, the population mean p γ / (q - 1).
    assert mean_spend["new"] == pytest.approx(6.25 * 15.44 / 2.74)
    assert mean_spend["regular"] == pytest.approx(6.25 * (15.44 + 80) / (12.5 + 2.74))


def test_clv_without_discount_is_margin_times_spend_times_purchases(fitted: tuple) -> None:
    transactions, spend = fitted
    clv = customer_lifetime_value(
        transactions=transactions,
        spend=spend,
        summary=CUSTOMERS,
        horizon=52,
        annual_discount_rate=0.0,
        margin=0.3,
    )
    purchases = transactions.expected_purchases(CUSTOMERS, horizon=52)
    expected = 0.3 * spend.expected_spend(CUSTOMERS) * purchases
    pd.testing.assert_series_equal(clv, expected.rename("clv"), check_names=False)
    discounted = customer_lifetime_value(
        transactions=transactions,
        spend=spend,
        summary=CUSTOMERS,
        horizon=52,
        annual_discount_rate=0.1,
        margin=0.3,
    )
    assert (discounted < clv).all() and (discounted > clv / 1.1).all()


def test_time_to_next_purchase(fitted: tuple) -> None:
    transactions, _ = fitted
    times = time_to_purchases(transactions=transactions, summary=CUSTOMERS, within=52)
    reached = times.dropna()
    assert "regular" in reached.index and "lapsed" not in reached.index
    at = transactions.expected_purchases(CUSTOMERS.iloc[[0]], horizon=float(times["regular"]))
    assert float(at.iloc[0]) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel])
def test_a_customer_first_seen_on_the_calibration_end_is_fit_and_predicted(model: type) -> None:
    # T = 0 adds nothing to the likelihood, so the fit must equal the fit without that customer.
    summary = shipped_summary()
    newcomer = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})
    if "customer_id" in summary.columns:
        newcomer["customer_id"] = "today"
    with_newcomer = pd.concat([summary, newcomer], ignore_index=True)
    alone = model(unit="weeks").fit(summary).result
    joined = model(unit="weeks").fit(with_newcomer)
    assert joined.result.log_likelihood == pytest.approx(alone.log_likelihood, abs=1e-6)
    purchases = joined.expected_purchases(with_newcomer.tail(1), horizon=10)
    assert np.isfinite(purchases.iloc[0]) and purchases.iloc[0] > 0
