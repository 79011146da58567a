"""The RFM summary per customer as an Ibis expression, so it runs where the orders live.

Purchases are counted per UTC day, as the papers and the ``lifetimes`` package do: several
orders on one day are one purchase of their summed value. For each customer, over the days on
or before ``calibration_end``:

- frequency: purchase days after the first (repeat purchases);
- recency: time from the first to the last purchase day;
- T: time from the first purchase day to ``calibration_end``;
- monetary: mean value of the repeat purchase days (null without a repeat purchase), the
  quantity the Gamma-Gamma model describes.

recency and T are in ``unit``: days, weeks (7 days) or months (365.25 / 12 days).
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from retain.lifetime.compression import compress, expand
from retain.lifetime.fitting import DAYS_PER_UNIT, LifetimeInputError, TimeUnit, check_unit

__all__ = ["compress", "expand", "rfm_summary"]
SECONDS_PER_DAY = 86400
EPOCH = date(1970, 1, 1)
REQUIRED = ("customer_id", "ordered_at", "amount")


def rfm_summary(
    orders: ir.Table,
    *,
    calibration_end: date,
    unit: TimeUnit,
    observation_start: date | None = None,
) -> ir.Table:
    """customer_id, frequency, recency, T, monetary for customers who bought by calibration_end.

    ``orders`` needs customer_id, ordered_at (UTC timestamp) and amount. Orders after
    ``calibration_end`` (a day, included) are ignored; with ``observation_start``, only customers
    whose first purchase falls on or after that day are summarised (a cohort, as in the papers).
    """
    check_unit(unit)
    missing = [name for name in REQUIRED if name not in orders.columns]
    if missing:
        raise LifetimeInputError(f"the orders table lacks column(s): {', '.join(missing)}")
    if observation_start is not None and observation_start > calibration_end:
        raise LifetimeInputError("observation_start must be on or before calibration_end")
    days = purchase_days(orders, calibration_end)
    per_customer = _per_customer(days)
    if observation_start is not None:
        per_customer = per_customer.filter(per_customer.first_day >= day_number(observation_start))
    return _in_unit(per_customer, calibration_end, unit)


def day_number(day: date) -> int:
    """Days since 1970-01-01, the same numbering the expression gives ordered_at."""
    return (day - EPOCH).days


def purchase_days(orders: ir.Table, calibration_end: date) -> ir.Table:
    """One row per customer and UTC day with a purchase, with the day's total value."""
    # Integer day numbers from epoch seconds: the same arithmetic on every backend.
    day = (orders.ordered_at.epoch_seconds() // SECONDS_PER_DAY).cast("int64")
    numbered = orders.select("customer_id", day=day, amount=orders.amount.cast("float64"))
    kept = numbered.filter(numbered.day <= day_number(calibration_end))
    return kept.group_by(["customer_id", "day"]).aggregate(value=kept.amount.sum())


def _per_customer(days: ir.Table) -> ir.Table:
    """First and last purchase day, number of purchase days and value after the first."""
    first = days.group_by("customer_id").aggregate(first_day=days.day.min())
    joined = days.join(first, "customer_id")
    repeat_value = ibis.ifelse(joined.day > joined.first_day, joined.value, 0.0)
    return joined.group_by("customer_id").aggregate(
        first_day=joined.first_day.min(),
        last_day=joined.day.max(),
        purchase_days=joined.count(),
        repeat_value=repeat_value.sum(),
    )


def _in_unit(per_customer: ir.Table, calibration_end: date, unit: TimeUnit) -> ir.Table:
    days_per_unit = DAYS_PER_UNIT[unit]
    frequency = (per_customer.purchase_days - 1).cast("int64")
    recency = (per_customer.last_day - per_customer.first_day).cast("float64") / days_per_unit
    age = (day_number(calibration_end) - per_customer.first_day).cast("float64") / days_per_unit
    monetary = ibis.ifelse(
        frequency > 0, per_customer.repeat_value / frequency.cast("float64"), ibis.null("float64")
    )
    return per_customer.select(
        "customer_id", frequency=frequency, recency=recency, T=age, monetary=monetary
    )
