"""The staff dashboard in English and Simplified Chinese, one module per page or page group.

Each chart's data is embedded in its page as JSON (rendered by ECharts, served from the package),
shown again as a table, and downloadable as CSV from the same service functions as the API.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from retain.locales import ui_text
from retain.web import access, errors
from retain.web.pages import (
    assistant,
    at_risk,
    cohorts,
    customers,
    feedback,
    lifetime,
    login,
    overview,
    playbooks,
    returns,
    support,
)
from retain.web.pages.base import page_language, render_page

router = APIRouter(include_in_schema=False)
for page in (
    login,
    overview,
    cohorts,
    customers,
    at_risk,
    lifetime,
    playbooks,
    feedback,
    returns,
    support,
    assistant,
):
    router.include_router(page.router)


def install(app: FastAPI) -> None:
    """Sign-in redirects, the forbidden page and error pages in the reader's language."""
    access.install(app, lambda request: render_page(request, "forbidden.html", status=403))
    errors.install(app, _error_page)


def _error_page(
    request: Request, status: int, fields: list[str], headers: Mapping[str, str] | None
) -> HTMLResponse:
    """The error page for ``status`` in the reader's language, naming the invalid ``fields``."""
    response = render_page(
        request,
        "error.html",
        status=status,
        words=ui_text("errors", page_language(request)),
        message=errors.message_key(status),
        code=status,
        fields=fields,
    )
    response.headers.update(headers or {})
    return response
