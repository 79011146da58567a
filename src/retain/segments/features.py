"""Customer attributes as of a moment: one Ibis row per customer, the table rules select from.

Profile fields come from the warehouse ``customer`` table; order figures and RFM scores are
computed in the warehouse from orders strictly before ``at`` (cancelled orders left out, money in
the reporting currency); the latest predictions are read from the store and joined in.

RFM scores are 1-5 from the percent rank among customers with at least one order:
``score = min(5, floor(5 * percent_rank) + 1)``. Unlike ``ntile``, equal values always get the
same score, so a segment never depends on how the database breaks ties. ``r_score`` ranks recency
reversed (the most recent buyers score 5), ``f_score`` ranks ``orders`` and ``m_score`` ranks
``monetary``. ``rfm_segment`` names the cell of the R/F grid (see RFM_GRID).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain.churn.features import days_before
from retain.churn.models import ChurnScore, HealthScore
from retain.currency.service import list_rates, to_reporting
from retain.lifetime.tables import CustomerPrediction

# (segment, recency scores, frequency scores): every one of the 25 cells belongs to one segment.
# The common ten-segment grid with "about to sleep" and "need attention" folded into
# hibernating and "promising" into new; the lowest corner is "lost".
RFM_GRID: tuple[tuple[str, range, range], ...] = (
    ("champions", range(5, 6), range(4, 6)),
    ("loyal", range(3, 5), range(4, 6)),
    ("potential_loyalists", range(4, 6), range(2, 4)),
    ("new", range(4, 6), range(1, 2)),
    ("hibernating", range(3, 4), range(1, 4)),
    ("at_risk", range(1, 3), range(3, 5)),
    ("cant_lose", range(1, 3), range(5, 6)),
    ("lost", range(1, 3), range(1, 3)),
)
RFM_SEGMENTS = tuple(name for name, _, _ in RFM_GRID)
FREQUENCY_DAYS = 365

PREDICTIONS = ibis.schema(
    {
        "customer_id": dt.String(nullable=False),
        "churn_risk": dt.float64,
        "clv": dt.float64,
        "p_alive": dt.float64,
        "health": dt.float64,
    }
)
ATTRIBUTES = ibis.schema(
    {
        "customer_id": dt.string,
        "country": dt.string,
        "channel": dt.string,
        "language": dt.string,
        "signup_at": dt.timestamp,
        "tenure_days": dt.float64,
        "orders": dt.int64,
        "revenue": dt.float64,
        "recency_days": dt.float64,
        "frequency": dt.int64,
        "monetary": dt.float64,
        "last_order_at": dt.timestamp,
        "r_score": dt.int64,
        "f_score": dt.int64,
        "m_score": dt.int64,
        "rfm_segment": dt.string,
        "churn_risk": dt.float64,
        "clv": dt.float64,
        "p_alive": dt.float64,
        "health": dt.float64,
    }
)


@dataclass(frozen=True)
class StoreInputs:
    """What the attributes need from the store: predictions (PREDICTIONS columns) and rates."""

    predictions: pa.Table
    rates: dict[str, Decimal]


def read_store_inputs(*, session: Session) -> StoreInputs:
    """The latest churn score, lifetime prediction and health of each customer, and the rates."""
    rows: dict[str, dict[str, object]] = {}

    def put(customer_id: str, **values: object) -> None:
        rows.setdefault(customer_id, {}).update(values)

    for customer_id, probability in session.execute(
        select(ChurnScore.customer_id, ChurnScore.probability)
    ):
        put(customer_id, churn_risk=probability)
    for customer_id, clv, alive in session.execute(
        select(
            CustomerPrediction.customer_id,
            CustomerPrediction.clv,
            CustomerPrediction.probability_alive,
        )
    ):
        put(customer_id, clv=clv, p_alive=alive)
    newest = select(func.max(HealthScore.scored_on)).scalar_subquery()
    for customer_id, score in session.execute(
        select(HealthScore.customer_id, HealthScore.score).where(HealthScore.scored_on == newest)
    ):
        put(customer_id, health=score)
    columns = {
        "customer_id": list(rows),
        **{name: [values.get(name) for values in rows.values()] for name in PREDICTIONS.names[1:]},
    }
    predictions = pa.table(columns, schema=PREDICTIONS.to_pyarrow())
    return StoreInputs(predictions=predictions, rates=list_rates(session=session))


def customer_attributes(
    backend: BaseBackend, *, at: datetime, store: StoreInputs | None = None
) -> ir.Table:
    """One row per customer who signed up before ``at`` (or whose signup is unknown): ATTRIBUTES."""
    customer = backend.table("customer")
    customers = customer.filter(
        customer.signup_at.isnull() | (customer.signup_at < ibis.literal(at))
    ).select("customer_id", "country", "channel", "language", "signup_at")
    buyers = _scored_buyers(_order_figures(backend, at=at, store=store))
    joined = customers.left_join(buyers, "customer_id").drop("customer_id_right")
    joined = joined.left_join(_predictions(store), "customer_id").drop("customer_id_right")
    started = ibis.coalesce(joined.signup_at, joined.first_order_at)
    return joined.select(
        "customer_id",
        "country",
        "channel",
        "language",
        "signup_at",
        tenure_days=days_before(at, started),
        orders=joined.orders.fill_null(0),
        revenue=joined.revenue.fill_null(0.0),
        recency_days=days_before(at, joined.last_order_at),
        frequency=joined.frequency.fill_null(0),
        monetary=joined.monetary,
        last_order_at=joined.last_order_at,
        r_score=joined.r_score,
        f_score=joined.f_score,
        m_score=joined.m_score,
        rfm_segment=joined.rfm_segment,
        churn_risk=joined.churn_risk,
        clv=joined.clv,
        p_alive=joined.p_alive,
        health=joined.health,
    ).cast(ATTRIBUTES)


def _order_figures(backend: BaseBackend, *, at: datetime, store: StoreInputs | None) -> ir.Table:
    """customer_id, orders, frequency, revenue, first_order_at and last_order_at of each buyer."""
    order = backend.table("order")
    rates = store.rates if store else {}
    before = order.filter(
        (order.ordered_at < ibis.literal(at))
        & (order.status.isnull() | (order.status != "cancelled"))
    )
    amount = to_reporting(amount=before.amount, currency=before.currency, rates=rates).fill_null(
        0.0
    )  # type: ignore[arg-type]
    recent = before.ordered_at >= ibis.literal(at - timedelta(days=FREQUENCY_DAYS))
    return before.group_by("customer_id").aggregate(
        orders=before.count(),
        frequency=before.count(where=recent),
        revenue=amount.sum(),
        first_order_at=before.ordered_at.min(),
        last_order_at=before.ordered_at.max(),
    )


def _scored_buyers(figures: ir.Table) -> ir.Table:
    """The figures with monetary, r/f/m scores and the RFM segment."""
    with_value = figures.mutate(monetary=figures.revenue / figures.orders)
    scored = with_value.mutate(
        # The newest last order ranks highest.
        r_score=_score(with_value.last_order_at.epoch_seconds()),
        f_score=_score(with_value.orders),
        m_score=_score(with_value.monetary),
    )
    return scored.mutate(rfm_segment=rfm_segment(scored.r_score, scored.f_score))


def _score(value: ir.NumericValue) -> ir.IntegerValue:
    """1-5 by percent rank: ties share a score."""
    rank = ibis.percent_rank().over(order_by=value)
    return ibis.least((rank * 5).floor() + 1, 5).cast("int64")


def rfm_segment(r_score: ir.IntegerValue, f_score: ir.IntegerValue) -> ir.StringValue:
    """The RFM_GRID segment of a recency and frequency score."""
    cases = [
        (
            r_score.between(recency.start, recency.stop - 1)
            & f_score.between(frequency.start, frequency.stop - 1),
            name,
        )
        for name, recency, frequency in RFM_GRID
    ]
    return ibis.cases(*cases, else_=ibis.null("string"))  # type: ignore[return-value]


def _predictions(store: StoreInputs | None) -> ir.Table:
    if store is None:
        return ibis.memtable(PREDICTIONS.to_pyarrow().empty_table())
    return ibis.memtable(store.predictions)
