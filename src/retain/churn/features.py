"""Churn features and labels as Ibis expressions over the canonical warehouse tables, as of a date.

Every feature uses only facts strictly before ``as_of``; the label uses only facts in
``[as_of, as_of + horizon)``. Ages are in days, money in the reporting currency.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from retain.currency.money import Money
from retain.metrics.service import prepare_tables

SECONDS_PER_DAY = 86_400.0
# Days a customer's own usage baseline covers: the 90 days before the most recent 30.
BASELINE_DAYS = 90
BASELINE_GAP_DAYS = 30
# An age when the thing never happened: far longer than any window, so trees split it apart.
NEVER_DAYS = 9_999.0
FEATURES = (
    "tenure_days",
    "mrr",
    "mrr_change_90d",
    "contractions_180d",
    "expansions_180d",
    "days_since_order",
    "orders_90d",
    "orders_365d",
    "spend_90d",
    "spend_trend_90d",
    "usage_7d",
    "usage_30d",
    "usage_90d",
    "usage_change_7d",
    "usage_change_30d",
    "usage_change_90d",
    "days_since_usage",
    "active_days_30d",
    "active_days_90d",
    "usage_trend_90d",
    "tickets_90d",
    "open_tickets",
    "ticket_satisfaction",
    "last_nps",
    "last_csat",
    "returns_180d",
    "discount_share_365d",
)


def days_before(at: datetime, moment: ir.TimestampValue) -> ir.FloatingValue:
    """Days from ``moment`` to ``at`` as a float (epoch seconds work on every backend)."""
    return ibis.literal(at.timestamp() / SECONDS_PER_DAY) - moment.epoch_seconds() / SECONDS_PER_DAY


def _window(
    column: ir.TimestampValue, as_of: datetime, days: int, end_days: int = 0
) -> ir.BooleanValue:
    """``column`` within ``[as_of - days, as_of - end_days)``."""
    start, end = as_of - timedelta(days=days), as_of - timedelta(days=end_days)
    return (column >= ibis.literal(start)) & (column < ibis.literal(end))


def active_subscribers(backend: BaseBackend, *, as_of: datetime, money: Money) -> ir.Table:
    """customer_id, plan and mrr of each customer whose latest change before ``as_of`` left MRR."""
    changes = prepare_tables(backend=backend, by=None, money=money).changes
    plans = backend.table("subscription_change").select("customer_id", "changed_at", "plan")
    before = changes.filter(changes.changed_at < ibis.literal(as_of))
    latest = before.group_by("customer_id").aggregate(
        mrr=before.mrr_after.argmax(before.changed_at)
    )
    plan_before = plans.filter(plans.changed_at < ibis.literal(as_of))
    latest_plan = plan_before.group_by("customer_id").aggregate(
        plan=plan_before.plan.argmax(plan_before.changed_at)
    )
    current = latest.filter(latest.mrr > 0)
    return current.left_join(latest_plan, "customer_id").select("customer_id", "plan", "mrr")


def _subscription_features(changes: ir.Table, as_of: datetime) -> ir.Table:
    before = changes.filter(changes.changed_at < ibis.literal(as_of))
    recent = _window(before.changed_at, as_of, 90)
    return before.group_by("customer_id").aggregate(
        mrr_change_90d=ibis.cases((recent, before.mrr_after - before.mrr_before), else_=0.0).sum(),
        contractions_180d=(_window(before.changed_at, as_of, 180) & (before.kind == "contraction"))
        .sum()
        .cast("float64"),
        expansions_180d=(_window(before.changed_at, as_of, 180) & (before.kind == "expansion"))
        .sum()
        .cast("float64"),
    )


def _order_features(orders: ir.Table, raw_orders: ir.Table, as_of: datetime) -> ir.Table:
    before = orders.filter(orders.ordered_at < ibis.literal(as_of))
    in_90 = _window(before.ordered_at, as_of, 90)
    in_prev_90 = _window(before.ordered_at, as_of, 180, 90)
    spend_90 = ibis.cases((in_90, before.amount), else_=0.0).sum()
    spend_prev = ibis.cases((in_prev_90, before.amount), else_=0.0).sum()
    aggregated = before.group_by("customer_id").aggregate(
        days_since_order=days_before(as_of, before.ordered_at.max()),
        orders_90d=in_90.sum().cast("float64"),
        orders_365d=_window(before.ordered_at, as_of, 365).sum().cast("float64"),
        spend_90d=spend_90,
        # -1 (spend stopped) .. +1 (all new): bounded, and defined when one half is zero.
        spend_trend_90d=((spend_90 - spend_prev) / (spend_90 + spend_prev).nullif(0.0)).fill_null(
            0.0
        ),
    )
    raw = raw_orders.filter(
        (raw_orders.ordered_at < ibis.literal(as_of)) & (raw_orders.status != "cancelled")
    )
    year = raw.filter(_window(raw.ordered_at, as_of, 365))
    discounts = year.group_by("customer_id").aggregate(
        discount_share_365d=ibis.cases((year.discount.fill_null(0) > 0, 1.0), else_=0.0).mean()
    )
    return aggregated.left_join(discounts, "customer_id").drop("customer_id_right")


def _usage_features(usage: ir.Table, as_of: datetime) -> ir.Table:
    start = as_of - timedelta(days=BASELINE_DAYS + BASELINE_GAP_DAYS)
    recent = usage.filter(
        (usage.occurred_at < ibis.literal(as_of)) & (usage.occurred_at >= ibis.literal(start))
    )
    quantity = recent.quantity.fill_null(1.0)

    def total(days: int, end_days: int = 0) -> ir.FloatingValue:
        return ibis.cases(
            (_window(recent.occurred_at, as_of, days, end_days), quantity), else_=0.0
        ).sum()

    def active_days(days: int) -> ir.IntegerValue:
        day = recent.occurred_at.date()
        return ibis.cases(
            (_window(recent.occurred_at, as_of, days), day), else_=ibis.null()
        ).nunique()

    sums = recent.group_by("customer_id").aggregate(
        usage_7d=total(7),
        usage_30d=total(30),
        usage_90d=total(90),
        baseline=total(BASELINE_DAYS + BASELINE_GAP_DAYS, BASELINE_GAP_DAYS) / BASELINE_DAYS,
        days_since_usage=days_before(as_of, recent.occurred_at.max()),
        active_days_30d=active_days(30),
        active_days_90d=active_days(90),
        # The last 30 days against days 60-90: -1 (stopped) .. +1, the slope of a decline.
        usage_trend_90d=(total(30) - total(90, 60)) / (total(30) + total(90, 60)).nullif(0.0),
    )

    def change(column: ir.FloatingValue, days: int) -> ir.FloatingValue:
        # Relative change of the daily rate vs the baseline; 0 when there is no baseline.
        return (column / days / sums.baseline.nullif(0.0) - 1.0).fill_null(0.0)

    return sums.mutate(
        usage_change_7d=change(sums.usage_7d, 7),
        usage_change_30d=change(sums.usage_30d, 30),
        usage_change_90d=change(sums.usage_90d, 90),
    ).drop("baseline")


def _ticket_features(tickets: ir.Table, as_of: datetime) -> ir.Table:
    before = tickets.filter(tickets.occurred_at < ibis.literal(as_of))
    per_ticket = before.group_by("customer_id", "ticket_id").aggregate(
        opened_at=before.occurred_at.min(),
        state=before.kind.argmax(before.occurred_at),
        satisfaction=before.satisfaction.mean(),
    )
    return per_ticket.group_by("customer_id").aggregate(
        tickets_90d=_window(per_ticket.opened_at, as_of, 90).sum().cast("float64"),
        open_tickets=per_ticket.state.isin(["opened", "replied", "reopened"]).sum().cast("float64"),
        ticket_satisfaction=per_ticket.satisfaction.mean(),
    )


def _survey_features(surveys: ir.Table, as_of: datetime) -> ir.Table:
    before = surveys.filter(surveys.answered_at < ibis.literal(as_of))

    def last(kind: str) -> ir.FloatingValue:
        answered = ibis.cases((before.kind == kind, before.answered_at), else_=ibis.null())
        return (
            ibis.cases((before.kind == kind, before.score), else_=ibis.null())
            .argmax(answered)
            .cast("float64")
        )

    return before.group_by("customer_id").aggregate(last_nps=last("NPS"), last_csat=last("CSAT"))


def _return_features(returns: ir.Table, as_of: datetime) -> ir.Table:
    before = returns.filter(_window(returns.returned_at, as_of, 180))
    return before.group_by("customer_id").aggregate(returns_180d=before.count().cast("float64"))


def churn_features(backend: BaseBackend, *, as_of: datetime, money: Money) -> ir.Table:
    """One row per subscriber active at ``as_of``: customer_id, plan and :data:`FEATURES`."""
    tables = prepare_tables(backend=backend, by=None, money=money)
    customers = backend.table("customer").select("customer_id", "signup_at")
    base = active_subscribers(backend, as_of=as_of, money=money)
    parts = [
        _subscription_features(tables.changes, as_of),
        _order_features(tables.orders, backend.table("order"), as_of),
        _usage_features(backend.table("usage_event"), as_of),
        _ticket_features(backend.table("ticket_event"), as_of),
        _survey_features(tables.surveys, as_of),
        _return_features(tables.returns, as_of),
    ]
    joined = base.left_join(customers, "customer_id").drop("customer_id_right")
    for part in parts:
        joined = joined.left_join(part, "customer_id").drop("customer_id_right")
    defaults = {name: 0.0 for name in FEATURES}
    defaults.update(days_since_order=NEVER_DAYS, days_since_usage=NEVER_DAYS)
    filled = {
        name: joined[name].cast("float64").fill_null(value)
        for name, value in defaults.items()
        if name in joined.columns
    }
    # Scores stay unknown (null) when never answered: LightGBM routes missing values itself.
    filled.update(
        last_nps=joined.last_nps,
        last_csat=joined.last_csat,
        ticket_satisfaction=joined.ticket_satisfaction.cast("float64"),
        tenure_days=days_before(as_of, joined.signup_at).fill_null(0.0),
        mrr=joined.mrr.cast("float64"),
    )
    return joined.select("customer_id", "plan", **{name: filled[name] for name in FEATURES})


def churn_labels(backend: BaseBackend, *, as_of: datetime, horizon_days: int) -> ir.Table:
    """customer_id and ``churned`` (1/0): a churn change within ``horizon_days`` from ``as_of``."""
    changes = backend.table("subscription_change")
    end = as_of + timedelta(days=horizon_days)
    churns = changes.filter(
        (changes.kind == "churn")
        & (changes.changed_at >= ibis.literal(as_of))
        & (changes.changed_at < ibis.literal(end))
    )
    return churns.group_by("customer_id").aggregate(churned=ibis.literal(1))


def latest_fact_at(backend: BaseBackend) -> datetime | None:
    """The latest subscription change or usage time: "now" for the warehouse's data."""
    changes = backend.table("subscription_change").changed_at.max().execute()
    usage = backend.table("usage_event").occurred_at.max().execute()
    found = [pd.Timestamp(moment) for moment in (changes, usage) if pd.notna(moment)]
    return max(found).to_pydatetime() if found else None
