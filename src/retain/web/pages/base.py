"""What every staff page shares: the reader's language, the page frame, CSV downloads and
warehouse reads that show a message instead of an error page."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator

from retain.auth.service import Principal
from retain.currency.service import MissingRateError, stored_money
from retain.lifetime.service import ClvInputError
from retain.locales import Language, choose_language, normalise_language, ui_text
from retain.metrics.service import MetricsInputError
from retain.settings import Settings
from retain.spreadsheets import write_rows
from retain.warehouse import on_warehouse
from retain.web.i18n import Formatter
from retain.web.rendering import render


def _blank_is_none(value: Any) -> Any:
    # A date field the user left empty is sent as "from=": it means no bound, not a bad date.
    return None if value == "" else value


From = Annotated[date | None, BeforeValidator(_blank_is_none), Query(alias="from")]
To = Annotated[date | None, BeforeValidator(_blank_is_none), Query(alias="to")]


def page_language(request: Request, principal: Principal | None = None) -> Language:
    """The link's ``lang``, else the switcher's cookie, else the user's own stored choice,
    else the browser's: a user who never chose follows the browser, signed in or not."""
    return choose_language(
        requested=request.query_params.get("lang"),
        chosen=request.cookies.get("lang"),
        stored=principal.language if principal else None,
        accept_language=request.headers.get("accept-language"),
    )


def render_page(
    request: Request,
    name: str,
    *,
    principal: Principal | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A staff page in the reader's language; a ``lang`` link remembers the choice in a cookie."""
    language = page_language(request, principal)
    response = render(
        name,
        status=status,
        request=request,
        t=ui_text("dashboard", language),
        lang=language,
        other="en" if language != "en" else "zh-CN",
        fmt=Formatter(language),
        principal=principal,
        csrf=principal.session_csrf if principal else None,
        **context,
    )
    if normalise_language(request.query_params.get("lang")) is not None:
        response.set_cookie("lang", language, max_age=365 * 86400, samesite="lax")
    return response


def csv_download(rows: list[dict[str, Any]], filename: str) -> Response:
    """``rows`` as a CSV attachment named ``filename``."""
    buffer = io.StringIO()
    write_rows(buffer, rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def warehouse_rows(
    settings: Settings, work: Callable[[Any, Any], list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], str | None]:
    """Rows of ``work``, or none and the text key of why not."""
    try:
        money = stored_money(settings=settings)
        return on_warehouse(settings.storage.resolved_warehouse_url, work, money), None
    except (MetricsInputError, ClvInputError, MissingRateError):
        return [], "no_data"
    except Exception:  # a locked or unreachable warehouse shows a message, not an error page
        return [], "warehouse_busy"
