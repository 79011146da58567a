"""Confidence intervals on proportions, shared by every domain that compares rates.

Wilson's score interval keeps its coverage at the small counts and rates a survey or a holdout
has, where the Wald interval does not. The difference of two proportions uses Newcombe's hybrid
score interval (method 10 of Newcombe 1998, Statistics in Medicine 17:873-890), built from the
two Wilson intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def z_score(confidence: float) -> float:
    """The standard normal quantile of a two-sided ``confidence`` level."""
    # SciPy loads with the first interval: command start-up and the server need not pay for it.
    from scipy import stats

    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(converted: int, total: int, z: float) -> tuple[float, float]:
    """Wilson's score interval of a proportion."""
    rate = converted / total
    centre = rate + z * z / (2 * total)
    spread = z * math.sqrt(rate * (1 - rate) / total + z * z / (4 * total * total))
    denominator = 1 + z * z / total
    return (centre - spread) / denominator, (centre + spread) / denominator


def difference_interval(
    treated_converted: int, treated: int, held_converted: int, held: int, confidence: float = 0.95
) -> Interval | None:
    """The treated rate minus the held-out rate, with Newcombe's hybrid score interval."""
    if treated == 0 or held == 0:
        return None
    z = z_score(confidence)
    p1, p2 = treated_converted / treated, held_converted / held
    low1, high1 = wilson(treated_converted, treated, z)
    low2, high2 = wilson(held_converted, held, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return Interval(difference, low, high)
