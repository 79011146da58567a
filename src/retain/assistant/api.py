"""``/api/v1/assistant/...``: the customer chat, CSAT, tokens and the summary (the ``/chat``
widget that calls them is ``retain.web.public.chat``).

The chat is public (customers have no Retain account) and rate-limited per client address. A
customer is known only through a signed token the business issues (``POST .../tokens`` or
``retain assistant token``); without one the chat answers general questions and asks for an
e-mail address before handing off.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from ibis.backends import BaseBackend

from retain.assistant import report
from retain.assistant.brain import load_brain
from retain.assistant.encoder import EncoderUnavailable
from retain.assistant.schemas import (
    CitationRead,
    MessageCreate,
    MessageRead,
    RatingCreate,
    RatingRead,
    SummaryRead,
    TokenCreate,
    TokenRead,
    UnansweredRead,
)
from retain.assistant.service import (
    ConversationNotFound,
    answer_message,
    customer_from_token,
    issue_customer_token,
    rate_conversation,
)
from retain.auth.dependencies import allow
from retain.auth.ratelimit import enforce
from retain.auth.roles import READ_AGGREGATES, SERVE_CUSTOMERS
from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.dependencies import RequestSettingsDep, SessionDep, SettingsDep, answering
from retain.settings import Settings
from retain.signed_links import BadLink
from retain.support.service import SupportError
from retain.warehouse.pool import pool_for

router = APIRouter(prefix="/api/v1/assistant", tags=["assistant"])


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
    pool = pool_for(
        settings.storage.resolved_warehouse_url, idle_seconds=settings.server.warehouse_idle_seconds
    )
    backend = pool.acquire()
    try:
        yield backend
    except BaseException:
        pool.release(backend, broken=True)
        raise
    pool.release(backend)


@router.post("/messages")
def post_message(
    body: MessageCreate, request: Request, settings: RequestSettingsDep, session: SessionDep
) -> MessageRead:
    """The assistant's reply to a customer's message; a hand-off opens one ticket per chat."""
    enforce(
        storage_url=settings.server.rate_limit_storage,
        limit=settings.assistant.rate_limit,
        scope="assistant",
        key=_client(request),
    )
    customer_id = _customer(settings, body.token)
    try:
        brain = load_brain(settings)
    except EncoderUnavailable as error:
        raise HTTPException(status_code=503, detail=str(error)) from None
    with (
        answering({ConversationNotFound: 404, SupportError: 422}),
        _warehouse(settings, customer_id is not None) as backend,
    ):
        reply = answer_message(
            session=session,
            settings=settings,
            brain=brain,
            text=body.text,
            conversation_id=body.conversation_id,
            customer_id=customer_id,
            email=body.email,
            language=body.language,
            backend=backend,
        )
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
    conversation_id: str,
    body: RatingCreate,
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
) -> RatingRead:
    """The customer's CSAT for a conversation (the last rating counts)."""
    enforce(
        storage_url=settings.server.rate_limit_storage,
        limit=settings.assistant.rate_limit,
        scope="assistant",
        key=_client(request),
    )
    customer_id = _customer(settings, body.token)
    with answering({ConversationNotFound: 404}):
        rate_conversation(
            session=session,
            conversation_id=conversation_id,
            customer_id=customer_id,
            rating=body.rating,
        )
    return RatingRead(conversation_id=conversation_id, rating=body.rating)


@router.post("/tokens", status_code=201, dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_token(body: TokenCreate, settings: RequestSettingsDep) -> TokenRead:
    """A signed chat token for a customer, and the widget URL that carries it."""
    token = issue_customer_token(
        secret=signing_key(settings),
        customer_id=body.customer_id,
        days=settings.assistant.link_days,
    )
    chat_url = f"{settings.server.public_base_url.rstrip('/')}/chat?token={token}"
    return TokenRead(customer_id=body.customer_id, token=token, chat_url=chat_url)


@router.get("/summary", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_summary(
    session: SessionDep, days: Annotated[int, Query(ge=1, le=3660)] = 30
) -> SummaryRead:
    """Auto-resolution, escalation, answered accuracy, CSAT and the top unanswered questions."""
    since = utcnow() - timedelta(days=days)
    found = report.assistant_summary(session, since=since)
    return SummaryRead(
        since=since,
        **{name: value for name, value in vars(found).items() if name != "unanswered"},
        unanswered=[UnansweredRead(**vars(item)) for item in found.unanswered],
    )
