"""Money as every analytics query takes it: rates into one reporting currency.

Kept apart from the currency service so that command modules can name the type without loading
Ibis or SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Money:
    """Exchange rates into the reporting currency."""

    rates: dict[str, Decimal]
    reporting_currency: str = "USD"
