"""Lifetime value: predicted CLV by range and the model's tracking of repeat purchases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from retain.dependencies import SettingsDep
from retain.lifetime.service import ClvInputError, ClvQuery, list_predicted_values, validate_model
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.web.access import Reader
from retain.web.pages.base import csv_download, render_page, warehouse_rows

router = APIRouter()
CLV_BINS = 20
TRACKING_WEEKS = 26


@router.get("/lifetime", response_class=HTMLResponse)
def lifetime(
    request: Request,
    settings: SettingsDep,
    principal: Reader,
    calibration_end: date | None = None,
) -> HTMLResponse:
    """The distribution of predicted CLV and the model's tracking of actual repeat purchases."""
    histogram = _clv_histogram(settings)
    tracking, problem = _tracking(settings, calibration_end)
    chart = {
        "bins": [row["range"] for row in histogram],
        "counts": [row["customers"] for row in histogram],
        "weeks": [row["week_end"].isoformat() for row in tracking],
        "actual": [row["actual"] for row in tracking],
        "model": [row["model"] for row in tracking],
        "calibration_weeks": sum(1 for row in tracking if row["period"] == "calibration"),
    }
    return render_page(
        request,
        "lifetime.html",
        principal=principal,
        histogram=histogram,
        tracking=tracking,
        problem=problem,
        chart=chart,
        reporting_currency=settings.region.reporting_currency,
    )


@router.get("/lifetime.csv")
def lifetime_csv(settings: SettingsDep, _: Reader) -> Response:
    """The CLV distribution as CSV."""
    return csv_download(_clv_histogram(settings), "retain-clv-distribution.csv")


@router.get("/lifetime-tracking.csv")
def lifetime_tracking_csv(
    settings: SettingsDep, _: Reader, calibration_end: date | None = None
) -> Response:
    """The model's weekly tracking (cumulative repeat purchases, actual and predicted) as CSV."""
    tracking, _problem = _tracking(settings, calibration_end)
    return csv_download(tracking, "retain-clv-tracking.csv")


def _clv_histogram(settings: Settings) -> list[dict[str, Any]]:
    """Customers per CLV range; the last range collects the top 1% so outliers don't flatten it."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        values = np.array(list_predicted_values(session=session), dtype=float)
    if values.size == 0:
        return []
    top = float(np.quantile(values, 0.99)) or float(values.max()) or 1.0
    edges = np.linspace(0.0, top, CLV_BINS + 1)
    counts, _edges = np.histogram(np.clip(values, 0.0, top), bins=edges)
    last = len(counts) - 1
    return [
        {
            # The last range also holds everything above the 99th percentile.
            "range": f"{low:,.0f}+" if index == last else f"{low:,.0f}–{high:,.0f}",
            "low": round(float(low), 2),
            "high": None if index == last else round(float(high), 2),
            "customers": int(count),
        }
        for index, (low, high, count) in enumerate(zip(edges[:-1], edges[1:], counts, strict=True))
    ]


def _tracking(
    settings: Settings, calibration_end: date | None
) -> tuple[list[dict[str, Any]], str | None]:
    def work(backend: Any, money: Any) -> list[dict[str, Any]]:
        holdout_end = _latest_order_day(backend)
        calibration = calibration_end or holdout_end - timedelta(weeks=TRACKING_WEEKS)
        report = validate_model(
            backend=backend,
            query=ClvQuery(calibration_end=calibration),
            holdout_end=holdout_end,
            money=money,
        )
        return report.tracking

    return warehouse_rows(settings, work)


def _latest_order_day(backend: Any) -> date:
    latest = backend.table("order").ordered_at.max().execute()
    if latest is None:
        raise ClvInputError("no orders yet")
    return latest.date()  # type: ignore[no-any-return]
