"""Cohorts: a retention heatmap of acquisition cohorts by periods since acquisition."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from retain.dependencies import SettingsDep
from retain.metrics.service import CohortQuery, compute_cohorts
from retain.settings import Settings
from retain.web.access import Reader
from retain.web.pages.base import From, To, csv_download, render_page, warehouse_rows

router = APIRouter()
MIN_COHORT_SIZE = 10


def cohort_query(
    start: From = None,
    end: To = None,
    by: Literal["week", "month", "quarter"] = "month",
    value: Literal["customers", "revenue"] = "customers",
    mode: Literal["classic", "unbounded"] = "classic",
) -> CohortQuery:
    """The cohort table's range and shape, from the query string."""
    return CohortQuery(start=start, end=end, period=by, value=value, mode=mode)


CohortQueryDep = Annotated[CohortQuery, Depends(cohort_query)]


def _cohort_rows(settings: Settings, query: CohortQuery) -> tuple[list[dict[str, Any]], str | None]:
    return warehouse_rows(
        settings, lambda backend, money: compute_cohorts(backend=backend, query=query, money=money)
    )


@router.get("/cohorts", response_class=HTMLResponse)
def cohorts(
    request: Request,
    settings: SettingsDep,
    principal: Reader,
    query: CohortQueryDep,
    min_size: Annotated[int, Query(ge=1, le=1_000_000)] = MIN_COHORT_SIZE,
) -> HTMLResponse:
    """A retention heatmap: acquisition cohorts by periods since acquisition."""
    rows, problem = _cohort_rows(settings, query)
    return render_page(
        request,
        "cohorts.html",
        principal=principal,
        rows=rows,
        problem=problem,
        chart=_cohort_chart(rows, min_size=min_size),
        grid=_cohort_grid(rows),
        min_size=min_size,
        query={
            "from": query.start,
            "to": query.end,
            "by": query.period,
            "value": query.value,
            "mode": query.mode,
        },
    )


def _cohort_chart(rows: list[dict[str, Any]], *, min_size: int) -> dict[str, Any]:
    """The heatmap's cells, with cohorts under ``min_size`` apart: they stay off the colour scale.

    Two customers make a share of 0 % or 100 %; coloured like a large cohort, that reads as a fact.
    """
    labels = sorted({row["cohort"].date().isoformat() for row in rows})
    index = {label: position for position, label in enumerate(labels)}
    sizes = {row["cohort"].date().isoformat(): int(row["cohort_size"]) for row in rows}
    cells: list[list[Any]] = []
    small: list[list[Any]] = []
    for row in rows:
        label = row["cohort"].date().isoformat()
        cell = [int(row["period"]), index[label], row["share"]]
        (small if sizes[label] < min_size else cells).append(cell)
    shares = [cell[2] for cell in cells if cell[2] is not None and np.isfinite(cell[2])]
    return {
        "cohorts": labels,
        "sizes": [sizes[label] for label in labels],
        "periods": sorted({int(row["period"]) for row in rows}),
        "cells": cells,
        "small": small,
        # Revenue retention passes 100 % when cohorts spend more later.
        "max": max([1.0, *shares]),
    }


def _cohort_grid(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Cohorts as rows and periods as columns, for the table under the heatmap."""
    periods = sorted({int(row["period"]) for row in rows})
    cohorts: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = cohorts.setdefault(
            row["cohort"].date().isoformat(), {"size": row["cohort_size"], "shares": {}}
        )
        entry["shares"][int(row["period"])] = row["share"]
    return {"periods": periods, "cohorts": cohorts}


@router.get("/cohorts.csv")
def cohorts_csv(settings: SettingsDep, _: Reader, query: CohortQueryDep) -> Response:
    """The cohort table as CSV, one row per cohort and period."""
    rows, _problem = _cohort_rows(settings, query)
    return csv_download(rows, "retain-cohorts.csv")
