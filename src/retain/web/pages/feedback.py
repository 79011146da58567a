"""Feedback: NPS and CSAT with intervals, topic trends, products with regret, verbatim search."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from retain.clock import utcnow
from retain.dependencies import SettingsDep, WarehouseDep
from retain.locales import Language, vocab
from retain.store import ensure_store, session_scope
from retain.web.access import Reader, ReadsCustomerWords
from retain.web.pages.base import page_language, render_page

router = APIRouter()
# One "aspect (mentions)" item of the regret table's top complaints.
ASPECT_COUNT = re.compile(r"([\w-]+) \((\d+)\)")


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page(
    request: Request,
    settings: SettingsDep,
    backend: WarehouseDep,
    principal: Reader,
    reads_customer_words: ReadsCustomerWords,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """NPS and CSAT with intervals, topic trends, products with regret and verbatim search."""
    from retain.feedback import regret, report

    ensure_store(settings.storage.store_url)
    scores = report.survey_scores(backend, period="month")
    now = utcnow()
    ranked = regret.rank_regret(backend, at=now, min_orders=20, limit=10)
    with session_scope(settings.storage.store_url) as session:
        topics = report.topic_trends(session=session, period="month")
        verbatims = (
            report.search_verbatims(session=session, query=q, limit=50)
            if q and reads_customer_words
            else []
        )
    measured = [row for row in scores if row["nps"] is not None]
    chart = {
        "x": [row["period"].strftime("%Y-%m") for row in measured],
        "value": [row["nps"] for row in measured],
        "low": [row["nps_low"] for row in measured],
        "high": [row["nps_high"] for row in measured],
    }
    language = page_language(request, principal)
    regret_rows = [
        {**row, "top_negative_aspects": _aspect_counts(row["top_negative_aspects"], language)}
        for row in ranked.to_dict("records")
    ]
    return render_page(
        request,
        "feedback.html",
        principal=principal,
        scores=scores,
        chart=chart,
        topics=topics[-30:],
        regret=regret_rows,
        verbatims=verbatims,
        q=q or "",
    )


def _aspect_counts(text: str, language: Language) -> str:
    """ "delivery (3), price (2)" as the reader says the aspects: 物流配送 (3), 价格 (2)."""
    return ASPECT_COUNT.sub(
        lambda found: f"{vocab(found[1], 'aspect', language)} ({found[2]})", text or ""
    )
