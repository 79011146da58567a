"""Returns: rates by category and reason, serial returners, retention after a return."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from retain.clock import utcnow
from retain.dependencies import SettingsDep, WarehouseDep
from retain.locales import vocab
from retain.returns import service as returns_service
from retain.store import ensure_store, session_scope
from retain.web.access import CustomerReader
from retain.web.pages.base import page_language, render_page

router = APIRouter()


@router.get("/returns", response_class=HTMLResponse)
def returns_page(
    request: Request, settings: SettingsDep, backend: WarehouseDep, principal: CustomerReader
) -> HTMLResponse:
    """Return rates by category and reason, serial returners, retention after a return."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        overview = returns_service.returns_overview(session=session, backend=backend, at=utcnow())
    language = page_language(request, principal)
    return render_page(
        request,
        "returns.html",
        principal=principal,
        categories=overview.categories,
        reasons=overview.reasons,
        serial=overview.serial_returners,
        retention=overview.retention,
        open_states=overview.open_states,
        category_chart={
            "x": [vocab(row["category"], "category", language) for row in overview.categories],
            "y": [round(100 * float(row["return_rate"]), 2) for row in overview.categories],
        },
        reason_chart={
            "x": [vocab(row["reason"], "return_reason", language) for row in overview.reasons],
            "y": [int(row["returns"]) for row in overview.reasons],
        },
    )
