"""The embeddable chat widget ``/chat`` (an iframe) that talks to ``/api/v1/assistant``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from retain.locales import choose_language
from retain.web.rendering import render

router = APIRouter(tags=["assistant pages"])

CHAT_TEXT = {
    "en": {
        "title": "Chat with us",
        "placeholder": "Type your question…",
        "send": "Send",
        "email": "Your e-mail (so a person can reply)",
        "rate": "Was this helpful?",
        "thanks": "Thank you for your rating.",
        "switch": "中文",
        "error": "Something went wrong; please try again.",
        "typing": "The assistant is typing…",
        "helpful": "Helpful",
        "not_helpful": "Not helpful",
    },
    "zh-CN": {
        "title": "在线咨询",
        "placeholder": "请输入您的问题…",
        "send": "发送",
        "email": "您的邮箱（以便工作人员回复）",
        "rate": "这对您有帮助吗？",
        "thanks": "感谢您的评价。",
        "switch": "English",
        "error": "出错了，请重试。",
        "typing": "助手正在输入…",
        "helpful": "有帮助",
        "not_helpful": "没有帮助",
    },
}


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
        text=CHAT_TEXT[language],
        language=language,
        other="en" if language == "zh-CN" else "zh-CN",
        token=token or "",
    )
