"""Support: open tickets by state and priority, SLA at risk, CSAT, deflecting articles."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from retain.clock import utcnow
from retain.dependencies import SettingsDep
from retain.locales import vocab
from retain.store import migrated_session
from retain.support import csat, knowledge
from retain.support import service as support_service
from retain.support.deadlines import calendar_for, sla_board
from retain.web.access import Reader, ReadsCustomerWords
from retain.web.pages.base import page_language, render_page

router = APIRouter()


@router.get("/support", response_class=HTMLResponse)
def support(
    request: Request,
    settings: SettingsDep,
    principal: Reader,
    reads_customer_words: ReadsCustomerWords,
) -> HTMLResponse:
    """Open tickets by state and priority, SLA at risk and breached, CSAT, deflecting articles."""
    with migrated_session(settings.storage.store_url) as session:
        counts = support_service.counts_by_state(session=session)
        board = sla_board(
            session,
            calendar=calendar_for(settings),
            warning=timedelta(hours=settings.support.warning_hours),
            at=utcnow(),
        )
        ratings = csat.csat_report(session)
        deflecting = knowledge.deflecting_articles(session, limit=10)
    if not reads_customer_words:
        board = [replace(item, subject="") for item in board]
    language = page_language(request, principal)
    chart = {
        "x": [vocab(state, "ticket_state", language) for state in counts],
        "y": [sum(row.values()) for row in counts.values()],
    }
    return render_page(
        request,
        "support.html",
        principal=principal,
        counts=counts,
        priorities=support_service.PRIORITIES,
        chart=chart,
        board=board,
        ratings=ratings,
        deflecting=deflecting,
    )
