"""Fits recover the parameters of data simulated by the models themselves (50,000 customers)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from retain.lifetime import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)
from retain.lifetime.fitting import FitResult
from tests.lifetime.simulate import (
    simulate_bgnbd,
    simulate_gamma_gamma,
    simulate_pareto,
)

CUSTOMERS = 50_000
# Four standard errors: a fit that is right fails this about once in 4,000 parameters.
TOLERANCE = 4.0


def assert_recovered(result: FitResult, truth: dict[str, float]) -> None:
    for name, value in truth.items():
        error = result.standard_errors[name]
        assert abs(result.params[name] - value) < TOLERANCE * error, (name, result.params)
        low, high = result.intervals[name]
        assert low < result.params[name] < high


Simulator = Callable[..., pd.DataFrame]
CASES = [
    (BetaGeoModel, simulate_bgnbd, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    (BetaGeoModel, simulate_bgnbd, {"r": 1.5, "alpha": 10.0, "a": 2.0, "b": 6.0}),
    (ParetoNBDModel, simulate_pareto, {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7}),
    (ParetoNBDModel, simulate_pareto, {"r": 1.0, "alpha": 12.0, "s": 1.5, "beta": 40.0}),
]


@pytest.mark.parametrize(("model", "simulate", "truth"), CASES)
def test_transaction_model_recovers_its_parameters(
    model: type, simulate: Simulator, truth: dict[str, float]
) -> None:
    summary = simulate(np.random.default_rng(7), CUSTOMERS, **truth)
    fitted = model(unit="weeks").fit(summary)
    assert fitted.result.customers == CUSTOMERS
    assert_recovered(fitted.result, truth)


@pytest.mark.parametrize(
    "truth",
    [{"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}, {"r": 1.0, "alpha": 5.0, "a": 3.0, "b": 8.0}],
)
def test_modified_bgnbd_recovers_its_parameters(truth: dict[str, float]) -> None:
    summary = simulate_bgnbd(np.random.default_rng(11), CUSTOMERS, modified=True, **truth)
    assert_recovered(ModifiedBetaGeoModel(unit="weeks").fit(summary).result, truth)


@pytest.mark.parametrize(
    "truth", [{"p": 6.0, "q": 3.7, "gamma": 15.0}, {"p": 2.0, "q": 5.0, "gamma": 100.0}]
)
def test_gamma_gamma_recovers_its_parameters(truth: dict[str, float]) -> None:
    summary = simulate_gamma_gamma(np.random.default_rng(3), CUSTOMERS, **truth)
    fitted = GammaGammaModel().fit(summary)
    assert_recovered(fitted.result, truth)
    # Simulated spend is independent of frequency, by construction.
    assert abs(fitted.result.diagnostics["frequency_monetary_correlation"]) < 0.05
