"""Retention metrics: one set of definitions as Ibis expressions, identical on every backend."""

from retain.metrics.service import (
    DIMENSIONS,
    CohortQuery,
    MetricsInputError,
    MetricsQuery,
    Money,
    compute_cohorts,
    compute_metrics,
)

__all__ = [
    "DIMENSIONS",
    "CohortQuery",
    "MetricsInputError",
    "MetricsQuery",
    "Money",
    "compute_cohorts",
    "compute_metrics",
]
