"""The published CDNOW figures: Fader, Hardie & Lee (2005) and Fader & Hardie's notes."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from retain.lifetime import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    compress,
    rfm_summary,
)
from tests.lifetime.cdnow import CALIBRATION_END, cdnow_orders, shipped_summary


def significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits - 1}e}")


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """The RFM summary computed by the warehouse expression from the raw transactions."""
    backend = ibis.duckdb.connect()
    orders = backend.create_table("order", cdnow_orders())
    expression = rfm_summary(orders, calibration_end=CALIBRATION_END, unit="weeks")
    summary = expression.to_pandas().sort_values("customer_id", ignore_index=True)
    summary.attrs["unit"] = "weeks"
    return summary


@pytest.mark.parametrize(
    ("model", "expected", "log_likelihood"),
    [
        (BetaGeoModel, {"r": 0.243, "alpha": 4.41, "a": 0.793, "b": 2.43}, -9582.4),
        (ParetoNBDModel, {"r": 0.553, "alpha": 10.6, "s": 0.606, "beta": 11.7}, -9595.0),
    ],
)
def test_fit_reproduces_the_paper(model: type, expected: dict, log_likelihood: float) -> None:
    fitted = model(unit="weeks").fit(shipped_summary())
    assert {name: significant(value) for name, value in fitted.params.items()} == expected
    assert round(fitted.result.log_likelihood, 1) == log_likelihood
    assert fitted.result.customers == 2357
    assert all(error > 0 for error in fitted.result.standard_errors.values())


def test_bgnbd_standard_errors_match_the_published_ones() -> None:
    # lifetimes' documented CDNOW fit: se(r)=0.0126, se(α)=0.3785, se(a)=0.1857, se(b)=0.7052.
    errors = BetaGeoModel(unit="weeks").fit(shipped_summary()).result.standard_errors
    published = {"r": 0.0126, "alpha": 0.3785, "a": 0.1857, "b": 0.7052}
    for name, value in published.items():
        assert errors[name] == pytest.approx(value, rel=0.01)


def test_bgnbd_conditional_expectation_from_the_paper() -> None:
    # Fader, Hardie & Lee (2005), section 5: E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226.
    fitted = BetaGeoModel(unit="weeks").fit(shipped_summary())
    customer = pd.DataFrame(
        {"customer_id": ["1"], "frequency": [2], "recency": [30.43], "T": [38.86]}
    )
    expected = fitted.expected_purchases(customer, horizon=39)
    assert round(float(expected.loc["1"]), 3) == 1.226


def test_modified_bgnbd_fits_and_lets_one_time_buyers_die() -> None:
    fitted = ModifiedBetaGeoModel(unit="weeks").fit(shipped_summary())
    # Same data, one more way to leave: at least as good a fit as BG/NBD's -9582.4.
    assert fitted.result.log_likelihood > -9582.4
    one_timer = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [38.86]})
    assert float(fitted.probability_alive(one_timer).iloc[0]) < 1
    bgnbd = BetaGeoModel(unit="weeks").fit(shipped_summary())
    assert float(bgnbd.probability_alive(one_timer).iloc[0]) == 1


def test_summary_from_the_warehouse_matches_the_shipped_one(cdnow_summary: pd.DataFrame) -> None:
    shipped = shipped_summary()
    assert len(cdnow_summary) == 2357
    assert (cdnow_summary["customer_id"].astype(int).to_numpy() == shipped["customer_id"]).all()
    assert (cdnow_summary["frequency"].to_numpy() == shipped["frequency"].to_numpy()).all()
    for column in ("recency", "T"):  # the shipped file rounds to two decimals
        assert np.allclose(cdnow_summary[column], shipped[column], atol=0.005)


def test_gamma_gamma_on_the_repeat_buyers(cdnow_summary: pd.DataFrame) -> None:
    fitted = GammaGammaModel().fit(cdnow_summary)
    assert fitted.result.customers == 946
    rounded = {name: significant(value) for name, value in fitted.params.items()}
    assert rounded == {"p": 6.25, "q": 3.74, "gamma": 15.4}
    assert round(fitted.params["gamma"], 2) == 15.44
    # The independence check: a weak correlation (0.11), as published for CDNOW.
    assert fitted.result.diagnostics["frequency_monetary_correlation"] == pytest.approx(
        0.11, abs=0.01
    )


def test_fit_on_the_computed_summary_matches_the_paper(cdnow_summary: pd.DataFrame) -> None:
    fitted = BetaGeoModel(unit="weeks").fit(cdnow_summary)
    assert significant(fitted.params["r"]) == 0.243
    assert round(fitted.result.log_likelihood, 1) == -9582.4


def test_compressed_fit_equals_the_fit_on_every_customer() -> None:
    summary = shipped_summary()
    rows, weights = compress(summary)
    assert len(rows) < len(summary) and weights.sum() == len(summary)
    every = BetaGeoModel(unit="weeks").fit(summary, weights=np.ones(len(summary)))
    compressed = BetaGeoModel(unit="weeks").fit(rows, weights=weights)
    assert every.result.unique_rows == len(summary)
    assert compressed.result.unique_rows == len(rows)
    for name, value in every.params.items():
        assert compressed.params[name] == pytest.approx(value, rel=1e-4)
    assert compressed.result.log_likelihood == pytest.approx(every.result.log_likelihood, abs=1e-3)
