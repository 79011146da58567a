"""Maximum likelihood on log parameters, with standard errors from the numerical Hessian."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

TimeUnit = Literal["days", "weeks", "months"]
TIME_UNITS: tuple[TimeUnit, ...] = ("days", "weeks", "months")
# A month is a twelfth of the mean Gregorian year, so that 12 months make exactly a year.
DAYS_PER_UNIT: dict[TimeUnit, float] = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}
Z_95 = 1.959963984540054
# Beyond e^±25 a parameter has run off to a boundary: the model is not identified on the data.
LOG_PARAMETER_LIMIT = 25.0
SEARCH_BOUND = 30.0
# A standard error of 5 on the log scale: known only to within a factor of 10^4, i.e. unknown.
LOG_ERROR_LIMIT = 5.0

Array = npt.NDArray[np.float64]
Objective = Callable[[Array], float]


class LifetimeInputError(ValueError):
    """Input that a lifetime model cannot use: missing columns, impossible values, wrong unit."""


class FitNotConverged(RuntimeError):
    """The likelihood maximisation did not reach a proper optimum; the message says what to try."""


class NotFittedError(RuntimeError):
    """A prediction was asked of a model that has not been fitted."""


@dataclass(frozen=True)
class FitResult:
    """Estimates, standard errors, 95% intervals and the size and cost of a fit."""

    model: str
    params: dict[str, float]
    standard_errors: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    log_likelihood: float
    customers: int
    unique_rows: int
    seconds: float
    unit: TimeUnit | None
    diagnostics: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """A plain, JSON-friendly dictionary."""
        return {
            "model": self.model,
            "unit": self.unit,
            "params": self.params,
            "standard_errors": self.standard_errors,
            "intervals": {name: list(pair) for name, pair in self.intervals.items()},
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
            "unique_rows": self.unique_rows,
            "seconds": self.seconds,
            "diagnostics": self.diagnostics,
        }


def check_unit(unit: str) -> TimeUnit:
    """``unit`` if it is one of days, weeks or months; a clear error otherwise."""
    if unit not in TIME_UNITS:
        raise LifetimeInputError(f"unit must be one of {', '.join(TIME_UNITS)}, not {unit!r}")
    return unit  # type: ignore[return-value]


def maximise_likelihood(
    log_likelihood: Callable[[Array], Array],
    *,
    weights: Array,
    names: tuple[str, ...],
    model: str,
    unit: TimeUnit | None,
    hint: str,
) -> FitResult:
    """Maximise the weighted sum of ``log_likelihood(log_params)`` over rows; raise if it fails."""
    started = time.perf_counter()
    total = float(weights.sum())

    def mean_negative(log_params: Array) -> float:
        # The mean, not the sum, keeps optimiser tolerances independent of the number of customers.
        with np.errstate(all="ignore"):
            value = -float(np.dot(weights, log_likelihood(log_params))) / total
        return value if np.isfinite(value) else np.inf

    optimum = _optimise(mean_negative, np.zeros(len(names)))
    value = mean_negative(optimum)
    if not np.isfinite(value) or np.any(np.abs(optimum) > LOG_PARAMETER_LIMIT):
        raise FitNotConverged(
            _failure(model, optimum, names, "a parameter ran off to 0 or ∞", hint)
        )
    hessian = total * numerical_hessian(mean_negative, optimum)
    covariance = _covariance(hessian)
    if covariance is None:
        raise FitNotConverged(
            _failure(model, optimum, names, "the likelihood is flat or not at a maximum", hint)
        )
    log_errors = np.sqrt(np.diag(covariance))
    if np.any(log_errors > LOG_ERROR_LIMIT):
        raise FitNotConverged(
            _failure(model, optimum, names, "the data do not pin the parameters down", hint)
        )
    params = np.exp(optimum)
    return FitResult(
        model=model,
        params=dict(zip(names, params.tolist(), strict=True)),
        # Delta method: the standard error of θ = e^u is θ · se(u).
        standard_errors=dict(zip(names, (params * log_errors).tolist(), strict=True)),
        # Intervals built on the log scale stay positive, as the parameters must.
        intervals={
            name: (float(np.exp(u - Z_95 * e)), float(np.exp(u + Z_95 * e)))
            for name, u, e in zip(names, optimum, log_errors, strict=True)
        },
        log_likelihood=-value * total,
        customers=int(round(total)),
        unique_rows=len(weights),
        seconds=time.perf_counter() - started,
        unit=unit,
    )


def _optimise(objective: Objective, start: Array) -> Array:
    """L-BFGS-B from ``start``; when it stops short, Nelder-Mead and then BFGS from there."""
    from scipy.optimize import minimize

    bounds = [(-SEARCH_BOUND, SEARCH_BOUND)] * len(start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        quick = minimize(
            objective,
            start,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 2000},
        )
        if quick.success and np.isfinite(quick.fun):
            return np.asarray(quick.x, dtype=np.float64)
        # A slow but sturdy search for likelihoods that the gradient method cannot walk.
        rough = minimize(
            objective,
            quick.x if np.isfinite(quick.fun) else start,
            method="Nelder-Mead",
            options={"maxiter": 5000, "xatol": 1e-7, "fatol": 1e-12, "adaptive": True},
        )
        fine = minimize(objective, rough.x, method="BFGS", options={"gtol": 1e-9})
    best = fine.x if fine.fun <= rough.fun else rough.x
    return np.asarray(best, dtype=np.float64)


def numerical_hessian(objective: Objective, point: Array, step: float = 1e-4) -> Array:
    """Central-difference second derivatives of ``objective`` at ``point``."""
    size = len(point)
    hessian = np.empty((size, size))
    unit = np.eye(size) * step
    centre = objective(point)
    for i in range(size):
        plus, minus = objective(point + unit[i]), objective(point - unit[i])
        hessian[i, i] = (plus - 2 * centre + minus) / step**2
        for j in range(i):
            corners = (
                objective(point + unit[i] + unit[j])
                - objective(point + unit[i] - unit[j])
                - objective(point - unit[i] + unit[j])
                + objective(point - unit[i] - unit[j])
            )
            hessian[i, j] = hessian[j, i] = corners / (4 * step**2)
    return hessian


def _covariance(hessian: Array) -> Array | None:
    """The inverse Hessian, or None when it is not positive definite (no proper maximum)."""
    if not np.all(np.isfinite(hessian)):
        return None
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return None
    return np.asarray(np.linalg.inv(hessian), dtype=np.float64)


def _failure(model: str, optimum: Array, names: tuple[str, ...], why: str, hint: str) -> str:
    reached = ", ".join(f"{n}={v:.4g}" for n, v in zip(names, np.exp(optimum), strict=True))
    return f"{model} fit did not converge: {why} (reached {reached}). Try: {hint}"
