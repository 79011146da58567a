"""Customers drawn from the models' own stories, to check that a fit recovers the parameters.

Ages T are whole days expressed in weeks, and recency is rounded to a whole day, as real order
data are: that keeps the summary compressible, as it is in production.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Rng = np.random.Generator


def _ages(rng: Rng, customers: int) -> np.ndarray:
    """T between 20 and 52 weeks, in whole days."""
    return rng.integers(20 * 7, 52 * 7 + 1, customers) / 7


def _summary(frequency: np.ndarray, recency: np.ndarray, age: np.ndarray) -> pd.DataFrame:
    recency = np.where(frequency > 0, np.minimum(np.round(recency * 7), age * 7) / 7, 0.0)
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": age})


def _last_of(rng: Rng, purchases: np.ndarray, seen: np.ndarray, until: np.ndarray) -> np.ndarray:
    """Time of purchase number ``purchases`` among ``seen`` uniform on (0, until): an order
    statistic, Beta(k, n - k + 1) distributed."""
    kth = rng.beta(np.maximum(purchases, 1), np.maximum(seen - purchases, 0) + 1)
    return np.where(purchases > 0, until * kth, 0.0)


def simulate_bgnbd(
    rng: Rng, customers: int, *, r: float, alpha: float, a: float, b: float, modified: bool = False
) -> pd.DataFrame:
    """BG/NBD: Poisson purchases at λ ~ Gamma(r, α); after each repeat purchase (and, in the
    modified model, also at time 0) the customer drops out with probability p ~ Beta(a, b)."""
    age = _ages(rng, customers)
    rate = rng.gamma(r, 1 / alpha, customers)
    dropout = rng.beta(a, b, customers)
    seen = rng.poisson(rate * age)  # purchases the customer would make if she never left
    last = rng.geometric(dropout)  # the repeat purchase after which she leaves
    if modified:
        last = last - 1
    frequency = np.minimum(seen, last)
    return _summary(frequency, _last_of(rng, frequency, seen, age), age)


def simulate_pareto(
    rng: Rng, customers: int, *, r: float, alpha: float, s: float, beta: float
) -> pd.DataFrame:
    """Pareto/NBD: Poisson purchases at λ ~ Gamma(r, α) during an exponential lifetime of rate
    μ ~ Gamma(s, β)."""
    age = _ages(rng, customers)
    rate = rng.gamma(r, 1 / alpha, customers)
    death = rng.exponential(1 / rng.gamma(s, 1 / beta, customers))
    alive_for = np.minimum(death, age)
    frequency = rng.poisson(rate * alive_for)
    return _summary(frequency, _last_of(rng, frequency, frequency, alive_for), age)


def simulate_gamma_gamma(
    rng: Rng, customers: int, *, p: float, q: float, gamma: float
) -> pd.DataFrame:
    """Gamma-Gamma: each transaction Gamma(p, ν), ν ~ Gamma(q, γ); x repeat purchases ≥ 1."""
    frequency = 1 + rng.poisson(2.0, customers)
    scale = rng.gamma(q, 1 / gamma, customers)
    # The mean of x Gamma(p, ν) values is Gamma(px, xν).
    monetary = rng.gamma(p * frequency, 1 / (scale * frequency))
    return pd.DataFrame({"frequency": frequency, "monetary": monetary})
