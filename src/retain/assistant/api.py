"""``/api/v1/assistant/...``: the customer chat, CSAT, tokens and the summary; the ``/chat`` widget.

The chat is public (customers have no Retain account) and rate-limited per client address. A
customer is known only through a signed token the business issues (``POST .../tokens`` or
``retain assistant token``); without one the chat answers general questions and asks for an
e-mail address before handing off.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from ibis.backends import BaseBackend
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from retain.assistant import report
from retain.assistant.brain import load_brain
from retain.assistant.encoder import EncoderUnavailable
from retain.assistant.service import (
    ConversationNotFound,
    answer_message,
    customer_from_token,
    issue_customer_token,
    rate_conversation,
    utcnow,
)
from retain.auth.dependencies import allow
from retain.auth.ratelimit import enforce
from retain.auth.roles import READ_AGGREGATES, SERVE_CUSTOMERS
from retain.auth.sessions import signing_key
from retain.dependencies import RequestSettingsDep, SettingsDep
from retain.locales import choose_language, ui_text
from retain.settings import Settings
from retain.signed_links import BadLink
from retain.store import ensure_store, session_scope
from retain.support.service import SupportError
from retain.warehouse.pool import pool_for

router = APIRouter(prefix="/api/v1/assistant", tags=["assistant"])
public_router = APIRouter(tags=["assistant pages"])
_pages = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "pages"),
    autoescape=select_autoescape(["html"]),
)


class MessageCreate(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    conversation_id: str | None = Field(default=None, max_length=36)
    token: str | None = Field(default=None, max_length=2000, description="Signed customer token.")
    email: str | None = Field(
        default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", description="Hand-off contact."
    )
    language: Literal["en", "zh-CN"] | None = None


class CitationRead(BaseModel):
    article_id: int
    title: str
    url: str


class MessageRead(BaseModel):
    conversation_id: str
    text: str
    resolution: str
    intent: str | None
    confidence: float | None
    ticket_id: int | None
    citations: list[CitationRead]


class RatingCreate(BaseModel):
    rating: int = Field(ge=1, le=5, description="1-5; a thumbs up is 5, a thumbs down 1.")
    token: str | None = Field(default=None, max_length=2000)


class RatingRead(BaseModel):
    conversation_id: str
    rating: int


class TokenCreate(BaseModel):
    customer_id: str = Field(min_length=1, max_length=128)


class TokenRead(BaseModel):
    customer_id: str
    token: str
    chat_url: str


class UnansweredRead(BaseModel):
    question: str
    times: int


class SummaryRead(BaseModel):
    since: datetime
    conversations: int
    customer_messages: int
    auto_resolution_rate: float | None
    escalation_rate: float | None
    handed_off: int
    answered_accuracy: float | None
    evaluated_at: datetime | None
    csat: float | None
    csat_satisfied: float | None
    ratings: int
    unanswered: list[UnansweredRead]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _customer(settings: Settings, token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return customer_from_token(secret=signing_key(settings), token=token)
    except BadLink as error:
        raise HTTPException(
            status_code=401, detail=f"the customer token is invalid: {error}"
        ) from None


@contextmanager
def _warehouse(settings: Settings, needed: bool) -> Iterator[BaseBackend | None]:
    """A pooled warehouse connection when the customer is known (actions read their data)."""
    if not needed:
        yield None
        return
    pool = pool_for(settings.resolved_warehouse_url, idle_seconds=settings.warehouse_idle_seconds)
    backend = pool.acquire()
    try:
        yield backend
    except BaseException:
        pool.release(backend, broken=True)
        raise
    pool.release(backend)


@router.post("/messages")
def post_message(
    body: MessageCreate, request: Request, settings: RequestSettingsDep
) -> MessageRead:
    """The assistant's reply to a customer's message; a hand-off opens one ticket per chat."""
    enforce(
        storage_url=settings.rate_limit_storage,
        limit=settings.assistant_rate_limit,
        scope="assistant",
        key=_client(request),
    )
    customer_id = _customer(settings, body.token)
    try:
        brain = load_brain(settings)
    except EncoderUnavailable as error:
        raise HTTPException(status_code=503, detail=str(error)) from None
    ensure_store(settings.store_url)
    try:
        with (
            _warehouse(settings, customer_id is not None) as backend,
            session_scope(settings.store_url) as session,
        ):
            reply = answer_message(
                session,
                settings=settings,
                brain=brain,
                text=body.text,
                conversation_id=body.conversation_id,
                customer_id=customer_id,
                email=body.email,
                language=body.language,
                backend=backend,
            )
    except ConversationNotFound as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
    except SupportError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    return MessageRead(
        conversation_id=reply.conversation_id,
        text=reply.text,
        resolution=reply.resolution,
        intent=reply.intent,
        confidence=reply.confidence,
        ticket_id=reply.ticket_id,
        citations=[CitationRead(**vars(citation)) for citation in reply.citations],
    )


@router.post("/conversations/{conversation_id}/rating")
def post_rating(
    conversation_id: str, body: RatingCreate, request: Request, settings: SettingsDep
) -> RatingRead:
    """The customer's CSAT for a conversation (the last rating counts)."""
    enforce(
        storage_url=settings.rate_limit_storage,
        limit=settings.assistant_rate_limit,
        scope="assistant",
        key=_client(request),
    )
    customer_id = _customer(settings, body.token)
    ensure_store(settings.store_url)
    try:
        with session_scope(settings.store_url) as session:
            rate_conversation(
                session,
                conversation_id=conversation_id,
                customer_id=customer_id,
                rating=body.rating,
            )
    except ConversationNotFound as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
    return RatingRead(conversation_id=conversation_id, rating=body.rating)


@router.post("/tokens", status_code=201, dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_token(body: TokenCreate, settings: RequestSettingsDep) -> TokenRead:
    """A signed chat token for a customer, and the widget URL that carries it."""
    token = issue_customer_token(
        secret=signing_key(settings),
        customer_id=body.customer_id,
        days=settings.assistant_link_days,
    )
    chat_url = f"{settings.public_base_url.rstrip('/')}/chat?token={token}"
    return TokenRead(customer_id=body.customer_id, token=token, chat_url=chat_url)


@router.get("/summary", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_summary(
    settings: SettingsDep, days: Annotated[int, Query(ge=1, le=3660)] = 30
) -> SummaryRead:
    """Auto-resolution, escalation, answered accuracy, CSAT and the top unanswered questions."""
    since = utcnow() - timedelta(days=days)
    ensure_store(settings.store_url)
    with session_scope(settings.store_url) as session:
        found = report.assistant_summary(session, since=since)
    return SummaryRead(
        since=since,
        **{name: value for name, value in vars(found).items() if name != "unanswered"},
        unanswered=[UnansweredRead(**vars(item)) for item in found.unanswered],
    )


@public_router.get("/chat", response_class=HTMLResponse)
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
    html = _pages.get_template("chat.html").render(
        text=ui_text("chat_widget", language),
        language=language,
        other="en" if language == "zh-CN" else "zh-CN",
        token=token or "",
    )
    return HTMLResponse(html)
