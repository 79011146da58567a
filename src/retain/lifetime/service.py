"""Lifetime value over the warehouse: fit, predict into the store, validate on a holdout.

The RFM summary and every count are Ibis expressions over the canonical ``order`` table
(cancelled orders excluded, amounts in the reporting currency); only the per-customer summary
and a few small aggregates come back to Python, where the models are fitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.currency.money import Money
from retain.currency.service import check_rates
from retain.lifetime.fitting import DAYS_PER_UNIT, FitResult, TimeUnit, check_unit
from retain.lifetime.models import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    TransactionModel,
)
from retain.lifetime.rfm import day_number, purchase_days, rfm_summary
from retain.lifetime.tables import CustomerPrediction
from retain.lifetime.value import customer_lifetime_value, time_to_purchases
from retain.metrics.service import prepare_tables
from retain.store import upsert

ModelName = Literal["bgnbd", "pareto", "mbgnbd"]
MODELS: dict[str, type[TransactionModel]] = {
    "bgnbd": BetaGeoModel,
    "pareto": ParetoNBDModel,
    "mbgnbd": ModifiedBetaGeoModel,
}
# One year ahead unless asked otherwise, whatever the unit.
DEFAULT_HORIZON: dict[TimeUnit, int] = {"days": 365, "weeks": 52, "months": 12}
TOP_FREQUENCY = 7  # the conditional-expectation table groups 7 and more repeat purchases
UPSERT_BATCH = 1000
EPOCH = datetime(1970, 1, 1)


class ClvInputError(ValueError):
    """A request the lifetime service cannot answer: no orders, bad dates, unknown model."""


@dataclass(frozen=True)
class ClvQuery:
    """Which model to fit, on the orders up to which day, in which time unit."""

    model: ModelName = "bgnbd"
    calibration_end: date | None = None
    unit: TimeUnit = "weeks"


@dataclass(frozen=True)
class FittedModels:
    """A transaction model and (optionally) Gamma-Gamma, fitted on ``summary``."""

    model: ModelName
    calibration_end: date
    transactions: TransactionModel
    spend: GammaGammaModel | None
    summary: pd.DataFrame

    def as_dict(self) -> dict[str, Any]:
        """A plain, JSON-friendly dictionary of both fits."""
        return {
            "model": self.model,
            "calibration_end": self.calibration_end,
            "unit": self.transactions.unit,
            "transactions": _result(self.transactions.result).as_dict(),
            "spend": None if self.spend is None else _result(self.spend.result).as_dict(),
        }


@dataclass(frozen=True)
class ValidationReport:
    """A calibration fit compared with what customers did in the holdout period."""

    model: ModelName
    unit: TimeUnit
    calibration_end: date
    holdout_end: date
    fit: FitResult
    tracking: list[dict[str, Any]]
    conditional: list[dict[str, Any]]
    errors: dict[str, float | int | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A plain, JSON-friendly dictionary."""
        return {
            "model": self.model,
            "unit": self.unit,
            "calibration_end": self.calibration_end,
            "holdout_end": self.holdout_end,
            "fit": self.fit.as_dict(),
            "errors": self.errors,
            "conditional": self.conditional,
            "tracking": self.tracking,
        }


def fit_models(
    *, backend: BaseBackend, query: ClvQuery, money: Money, with_spend: bool = True
) -> FittedModels:
    """The RFM summary from the warehouse, the transaction model and Gamma-Gamma fitted on it."""
    model = _model_name(query.model)
    unit = _unit(query.unit)
    orders = order_facts(backend=backend, money=money)
    calibration_end = query.calibration_end or _latest_order_day(orders)
    summary = _summary(orders, calibration_end=calibration_end, unit=unit)
    transactions = MODELS[model](unit=unit).fit(summary)
    spend = GammaGammaModel().fit(summary) if with_spend else None
    return FittedModels(model, calibration_end, transactions, spend, summary)


def order_facts(*, backend: BaseBackend, money: Money) -> ir.Table:
    """Orders that count as purchases: not cancelled, amounts in the reporting currency."""
    order = backend.table("order")
    codes = order.filter(order.currency.notnull()).select("currency").distinct().to_pandas()
    check_rates(
        currencies={str(code) for code in codes["currency"]},
        rates=money.rates,
        reporting=money.reporting_currency,
    )
    return prepare_tables(backend=backend, by=None, money=money).orders


def predict_customers(
    *,
    fitted: FittedModels,
    horizon: int,
    annual_discount_rate: float,
    margin: float,
    predicted_at: datetime,
) -> pd.DataFrame:
    """One row per customer: P(alive), expected purchases, spend and CLV, next order time."""
    if fitted.spend is None:
        raise ClvInputError("predictions need the Gamma-Gamma spend model; fit it with_spend")
    summary, transactions = fitted.summary, fitted.transactions
    wait = time_to_purchases(transactions=transactions, summary=summary, within=horizon)
    frame = pd.DataFrame(
        {
            "probability_alive": transactions.probability_alive(summary),
            "expected_purchases": transactions.expected_purchases(summary, horizon=horizon),
            "expected_spend": fitted.spend.expected_spend(summary),
            "clv": customer_lifetime_value(
                transactions=transactions,
                spend=fitted.spend,
                summary=summary,
                horizon=horizon,
                annual_discount_rate=annual_discount_rate,
                margin=margin,
            ),
            "next_order_at": _next_order_times(wait, fitted),
        }
    )
    frame.insert(0, "model", fitted.model)
    frame.insert(1, "unit", transactions.unit)
    frame.insert(2, "horizon", int(horizon))
    frame["predicted_at"] = predicted_at.replace(microsecond=0)
    ranked = frame.reset_index().sort_values(["clv", "customer_id"], ascending=[False, True])
    return ranked.reset_index(drop=True)


def _next_order_times(wait: pd.Series, fitted: FittedModels) -> pd.Series:
    """The moment one purchase is expected, counted from the end of the calibration day."""
    # The forecast period starts when the calibration day ends; round to the minute.
    origin = pd.Timestamp(fitted.calibration_end + timedelta(days=1))
    days = wait * DAYS_PER_UNIT[fitted.transactions.unit]
    return (origin + pd.to_timedelta(days, unit="D")).dt.round("min")


def save_predictions(*, session: Session, predictions: pd.DataFrame) -> int:
    """Upsert one store row per customer (a re-run replaces, never duplicates); the row count."""
    columns = [column.name for column in CustomerPrediction.__table__.columns]
    rows = [_store_row(record, columns) for record in predictions.to_dict("records")]
    for start in range(0, len(rows), UPSERT_BATCH):
        upsert(session, CustomerPrediction, rows[start : start + UPSERT_BATCH])
    return len(rows)


def _store_row(record: dict[Any, Any], columns: list[str]) -> dict[str, object]:
    row: dict[str, object] = {}
    for name in columns:
        value = record[name]
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        elif value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            value = None
        elif isinstance(value, np.generic):
            value = value.item()
        row[name] = value
    return row


def list_predicted_values(*, session: Session) -> list[float]:
    """Every stored customer's predicted lifetime value, in no particular order."""
    return list(session.scalars(select(CustomerPrediction.clv)))


def get_prediction(*, session: Session, customer_id: str) -> CustomerPrediction | None:
    """A customer's latest stored prediction, or None."""
    return session.scalars(
        select(CustomerPrediction).where(CustomerPrediction.customer_id == customer_id)
    ).one_or_none()


def validate_model(
    *, backend: BaseBackend, query: ClvQuery, holdout_end: date, money: Money
) -> ValidationReport:
    """Fit on the calibration period and compare with the holdout, as Fader, Hardie & Lee do."""
    if query.calibration_end is None:
        raise ClvInputError("validation needs a calibration end day")
    if holdout_end <= query.calibration_end:
        raise ClvInputError(
            f"the holdout end {holdout_end} must be after the calibration end "
            f"{query.calibration_end}"
        )
    fitted = fit_models(backend=backend, query=query, money=money, with_spend=False)
    orders = order_facts(backend=backend, money=money)
    facts = _holdout_facts(orders, calibration_end=query.calibration_end, holdout_end=holdout_end)
    length = (holdout_end - query.calibration_end).days / DAYS_PER_UNIT[fitted.transactions.unit]
    conditional = fitted.transactions.expected_purchases(fitted.summary, horizon=length)
    actual = facts.holdout.reindex(conditional.index, fill_value=0).astype(np.float64)
    tracking = _tracking(fitted.transactions, facts, query.calibration_end, holdout_end)
    return ValidationReport(
        model=fitted.model,
        unit=fitted.transactions.unit,
        calibration_end=query.calibration_end,
        holdout_end=holdout_end,
        fit=_result(fitted.transactions.result),
        tracking=tracking,
        conditional=_by_frequency(fitted.summary, conditional, actual),
        errors=_errors(tracking, conditional, actual),
    )


@dataclass(frozen=True)
class _HoldoutFacts:
    first_days: pd.Series  # customers per first purchase day (day numbers), calibration cohort
    repeat_days: pd.Series  # repeat purchases per day, cohort only, up to the holdout end
    holdout: pd.Series  # holdout purchases per customer


def _holdout_facts(orders: ir.Table, *, calibration_end: date, holdout_end: date) -> _HoldoutFacts:
    """Small aggregates from the warehouse: the cohort's first days and its repeat purchases."""
    days = purchase_days(orders, holdout_end)
    first = days.group_by("customer_id").aggregate(first_day=days.day.min())
    cohort = first.filter(first.first_day <= day_number(calibration_end))
    joined = days.join(cohort, "customer_id")
    repeat = joined.filter(joined.day > joined.first_day)
    in_holdout = repeat.filter(repeat.day > day_number(calibration_end))
    first_days = cohort.group_by("first_day").aggregate(customers=cohort.count()).to_pandas()
    repeat_days = repeat.group_by("day").aggregate(purchases=repeat.count()).to_pandas()
    holdout = in_holdout.group_by("customer_id").aggregate(purchases=in_holdout.count()).to_pandas()
    return _HoldoutFacts(
        first_days=first_days.set_index("first_day")["customers"].astype(np.float64),
        repeat_days=repeat_days.set_index("day")["purchases"].astype(np.float64),
        holdout=holdout.set_index(holdout["customer_id"].astype(str))["purchases"],
    )


def _tracking(
    transactions: TransactionModel, facts: _HoldoutFacts, calibration_end: date, holdout_end: date
) -> list[dict[str, Any]]:
    """Cumulative repeat purchases at the end of each week: actual, and the model's E[X(t)]."""
    start = int(facts.first_days.index.min())
    # Day numbers where each week ends (exclusive), the last one cut at the holdout end.
    stop = day_number(holdout_end) + 1
    ends = np.minimum(np.arange(start + 7, stop + 7, 7), stop)
    ends = np.unique(ends)
    actual = _actual_before(facts.repeat_days, ends)
    model = _expected_before(transactions, facts.first_days, ends)
    boundary = day_number(calibration_end) + 1
    return [
        {
            "week": week,
            "week_end": (EPOCH + timedelta(days=int(end) - 1)).date(),
            "period": "calibration" if end <= boundary else "holdout",
            "actual": int(count),
            "model": round(float(expected), 2),
        }
        for week, (end, count, expected) in enumerate(zip(ends, actual, model, strict=True), 1)
    ]


def _actual_before(repeat_days: pd.Series, ends: np.ndarray) -> np.ndarray:
    """Repeat purchases on days before each of ``ends``."""
    days = repeat_days.index.to_numpy(dtype=np.int64)
    counts = repeat_days.to_numpy()
    order = np.argsort(days)
    cumulative = np.concatenate([[0.0], np.cumsum(counts[order])])
    return cumulative[np.searchsorted(days[order], ends, side="left")]


def _expected_before(
    transactions: TransactionModel, first_days: pd.Series, ends: np.ndarray
) -> np.ndarray:
    """Σ over customers of E[X(t)], t = time from the first purchase to each of ``ends``."""
    firsts = first_days.index.to_numpy(dtype=np.float64)
    weights = first_days.to_numpy()
    elapsed = np.maximum(ends[:, None] - firsts[None, :], 0.0)
    elapsed /= DAYS_PER_UNIT[transactions.unit]
    zero = np.zeros_like(firsts)
    # At x = t_x = T = 0 the conditional expectation is the unconditional E[X(t)] of each paper.
    with np.errstate(all="ignore"):
        per_customer = transactions.conditional_expected_purchases(elapsed, zero, zero, zero)
    return np.asarray(np.nan_to_num(per_customer) @ weights, dtype=np.float64)


def _by_frequency(
    summary: pd.DataFrame, conditional: pd.Series, actual: pd.Series
) -> list[dict[str, Any]]:
    """Mean holdout purchases by calibration frequency (0..6, 7+): actual and model."""
    indexed = summary.set_index("customer_id")
    bucket = np.minimum(indexed["frequency"].to_numpy(), TOP_FREQUENCY)
    frame = pd.DataFrame(
        {"bucket": bucket, "actual": actual.to_numpy(), "model": conditional.to_numpy()}
    )
    grouped = frame.groupby("bucket").agg(
        customers=("actual", "size"), actual=("actual", "mean"), model=("model", "mean")
    )
    buckets = grouped.index.to_numpy(dtype=np.int64)
    return [
        {
            "frequency": f"{TOP_FREQUENCY}+" if bucket == TOP_FREQUENCY else str(bucket),
            "customers": int(customers),
            "actual": round(float(mean_actual), 3),
            "model": round(float(mean_model), 3),
        }
        for bucket, customers, mean_actual, mean_model in zip(
            buckets.tolist(), grouped["customers"], grouped["actual"], grouped["model"], strict=True
        )
    ]


def _errors(
    tracking: list[dict[str, Any]], conditional: pd.Series, actual: pd.Series
) -> dict[str, float | int | None]:
    """Holdout error figures: cumulative and holdout-only totals, conditional total, MAE."""
    calibration = [row for row in tracking if row["period"] == "calibration"]
    last = tracking[-1]
    before_actual = calibration[-1]["actual"] if calibration else 0
    before_model = calibration[-1]["model"] if calibration else 0.0
    holdout_actual = last["actual"] - before_actual
    holdout_model = last["model"] - before_model
    conditional_total = float(conditional.sum())
    return {
        "customers": len(actual),
        # Since each customer's first purchase, as the tracking chart reads at its right edge.
        "cumulative_actual": int(last["actual"]),
        "cumulative_model": round(float(last["model"]), 1),
        "cumulative_error_pct": _percent(last["model"], last["actual"]),
        "holdout_actual": int(holdout_actual),
        "holdout_model": round(float(holdout_model), 1),
        "holdout_error_pct": _percent(holdout_model, holdout_actual),
        "conditional_model": round(conditional_total, 1),
        "conditional_error_pct": _percent(conditional_total, float(actual.sum())),
        "mae": round(float(np.mean(np.abs(conditional.to_numpy() - actual.to_numpy()))), 4),
    }


def _percent(model: float, actual: float) -> float | None:
    return None if not actual else round(100 * (model - actual) / actual, 2)


def draw_validation_chart(*, report: ValidationReport, path: Path) -> Path:
    """A PNG: the tracking chart (left) and conditional expectations by frequency (right)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the chart is only ever written to a file
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    weeks = [row["week"] for row in report.tracking]
    left.plot(weeks, [row["actual"] for row in report.tracking], color="black", label="Actual")
    left.plot(
        weeks, [row["model"] for row in report.tracking], "--", color="tab:blue", label="Model"
    )
    last_calibration = max(
        (row["week"] for row in report.tracking if row["period"] == "calibration"), default=0
    )
    left.axvline(last_calibration, color="grey", linestyle=":", label="End of calibration")
    left.set(xlabel="Week", ylabel="Cumulative repeat transactions", title="Tracking")
    left.legend()
    labels = [row["frequency"] for row in report.conditional]
    positions = np.arange(len(labels))
    right.plot(positions, [row["actual"] for row in report.conditional], "o-", color="black")
    right.plot(positions, [row["model"] for row in report.conditional], "s--", color="tab:blue")
    right.set_xticks(positions, labels)
    right.legend(["Actual", "Model"])
    right.set(
        xlabel="Repeat transactions in calibration",
        ylabel="Mean transactions in holdout",
        title="Conditional expectations",
    )
    figure.suptitle(
        f"{report.fit.model}: calibration to {report.calibration_end}, "
        f"holdout to {report.holdout_end}"
    )
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)
    return path


def _summary(orders: ir.Table, *, calibration_end: date, unit: TimeUnit) -> pd.DataFrame:
    summary = rfm_summary(orders, calibration_end=calibration_end, unit=unit).to_pandas()
    if summary.empty:
        first = orders.ordered_at.min().to_pandas()  # type: ignore[attr-defined]
        if first is None or pd.isna(first):
            raise ClvInputError(
                "the warehouse holds no orders yet; import some with 'retain ingest'"
            )
        raise ClvInputError(
            f"no customer ordered on or before the calibration end {calibration_end}; "
            f"the first order is on {pd.Timestamp(first):%Y-%m-%d}"
        )
    summary["customer_id"] = summary["customer_id"].astype(str)
    summary = summary.sort_values("customer_id", ignore_index=True)
    summary.attrs["unit"] = unit
    return summary


def _latest_order_day(orders: ir.Table) -> date:
    latest = orders.ordered_at.max().to_pandas()  # type: ignore[attr-defined]
    if latest is None or pd.isna(latest):
        raise ClvInputError("the warehouse holds no orders yet; import some with 'retain ingest'")
    return pd.Timestamp(latest).date()


def _model_name(model: str) -> ModelName:
    if model not in MODELS:
        raise ClvInputError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")
    return cast(ModelName, model)


def _unit(unit: str) -> TimeUnit:
    try:
        return check_unit(unit)
    except ValueError as error:
        raise ClvInputError(str(error)) from None


def _result(result: FitResult | None) -> FitResult:
    assert result is not None, "fit_models fits every model it returns"
    return result
