"""The overview: headline retention figures against their targets, with trends."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from retain.clock import utcnow
from retain.dependencies import SettingsDep
from retain.lifetime.service import list_predicted_values
from retain.metrics.service import MetricsQuery, compute_metrics
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.web.access import Reader
from retain.web.pages.base import From, To, csv_download, render_page, warehouse_rows

router = APIRouter()
Period = Literal["month", "quarter", "year"]
OVERVIEW_SERIES = ("crr", "churn_rate", "grr", "ndr", "nps")
OVERVIEW_COLUMNS = ("period_start", "customers_end", "crr", "churn_rate", "grr", "ndr", "nps")


def metrics_query(
    settings: SettingsDep, start: From = None, end: To = None, period: Period = "month"
) -> MetricsQuery:
    """The overview's range and period, from the query string."""
    return MetricsQuery(
        start=start,
        end=end,
        period=period,
        active_window_days=settings.metrics.active_window_days,
        crr_target=settings.metrics.crr_target,
    )


MetricsQueryDep = Annotated[MetricsQuery, Depends(metrics_query)]


def _metrics_rows(
    settings: Settings, query: MetricsQuery
) -> tuple[list[dict[str, Any]], str | None]:
    return warehouse_rows(
        settings, lambda backend, money: compute_metrics(backend=backend, query=query, money=money)
    )


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, settings: SettingsDep, principal: Reader, query: MetricsQueryDep
) -> HTMLResponse:
    """Headline retention figures against their targets, with trends."""
    rows, problem = _metrics_rows(settings, query)
    chart = {
        "periods": [row["period_start"].date().isoformat() for row in rows],
        "series": {name: [row.get(name) for row in rows] for name in OVERVIEW_SERIES},
        "revenue": [row.get("revenue") for row in rows],
        "mrr_end": [row.get("mrr_end") for row in rows],
        "target": settings.metrics.crr_target,
    }
    return render_page(
        request,
        "overview.html",
        principal=principal,
        rows=rows,
        latest=_last_complete(rows),
        problem=problem,
        chart=chart,
        average_clv=_average_clv(settings),
        query={"from": query.start, "to": query.end, "period": query.period},
        columns=OVERVIEW_COLUMNS,
    )


@router.get("/overview.csv")
def overview_csv(settings: SettingsDep, _: Reader, query: MetricsQueryDep) -> Response:
    """The overview's metrics, every column, as CSV."""
    rows, _problem = _metrics_rows(settings, query)
    return csv_download(rows, "retain-metrics.csv")


def _last_complete(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest period that has ended (the running one would show half a month as a trend)."""
    today = utcnow()
    ended = [row for row in rows if row["period_end"] <= today]
    return ended[-1] if ended else (rows[-1] if rows else None)


def _average_clv(settings: Settings) -> float | None:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        values = list_predicted_values(session=session)
    return float(np.mean(values)) if values else None
