"""BG/NBD, modified BG/NBD, Pareto/NBD and Gamma-Gamma: fitted by maximum likelihood.

Every transaction model reads an RFM summary: one row per customer with ``frequency`` (repeat
purchases), ``recency`` (first to last purchase) and ``T`` (first purchase to the end of
calibration), the last two in the model's time unit. Identical rows are fitted once, weighted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Self

import numpy as np
import pandas as pd

from retain.lifetime.compression import compress, expand
from retain.lifetime.fitting import (
    Array,
    FitResult,
    LifetimeInputError,
    NotFittedError,
    TimeUnit,
    check_unit,
    maximise_likelihood,
)

TRANSACTION_COLUMNS = ("frequency", "recency", "T")
SPEND_COLUMNS = ("frequency", "monetary")
TRANSACTION_HINT = (
    "check that the summary holds repeat buyers and that recency and T are in the model's unit; "
    "a coarser unit (weeks instead of days) or more customers usually helps"
)


def _by_customer(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary indexed by customer_id when it carries that column."""
    if "customer_id" in summary.columns:
        return summary.set_index("customer_id")
    return summary


def _check_weights(weights: object, rows: int) -> Array:
    values = np.asarray(weights, dtype=np.float64)
    if values.shape != (rows,):
        raise LifetimeInputError(
            f"weights must have one value per row ({rows}), not {values.shape}"
        )
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise LifetimeInputError("weights must be positive, finite numbers")
    return values


def _check_summary(summary: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(summary, pd.DataFrame):
        raise LifetimeInputError("the summary must be a pandas DataFrame")
    missing = [name for name in columns if name not in summary.columns]
    if missing:
        raise LifetimeInputError(f"the summary lacks column(s): {', '.join(missing)}")
    if summary.empty:
        raise LifetimeInputError("the summary has no customers")
    data = summary[list(columns)]
    if data.isna().to_numpy().any():
        raise LifetimeInputError(f"the summary has missing values in {', '.join(columns)}")
    frequency = data["frequency"].to_numpy(dtype=np.float64)
    if np.any(frequency < 0) or np.any(frequency != np.round(frequency)):
        raise LifetimeInputError("frequency must be a whole number of repeat purchases, 0 or more")
    return data.astype(np.float64)


def check_transactions(summary: pd.DataFrame) -> pd.DataFrame:
    """frequency, recency and T as floats, after checking they describe possible customers."""
    data = _check_summary(summary, TRANSACTION_COLUMNS)
    recency, age = data["recency"].to_numpy(), data["T"].to_numpy()
    # T = 0 is a customer first seen on the calibration end: no exposure yet, but a real one.
    if np.any(recency < 0) or np.any(age < 0):
        raise LifetimeInputError("recency and T must be 0 or more")
    # A small tolerance: recency and T are often rounded separately (30.43 vs 30.4286).
    if np.any(recency > age * (1 + 1e-9) + 1e-9):
        raise LifetimeInputError("recency cannot exceed T (the last purchase is before the end)")
    if np.any((data["frequency"].to_numpy() == 0) & (recency != 0)):
        raise LifetimeInputError("a customer with frequency 0 must have recency 0")
    return data


def _check_unit_of(summary: pd.DataFrame, unit: TimeUnit) -> None:
    stated = summary.attrs.get("unit")
    if stated is not None and stated != unit:
        raise LifetimeInputError(
            f"the summary is in {stated} but the model works in {unit}; "
            f"recompute the summary in {unit} or make the model with unit={stated!r}"
        )


class TransactionModel(ABC):
    """A model of repeat purchases: fit on an RFM summary, predict per customer."""

    name: ClassVar[str]
    parameter_names: ClassVar[tuple[str, ...]]

    def __init__(self, *, unit: TimeUnit) -> None:
        self.unit: TimeUnit = check_unit(unit)
        self.result: FitResult | None = None

    @property
    def params(self) -> dict[str, float]:
        """The fitted parameters by name."""
        if self.result is None:
            raise NotFittedError(f"fit the {self.name} model before asking for predictions")
        return self.result.params

    def _values(self) -> tuple[float, ...]:
        return tuple(self.params[name] for name in self.parameter_names)

    def fit(self, summary: pd.DataFrame, *, weights: object = None) -> Self:
        """Maximum-likelihood fit; without weights, identical rows are compressed first."""
        _check_unit_of(summary, self.unit)
        data = check_transactions(summary)
        if weights is None:
            data, counts = compress(data, TRANSACTION_COLUMNS)
        else:
            counts = _check_weights(weights, len(data))
        x, t_x, age = (data[name].to_numpy() for name in TRANSACTION_COLUMNS)
        self.result = maximise_likelihood(
            lambda log_params: self.log_likelihood(np.exp(log_params), x, t_x, age),
            weights=counts,
            names=self.parameter_names,
            model=self.name,
            unit=self.unit,
            hint=TRANSACTION_HINT,
        )
        return self

    @staticmethod
    @abstractmethod
    def log_likelihood(params: Array, x: Array, t_x: Array, age: Array) -> Array:
        """The log-likelihood of each row for parameters ``params``."""

    @abstractmethod
    def conditional_probability_alive(self, x: Array, t_x: Array, age: Array) -> Array:
        """P(alive at T | x, t_x, T), on arrays."""

    @abstractmethod
    def conditional_expected_purchases(
        self, t: float | Array, x: Array, t_x: Array, age: Array
    ) -> Array:
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t], on arrays (t may be one too)."""

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(alive at the end of calibration), per customer."""
        return self._predict(summary, self.conditional_probability_alive, "probability_alive")

    def expected_purchases(self, summary: pd.DataFrame, *, horizon: float) -> pd.Series:
        """Expected purchases in the ``horizon`` units after calibration, per customer."""
        if not np.isfinite(horizon) or horizon < 0:
            raise LifetimeInputError(f"horizon must be 0 or more {self.unit}, not {horizon}")
        return self._predict(
            summary,
            lambda x, t_x, age: self.conditional_expected_purchases(horizon, x, t_x, age),
            "expected_purchases",
        )

    def _predict(self, summary: pd.DataFrame, formula: object, name: str) -> pd.Series:
        _check_unit_of(summary, self.unit)
        indexed = _by_customer(summary)
        data = check_transactions(indexed)
        unique, inverse = expand(data, TRANSACTION_COLUMNS)
        x, t_x, age = (unique[column].to_numpy() for column in TRANSACTION_COLUMNS)
        with np.errstate(all="ignore"):
            values = formula(x, t_x, age)  # type: ignore[operator]
        return pd.Series(np.asarray(values)[inverse], index=indexed.index, name=name)


class BetaGeoModel(TransactionModel):
    """BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Marketing
    Science 24(2), 275-284.

    While alive a customer buys at Poisson rate λ ~ Gamma(r, α); after each purchase she drops
    out with probability p ~ Beta(a, b). For x repeat purchases, the last at t_x, in (0, T]:

        L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / Γ(r) · [(α+T)^-(r+x)
            + 1{x>0} a/(b+x-1) · (α+t_x)^-(r+x)]                                      (eq. 6)
        P(alive) = 1 / (1 + 1{x>0} a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))
        E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x)
            · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))] · P(alive)                         (eq. 10)
    """

    name = "BG/NBD"
    parameter_names = ("r", "alpha", "a", "b")

    @staticmethod
    def log_likelihood(params: Array, x: Array, t_x: Array, age: Array) -> Array:
        from scipy.special import betaln, gammaln

        r, alpha, a, b = params
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
        stays = -(r + x) * np.log(alpha + age)
        # Only a customer with a repeat purchase can have dropped out after it.
        drops = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        return np.asarray(common + np.logaddexp(stays, drops), dtype=np.float64)

    def _odds_dead(self, x: Array, t_x: Array, age: Array) -> Array:
        r, alpha, a, b = self._values()
        log_odds = (
            np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        )
        return np.where(x > 0, np.exp(log_odds), 0.0)

    def conditional_probability_alive(self, x: Array, t_x: Array, age: Array) -> Array:
        return 1.0 / (1.0 + self._odds_dead(x, t_x, age))

    def conditional_expected_purchases(
        self, t: float | Array, x: Array, t_x: Array, age: Array
    ) -> Array:
        from scipy.special import hyp2f1

        r, alpha, a, b = self._values()
        shrink = ((alpha + age) / (alpha + age + t)) ** (r + x)
        series = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t))
        lead = (a + b + x - 1) / (a - 1)
        return np.asarray(
            lead * (1 - shrink * series) * self.conditional_probability_alive(x, t_x, age)
        )


class ModifiedBetaGeoModel(TransactionModel):
    """MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of
    models for customer base analysis", IJRM 24(3), 201-209.

    As BG/NBD, but a customer may also drop out at time 0, right after the first purchase, so a
    customer with no repeat purchase can be dead too:

        L = B(a, b+x+1)/B(a, b) · Γ(r+x) α^r / Γ(r) · [(α+T)^-(r+x) + a/(b+x) · (α+t_x)^-(r+x)]
        P(alive) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x))
        E[Y(t) | x, t_x, T] = (a+b+x)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x)
            · 2F1(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive)
    """

    name = "MBG/NBD"
    parameter_names = ("r", "alpha", "a", "b")

    @staticmethod
    def log_likelihood(params: Array, x: Array, t_x: Array, age: Array) -> Array:
        from scipy.special import betaln, gammaln

        r, alpha, a, b = params
        common = (
            gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + 1) - betaln(a, b)
        )
        stays = -(r + x) * np.log(alpha + age)
        drops = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
        return np.asarray(common + np.logaddexp(stays, drops), dtype=np.float64)

    def conditional_probability_alive(self, x: Array, t_x: Array, age: Array) -> Array:
        r, alpha, a, b = self._values()
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        return np.asarray(1.0 / (1.0 + np.exp(log_odds)))

    def conditional_expected_purchases(
        self, t: float | Array, x: Array, t_x: Array, age: Array
    ) -> Array:
        from scipy.special import hyp2f1

        r, alpha, a, b = self._values()
        shrink = ((alpha + age) / (alpha + age + t)) ** (r + x)
        series = hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + age + t))
        lead = (a + b + x) / (a - 1)
        return np.asarray(
            lead * (1 - shrink * series) * self.conditional_probability_alive(x, t_x, age)
        )


class ParetoNBDModel(TransactionModel):
    """Pareto/NBD: Schmittlein, Morrison & Colombo (1987), Management Science 33(1), 1-24; the
    likelihood and expressions as derived in Fader & Hardie (2005), "A Note on Deriving the
    Pareto/NBD Model and Related Expressions".

    While alive a customer buys at Poisson rate λ ~ Gamma(r, α); lifetimes are exponential with
    rate μ ~ Gamma(s, β). With A0 from eq. 19-20 of the note (a difference of two Gauss
    hypergeometric terms, computed here in log space, on whichever of α, β is larger):

        L = Γ(r+x) α^r β^s / Γ(r) · [1/((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A0]       (eq. 22)
        P(alive) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A0)
        E[Y(t) | x, t_x, T] = (r+x)(β+T) / ((α+T)(s-1)) · [1 - ((β+T)/(β+T+t))^(s-1)] · P(alive)
    """

    name = "Pareto/NBD"
    parameter_names = ("r", "alpha", "s", "beta")

    @staticmethod
    def log_a0(params: Array, x: Array, t_x: Array, age: Array) -> Array:
        """log A0, the integral over deaths between t_x and T (Fader & Hardie 2005, eq. 19-20)."""
        from scipy.special import hyp2f1

        r, alpha, s, beta = params
        # 2F1 converges best with its argument |α-β|/(max+t) in [0, 1): expand on the larger.
        if alpha >= beta:
            larger, second = alpha, s + 1
        else:
            larger, second = beta, r + x
        rsx = r + s + x
        gap = abs(alpha - beta)
        at_last = np.log(hyp2f1(rsx, second, rsx + 1, gap / (larger + t_x))) - rsx * np.log(
            larger + t_x
        )
        at_end = np.log(hyp2f1(rsx, second, rsx + 1, gap / (larger + age))) - rsx * np.log(
            larger + age
        )
        # log(e^at_last - e^at_end), with at_last >= at_end; -inf when the two coincide (t_x = T).
        return np.asarray(at_last + np.log1p(-np.exp(np.minimum(at_end - at_last, 0.0))))

    @staticmethod
    def log_likelihood(params: Array, x: Array, t_x: Array, age: Array) -> Array:
        from scipy.special import gammaln

        r, alpha, s, beta = params
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
        died = np.log(s) - np.log(r + s + x) + ParetoNBDModel.log_a0(params, x, t_x, age)
        return np.asarray(common + np.logaddexp(alive, died), dtype=np.float64)

    def conditional_probability_alive(self, x: Array, t_x: Array, age: Array) -> Array:
        r, alpha, s, beta = self._values()
        log_odds = (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + age)
            + s * np.log(beta + age)
            + self.log_a0(np.array(self._values()), x, t_x, age)
        )
        return np.asarray(1.0 / (1.0 + np.exp(log_odds)))

    def conditional_expected_purchases(
        self, t: float | Array, x: Array, t_x: Array, age: Array
    ) -> Array:
        r, alpha, s, beta = self._values()
        ratio = (beta + age) / (beta + age + t)
        # (1 - ratio^(s-1)) / (s-1) tends to -log(ratio) as s -> 1.
        near_one = abs(s - 1) < 1e-8
        horizon_term = -np.log(ratio) if near_one else (1 - ratio ** (s - 1)) / (s - 1)
        rate = (r + x) * (beta + age) / (alpha + age)
        return np.asarray(rate * horizon_term * self.conditional_probability_alive(x, t_x, age))


class GammaGammaModel:
    """Gamma-Gamma spend: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for
    Customer Base Analysis", JMR 42(4), 415-430; Fader & Hardie (2013), "The Gamma-Gamma Model
    of Monetary Value".

    Each transaction value is Gamma(p, ν), with ν ~ Gamma(q, γ) across customers. For a customer
    with x repeat transactions of mean value m_x:

        L = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m_x^(px-1) x^(px) / (γ + m_x x)^(px+q)
        E[M | x, m_x] = p (γ + m_x x) / (px + q - 1)

    It assumes spend per transaction is independent of how often a customer buys; the fit
    reports the Pearson correlation of frequency and monetary among repeat buyers to check it.
    """

    name = "Gamma-Gamma"
    parameter_names = ("p", "q", "gamma")

    def __init__(self) -> None:
        self.result: FitResult | None = None

    @property
    def params(self) -> dict[str, float]:
        """The fitted parameters by name."""
        if self.result is None:
            raise NotFittedError("fit the Gamma-Gamma model before asking for predictions")
        return self.result.params

    @staticmethod
    def log_likelihood(params: Array, x: Array, m: Array) -> Array:
        """The log-likelihood of each (x, m_x) row."""
        from scipy.special import gammaln

        p, q, gamma = params
        return np.asarray(
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(gamma)
            + (p * x - 1) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(gamma + m * x),
            dtype=np.float64,
        )

    def fit(self, summary: pd.DataFrame, *, weights: object = None) -> Self:
        """Fit on the repeat buyers (frequency > 0) of ``summary``; others carry no spend data."""
        if not isinstance(summary, pd.DataFrame) or "monetary" not in summary.columns:
            raise LifetimeInputError("the summary lacks column(s): monetary")
        # Customers without a repeat purchase have no monetary value: they carry no spend data.
        repeat = (summary["frequency"] > 0).to_numpy()
        buyers = _check_summary(summary[repeat], SPEND_COLUMNS)
        if len(buyers) < 2:
            raise LifetimeInputError("Gamma-Gamma needs at least two repeat buyers")
        if np.any(buyers["monetary"].to_numpy() <= 0):
            raise LifetimeInputError("monetary must be more than 0 for every repeat buyer")
        if weights is None:
            rows, counts = compress(buyers, SPEND_COLUMNS)
        else:
            rows, counts = buyers, _check_weights(weights, len(summary))[repeat]
        x, m = rows["frequency"].to_numpy(), rows["monetary"].to_numpy()
        result = maximise_likelihood(
            lambda log_params: self.log_likelihood(np.exp(log_params), x, m),
            weights=counts,
            names=self.parameter_names,
            model=self.name,
            unit=None,
            hint="check that monetary is the mean value of repeat purchases, in one currency",
        )
        correlation = weighted_correlation(x, m, counts)
        self.result = FitResult(
            **{**result.__dict__, "diagnostics": {"frequency_monetary_correlation": correlation}}
        )
        return self

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """E[spend per transaction | x, m_x], per customer; the population mean when x = 0."""
        p, q, gamma = (self.params[name] for name in self.parameter_names)
        indexed = _by_customer(summary)
        x = indexed["frequency"].to_numpy(dtype=np.float64)
        m = np.nan_to_num(indexed["monetary"].to_numpy(dtype=np.float64)) * (x > 0)
        return pd.Series(
            p * (gamma + m * x) / (p * x + q - 1), index=indexed.index, name="expected_spend"
        )


def weighted_correlation(x: Array, y: Array, weights: Array) -> float:
    """Pearson correlation of x and y over rows repeated ``weights`` times."""
    mean_x, mean_y = np.average(x, weights=weights), np.average(y, weights=weights)
    cov = np.average((x - mean_x) * (y - mean_y), weights=weights)
    var_x = np.average((x - mean_x) ** 2, weights=weights)
    var_y = np.average((y - mean_y) ** 2, weights=weights)
    return float(cov / np.sqrt(var_x * var_y)) if var_x > 0 and var_y > 0 else float("nan")
