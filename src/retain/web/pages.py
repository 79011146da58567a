"""Dashboard pages (the overview for now), in English and Simplified Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from retain.settings import Settings, get_settings
from retain.warehouse import connect, row_counts

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
Language = Literal["en", "zh-CN"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Retain",
        "tagline": "Customer retention, measured, predicted and acted on.",
        "tables": "Warehouse tables",
        "table": "Table",
        "rows": "Rows",
        "unavailable": "The warehouse is busy or unreachable; try again shortly.",
        "api": "API documentation",
        "switch": "中文",
    },
    "zh-CN": {
        "title": "Retain 客户留存",
        "tagline": "衡量、预测并提升客户留存。",
        "tables": "数据仓库表",
        "table": "表",
        "rows": "行数",
        "unavailable": "数据仓库正忙或无法连接，请稍后再试。",
        "api": "API 文档",
        "switch": "English",
    },
}


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    lang: Annotated[Language | None, Query()] = None,
) -> HTMLResponse:
    """The overview page: what the warehouse holds."""
    language: Language = lang or _preferred_language(request)
    try:
        backend = connect(settings.resolved_warehouse_url, create_tables=False)
        counts: dict[str, int] | None = row_counts(backend)
        backend.disconnect()
    except Exception:  # a locked or missing warehouse shows a message, not an error page
        counts = None
    response = templates.TemplateResponse(
        request,
        "overview.html",
        {
            "t": TEXT[language],
            "lang": language,
            "other": "en" if language != "en" else "zh-CN",
            "counts": counts,
        },
    )
    response.set_cookie("lang", language, samesite="lax")
    return response


def _preferred_language(request: Request) -> Language:
    remembered = request.cookies.get("lang")
    if remembered in TEXT:
        return remembered  # type: ignore[return-value]
    accepted = request.headers.get("accept-language", "")
    return "zh-CN" if accepted.lower().startswith("zh") else "en"
