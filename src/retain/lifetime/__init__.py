"""Customer lifetime value: BG/NBD, modified BG/NBD, Pareto/NBD and Gamma-Gamma, as published.

The names below load on first use: the store's table module lives in this package too, and
opening the store (every import does) must not pay for SciPy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "compress": "compression",
    "DAYS_PER_UNIT": "fitting",
    "TIME_UNITS": "fitting",
    "FitNotConverged": "fitting",
    "FitResult": "fitting",
    "LifetimeInputError": "fitting",
    "NotFittedError": "fitting",
    "TimeUnit": "fitting",
    "BetaGeoModel": "models",
    "GammaGammaModel": "models",
    "ModifiedBetaGeoModel": "models",
    "ParetoNBDModel": "models",
    "TransactionModel": "models",
    "rfm_summary": "rfm",
    "customer_lifetime_value": "value",
    "time_to_purchases": "value",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'retain.lifetime' has no attribute {name!r}")
    return getattr(import_module(f"retain.lifetime.{home}"), name)
