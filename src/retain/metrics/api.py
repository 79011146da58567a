"""``/api/v1/metrics`` and ``/api/v1/cohorts``: thin routes over the metrics service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from retain.auth.dependencies import allow
from retain.auth.roles import READ_AGGREGATES
from retain.currency.service import MissingRateError, store_money
from retain.dependencies import SessionDep, SettingsDep, WarehouseDep, answering
from retain.metrics.service import (
    CohortQuery,
    MetricsInputError,
    MetricsQuery,
    compute_cohorts,
    compute_metrics,
)
from retain.pagination import Page, WholePageDep, page_of

router = APIRouter(
    prefix="/api/v1", tags=["metrics"], dependencies=[Depends(allow(READ_AGGREGATES))]
)
From = Annotated[date | None, Query(alias="from", description="First day to measure.")]
To = Annotated[date | None, Query(alias="to", description="Last day to measure.")]
BasisParam = Annotated[Literal["orders", "subscriptions", "any"], Query()]
UNMEASURABLE: dict[type[Exception], int] = {MetricsInputError: 422, MissingRateError: 422}


@router.get("/metrics")
def get_metrics(
    settings: SettingsDep,
    session: SessionDep,
    backend: WarehouseDep,
    page: WholePageDep,
    start: From = None,
    end: To = None,
    period: Literal["month", "quarter", "year"] = "month",
    by: Literal["country", "channel", "language", "plan"] | None = None,
    basis: BasisParam = "any",
    active_window: Annotated[int | None, Query(ge=1)] = None,
    target: Annotated[float | None, Query(gt=0, le=1)] = None,
) -> Page[dict[str, Any]]:
    """Retention, churn, revenue, order and NPS metrics, one row per period."""
    query = MetricsQuery(
        start=start,
        end=end,
        period=period,
        by=by,
        basis=basis,
        active_window_days=active_window or settings.metrics.active_window_days,
        crr_target=target if target is not None else settings.metrics.crr_target,
    )
    with answering(UNMEASURABLE):
        money = store_money(session=session, settings=settings)
        rows = compute_metrics(backend=backend, query=query, money=money)
    return page_of(rows, page)


@router.get("/cohorts")
def get_cohorts(
    settings: SettingsDep,
    session: SessionDep,
    backend: WarehouseDep,
    page: WholePageDep,
    start: From = None,
    end: To = None,
    by: Literal["week", "month", "quarter"] = "month",
    value: Literal["customers", "revenue"] = "customers",
    mode: Literal["classic", "unbounded"] = "classic",
    basis: BasisParam = "any",
) -> Page[dict[str, Any]]:
    """The acquisition-cohort table, one row per cohort and period since acquisition."""
    query = CohortQuery(start=start, end=end, period=by, value=value, mode=mode, basis=basis)
    with answering(UNMEASURABLE):
        money = store_money(session=session, settings=settings)
        rows = compute_cohorts(backend=backend, query=query, money=money)
    return page_of(rows, page)
