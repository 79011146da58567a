"""The embeddable chat widget ``/chat`` (an iframe) that talks to ``/api/v1/assistant``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from retain.locales import choose_language, ui_text
from retain.web.rendering import render

router = APIRouter(tags=["assistant pages"])


@router.get("/chat", response_class=HTMLResponse)
def chat_page(
    request: Request,
    lang: Annotated[str | None, Query(max_length=8)] = None,
    token: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    """The embeddable chat widget (an iframe); ``token`` identifies a signed-in customer."""
    language = choose_language(
        requested=lang,
        chosen=request.cookies.get("lang"),
        accept_language=request.headers.get("accept-language"),
    )
    return render(
        "chat/chat.html",
        text=ui_text("chat_widget", language),
        language=language,
        other="en" if language == "zh-CN" else "zh-CN",
        token=token or "",
    )
