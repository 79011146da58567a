"""Exchange rates in the store, and the Ibis expression that converts amounts with them."""

from __future__ import annotations

import re
from decimal import Decimal

import ibis
import ibis.expr.types as ir
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.clock import utcnow
from retain.currency.models import ExchangeRate
from retain.currency.money import Money
from retain.settings import Settings
from retain.store import ensure_store, session_scope

CURRENCY = re.compile(r"^[A-Z]{3}$")


class MissingRateError(ValueError):
    """Amounts in a currency that has no exchange rate to the reporting currency."""


def set_rate(*, session: Session, currency: str, rate: Decimal) -> ExchangeRate:
    """Record that one ``currency`` is worth ``rate`` units of the reporting currency."""
    if not CURRENCY.match(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code such as CNY")
    if rate <= 0:
        raise ValueError(f"an exchange rate must be positive, not {rate}")
    stored = session.get(ExchangeRate, currency) or ExchangeRate(currency=currency)
    stored.rate = rate
    stored.updated_at = utcnow()
    session.add(stored)
    return stored


def list_rates(*, session: Session) -> dict[str, Decimal]:
    """Every stored rate, by currency."""
    return {row.currency: row.rate for row in session.scalars(select(ExchangeRate))}


def stored_money(*, settings: Settings) -> Money:
    """The store's exchange rates into the configured reporting currency."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        return store_money(session=session, settings=settings)


def store_money(*, session: Session, settings: Settings) -> Money:
    """Amounts in the reporting currency at the exchange rates of ``session``'s store."""
    return Money(
        rates=list_rates(session=session), reporting_currency=settings.region.reporting_currency
    )


def to_reporting(
    *, amount: ir.NumericValue, currency: ir.StringValue, rates: dict[str, Decimal]
) -> ir.FloatingValue:
    """``amount`` converted to the reporting currency (amounts without a currency are in it)."""
    factor = (
        ibis.cases(
            *[(currency == code, float(rate)) for code, rate in sorted(rates.items())],
            else_=1.0,
        )
        if rates
        else ibis.literal(1.0)
    )
    return amount.cast("float64") * factor


def check_rates(*, currencies: set[str], rates: dict[str, Decimal], reporting: str) -> None:
    """Raise when money in ``currencies`` cannot be converted to ``reporting``."""
    missing = sorted(currencies - set(rates) - {reporting})
    if missing:
        raise MissingRateError(
            f"amounts in {', '.join(missing)} have no exchange rate to {reporting}; set one with "
            f"'retain fx set {missing[0]} RATE' (units of {reporting} per {missing[0]})"
        )
