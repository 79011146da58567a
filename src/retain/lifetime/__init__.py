"""Customer lifetime value: BG/NBD, modified BG/NBD, Pareto/NBD and Gamma-Gamma, as published."""

from retain.lifetime.compress import compress
from retain.lifetime.fitting import (
    DAYS_PER_UNIT,
    TIME_UNITS,
    FitNotConverged,
    FitResult,
    LifetimeInputError,
    NotFittedError,
    TimeUnit,
)
from retain.lifetime.models import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    TransactionModel,
)
from retain.lifetime.rfm import rfm_summary
from retain.lifetime.value import customer_lifetime_value, time_to_purchases

__all__ = [
    "DAYS_PER_UNIT",
    "TIME_UNITS",
    "BetaGeoModel",
    "FitNotConverged",
    "FitResult",
    "GammaGammaModel",
    "LifetimeInputError",
    "ModifiedBetaGeoModel",
    "NotFittedError",
    "ParetoNBDModel",
    "TimeUnit",
    "TransactionModel",
    "compress",
    "customer_lifetime_value",
    "rfm_summary",
    "time_to_purchases",
]
