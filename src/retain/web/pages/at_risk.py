"""At risk: customers by churn risk with reasons, usage alerts, renewals, tasks by owner."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from retain.churn.jobs import renewal_report
from retain.churn.model import ChurnInputError
from retain.churn.schemas import ChurnScoreRead, TaskRead, UsageAlertRead
from retain.churn.service import list_probabilities, list_scores
from retain.churn.tasks import list_alerts, list_tasks
from retain.dependencies import SettingsDep
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.web.access import CustomerReader
from retain.web.pages.base import render_page

router = APIRouter()
RISK_BINS = 10


@router.get("/at-risk", response_class=HTMLResponse)
def at_risk(request: Request, settings: SettingsDep, principal: CustomerReader) -> HTMLResponse:
    """Customers by churn risk with reasons, usage alerts, renewals in 90 days, tasks by owner."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        scores = [ChurnScoreRead.model_validate(s) for s in list_scores(session=session, limit=50)]
        alerts = [UsageAlertRead.model_validate(a) for a in list_alerts(session=session, limit=50)]
        tasks = [TaskRead.model_validate(t) for t in list_tasks(session=session, limit=200)]
        probabilities = list_probabilities(session=session)
    renewals, problem = _renewals(settings)
    counts, _edges = np.histogram(probabilities, bins=RISK_BINS, range=(0.0, 1.0))
    chart = {
        "x": [f"{low:.0%}–{low + 1 / RISK_BINS:.0%}" for low in _edges[:-1]],
        "y": [int(count) for count in counts],
    }
    owners: dict[str, list[TaskRead]] = {}
    for task in tasks:
        owners.setdefault(task.owner, []).append(task)
    return render_page(
        request,
        "at_risk.html",
        principal=principal,
        scores=scores,
        alerts=alerts,
        renewals=renewals,
        problem=problem,
        owners=owners,
        chart=chart,
    )


def _renewals(settings: Settings) -> tuple[list[dict[str, Any]], str | None]:
    try:
        report = renewal_report(settings=settings, as_of=None, within_days=90)
    except ChurnInputError:
        return [], "no_data"
    except Exception:  # a locked or unreachable warehouse shows a message, not an error page
        return [], "warehouse_busy"
    pipeline = report.pipeline
    rows = pipeline.astype(object).where(pipeline.notna(), None).to_dict("records")
    return [{str(key): value for key, value in row.items()} for row in rows], None
