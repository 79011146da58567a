"""Retention metrics: one set of definitions as Ibis expressions, identical on every backend.

The names below load on first use: ``retain metrics --help`` imports this package, and must not
pay for Ibis and pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retain.metrics.service import (
        DIMENSIONS,
        CohortQuery,
        MetricsInputError,
        MetricsQuery,
        compute_cohorts,
        compute_metrics,
    )

__all__ = [
    "DIMENSIONS",
    "CohortQuery",
    "MetricsInputError",
    "MetricsQuery",
    "compute_cohorts",
    "compute_metrics",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'retain.metrics' has no attribute {name!r}")
    return getattr(import_module("retain.metrics.service"), name)
