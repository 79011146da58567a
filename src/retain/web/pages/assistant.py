"""Assistant: auto-resolution, escalation, answered accuracy, CSAT, unanswered questions."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from retain.assistant.report import assistant_summary
from retain.clock import utcnow
from retain.dependencies import SettingsDep
from retain.store import ensure_store, session_scope
from retain.web.access import Reader
from retain.web.pages.base import render_page

router = APIRouter()


@router.get("/assistant", response_class=HTMLResponse)
def assistant_page(request: Request, settings: SettingsDep, principal: Reader) -> HTMLResponse:
    """Auto-resolution, escalation, answered accuracy, CSAT and unanswered questions (30 days)."""
    since = utcnow() - timedelta(days=30)
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        summary = assistant_summary(session, since=since)
    return render_page(request, "assistant.html", principal=principal, summary=summary)
