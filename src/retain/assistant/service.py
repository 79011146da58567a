"""The assistant's conversation loop: understand, answer from an intent or an article, or hand off.

A reply comes from, in order: a confident in-scope intent (its answer, article or action); a
knowledge-base article similar enough to the question (as a generated, cited answer when an
OpenAI-compatible endpoint is configured); otherwise a hand-off that opens exactly one ticket
for the conversation and tells the customer a person will reply.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ibis.backends import BaseBackend
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.assistant.actions import run_action
from retain.assistant.brain import Brain
from retain.assistant.generation import (
    GenerationError,
    Source,
    generate_answer,
    generation_enabled,
)
from retain.assistant.intents import IntentReply
from retain.assistant.models import AssistantConversation, AssistantMessage
from retain.clock import aware_utcnow, utcnow
from retain.locales import normalise_language, ui_text
from retain.settings import Settings
from retain.signed_links import BadLink, read, sign
from retain.support.deadlines import calendar_for
from retain.support.knowledge import ArticleHit, get_article, record_article_use, search_articles
from retain.support.models import Article
from retain.support.service import NotFound, open_ticket

LINK_PURPOSE = "assistant"
CJK = re.compile(r"[\u3400-\u9fff]")
TRANSCRIPT_AUTHORS = {"customer": "Customer", "assistant": "Assistant"}


def _reply_words(language: str, key: str, **values: object) -> str:
    """One of the assistant's replies in ``language``, its blanks filled with ``values``."""
    return ui_text("assistant_replies", language)[key].format(**values)


class ConversationNotFound(LookupError):
    """No conversation with that id belongs to this customer."""


@dataclass(frozen=True)
class Citation:
    article_id: int
    title: str
    url: str


@dataclass
class Reply:
    conversation_id: str
    text: str
    resolution: str  # intent, article, generated, handoff, needs_email, sign_in
    intent: str | None = None
    confidence: float | None = None
    ticket_id: int | None = None
    citations: list[Citation] = field(default_factory=list)


def detect_language(*, text: str) -> str:
    """zh-CN when the message has Chinese characters, else en."""
    return "zh-CN" if CJK.search(text) else "en"


def issue_customer_token(
    *, secret: str, customer_id: str, days: int, at: datetime | None = None
) -> str:
    """The signed token a business gives its signed-in customer to chat as themselves."""
    expires_at = (at or aware_utcnow()) + timedelta(days=days)
    return sign(
        secret=secret,
        purpose=LINK_PURPOSE,
        claims={"customer_id": customer_id},
        expires_at=expires_at,
    )


def customer_from_token(*, secret: str, token: str, at: datetime | None = None) -> str:
    """The customer id a token was issued for; BadLink when it is forged or expired."""
    claims = read(secret=secret, purpose=LINK_PURPOSE, token=token, at=at or aware_utcnow())
    customer_id = claims.get("customer_id")
    if not isinstance(customer_id, str) or not customer_id:
        raise BadLink("the token names no customer")
    return customer_id


def answer_message(
    *,
    session: Session,
    settings: Settings,
    brain: Brain,
    text: str,
    conversation_id: str | None = None,
    customer_id: str | None = None,
    email: str | None = None,
    language: str | None = None,
    backend: BaseBackend | None = None,
    at: datetime | None = None,
) -> Reply:
    """Store the customer's message and the assistant's reply to it; hand off when unsure."""
    at = at or utcnow()
    language = normalise_language(language) or detect_language(text=text)
    conversation = _conversation(
        session, conversation_id=conversation_id, customer_id=customer_id, language=language, at=at
    )
    asked = _add_message(session, conversation, author="customer", text=text, at=at)
    reply = _decide(
        session,
        settings=settings,
        brain=brain,
        conversation=conversation,
        text=text,
        email=email,
        language=language,
        backend=backend,
        at=at,
    )
    _add_message(
        session,
        conversation,
        author="assistant",
        text=reply.text,
        at=at,
        resolution=reply.resolution,
        intent=reply.intent,
        confidence=reply.confidence,
        article_id=str(reply.citations[0].article_id) if reply.citations else None,
    )
    # Kept on the question too, so that the report finds unanswered questions in one table.
    asked.resolution = reply.resolution
    return reply


def _decide(
    session: Session,
    *,
    settings: Settings,
    brain: Brain,
    conversation: AssistantConversation,
    text: str,
    email: str | None,
    language: str,
    backend: BaseBackend | None,
    at: datetime,
) -> Reply:
    if conversation.ticket_id is not None:
        words = _reply_words(language, "already", ticket=conversation.ticket_id)
        return Reply(conversation.id, words, "handoff", ticket_id=int(conversation.ticket_id))
    prediction = brain.understand(text)
    configured = brain.intents.get(prediction.intent)
    if prediction.answered and configured is not None:
        reply = _from_intent(
            session,
            settings=settings,
            conversation=conversation,
            configured=configured,
            language=language,
            backend=backend,
            at=at,
        )
        reply.intent, reply.confidence = prediction.intent, prediction.confidence
        return reply
    hits = search_articles(session, text, language=language, limit=3)
    hits = [hit for hit in hits if hit.score >= settings.assistant.article_min_score]
    if hits:
        reply_from_articles = _from_articles(
            session,
            settings=settings,
            conversation=conversation,
            question=text,
            hits=hits,
            language=language,
            at=at,
        )
        if reply_from_articles is not None:
            return reply_from_articles
    return _hand_off(
        session,
        settings=settings,
        conversation=conversation,
        email=email,
        language=language,
        at=at,
        intent=prediction.intent,
        confidence=prediction.confidence,
    )


def _from_intent(
    session: Session,
    *,
    settings: Settings,
    conversation: AssistantConversation,
    configured: IntentReply,
    language: str,
    backend: BaseBackend | None,
    at: datetime,
) -> Reply:
    if configured.action is not None:
        result = run_action(
            configured.action,
            backend=backend,
            customer_id=conversation.customer_id,
            language=language,
            public_base_url=settings.server.public_base_url,
        )
        return Reply(conversation.id, result.text, "intent" if result.resolved else "sign_in")
    citations: list[Citation] = []
    text = configured.text(language) or ""
    if configured.article is not None:
        article = _article_by_slug(session, slug=configured.article)
        if article is not None:
            citation = _cite(settings, article.id, article.title, article.slug)
            citations.append(citation)
            record_article_use(
                session,
                article_id=article.id,
                source="assistant",
                visitor=_visitor(conversation),
                at=at,
            )
            text = f"{text}\n{citation.title}: {citation.url}".strip()
    return Reply(conversation.id, text, "intent", citations=citations)


def _from_articles(
    session: Session,
    *,
    settings: Settings,
    conversation: AssistantConversation,
    question: str,
    hits: list[ArticleHit],
    language: str,
    at: datetime,
) -> Reply | None:
    citations = [_cite(settings, h.article.id, h.article.title, h.article.slug) for h in hits]
    if generation_enabled(settings):
        sources = [
            Source(title=h.article.title, body=h.article.body, url=c.url)
            for h, c in zip(hits, citations, strict=True)
        ]
        try:
            generated = generate_answer(settings=settings, question=question, sources=sources)
        except GenerationError:
            generated = None
        if generated is None:
            return None
        cited = [citations[position] for position in generated.cited]
        sources_text = "\n".join(
            f"[{p + 1}] {citations[p].title}: {citations[p].url}" for p in generated.cited
        )
        text, resolution = f"{generated.text}\n{sources_text}", "generated"
    else:
        best = hits[0].article
        summary = best.body.strip().split("\n\n")[0][:400]
        text = _reply_words(
            language, "article", title=best.title, summary=summary, url=citations[0].url
        )
        cited, resolution = citations[:1], "article"
    for citation in cited:
        record_article_use(
            session,
            article_id=citation.article_id,
            source="assistant",
            visitor=_visitor(conversation),
            at=at,
        )
    return Reply(conversation.id, text, resolution, confidence=hits[0].score, citations=cited)


def _hand_off(
    session: Session,
    *,
    settings: Settings,
    conversation: AssistantConversation,
    email: str | None,
    language: str,
    at: datetime,
    intent: str,
    confidence: float,
) -> Reply:
    if conversation.customer_id is None and not email:
        return Reply(
            conversation.id, _reply_words(language, "email"), "needs_email", intent, confidence
        )
    first_question = (
        session.scalar(
            select(AssistantMessage.text)
            .where(AssistantMessage.conversation_id == conversation.id)
            .where(AssistantMessage.author == "customer")
            .order_by(AssistantMessage.id)
            .limit(1)
        )
        or ""
    )
    ticket = open_ticket(
        session=session,
        customer_id=conversation.customer_id,
        requester_email=email,
        subject=_reply_words(language, "subject", question=first_question[:120]),
        body=transcript(session=session, conversation_id=conversation.id),
        channel="assistant",
        language=language,
        tags=("assistant",),
        at=at,
        calendar=calendar_for(settings),
    )
    conversation.ticket_id = str(ticket.id)
    conversation.status = "handed_off"
    text = _reply_words(language, "handoff", ticket=ticket.id)
    return Reply(conversation.id, text, "handoff", intent, confidence, ticket_id=ticket.id)


def transcript(*, session: Session, conversation_id: str) -> str:
    """The conversation so far as plain text, oldest first."""
    messages = session.scalars(
        select(AssistantMessage)
        .where(AssistantMessage.conversation_id == conversation_id)
        .order_by(AssistantMessage.id)
    )
    return "\n".join(
        f"{TRANSCRIPT_AUTHORS.get(m.author, m.author)} ({m.created_at:%Y-%m-%d %H:%M}): {m.text}"
        for m in messages
    )


def rate_conversation(
    *,
    session: Session,
    conversation_id: str,
    customer_id: str | None,
    rating: int,
    at: datetime | None = None,
) -> AssistantConversation:
    """The customer's CSAT for the conversation (1-5; thumbs up is 5, down 1); the last counts."""
    if not 1 <= rating <= 5:
        raise ValueError("rating: a whole number from 1 to 5")
    conversation = _owned_conversation(
        session, conversation_id=conversation_id, customer_id=customer_id
    )
    conversation.rating = rating
    conversation.rated_at = at or utcnow()
    return conversation


def _conversation(
    session: Session,
    *,
    conversation_id: str | None,
    customer_id: str | None,
    language: str,
    at: datetime,
) -> AssistantConversation:
    if conversation_id is not None:
        conversation = _owned_conversation(
            session, conversation_id=conversation_id, customer_id=customer_id
        )
        conversation.last_message_at = at
        return conversation
    conversation = AssistantConversation(
        id=str(uuid.uuid4()),
        customer_id=customer_id,
        language=language,
        started_at=at,
        last_message_at=at,
        status="open",
    )
    session.add(conversation)
    session.flush()
    return conversation


def _owned_conversation(
    session: Session, *, conversation_id: str, customer_id: str | None
) -> AssistantConversation:
    # Locked: two messages of one conversation at once must not both open a ticket.
    conversation = session.scalar(
        select(AssistantConversation)
        .where(AssistantConversation.id == conversation_id)
        .with_for_update()
    )
    if conversation is None or conversation.customer_id != customer_id:
        raise ConversationNotFound(f"no conversation {conversation_id}")
    return conversation


def _add_message(
    session: Session,
    conversation: AssistantConversation,
    *,
    author: str,
    text: str,
    at: datetime,
    resolution: str | None = None,
    intent: str | None = None,
    confidence: float | None = None,
    article_id: str | None = None,
) -> AssistantMessage:
    message = AssistantMessage(
        conversation_id=conversation.id,
        author=author,
        text=text,
        created_at=at,
        resolution=resolution,
        intent=intent,
        confidence=confidence,
        article_id=article_id,
    )
    session.add(message)
    session.flush()
    return message


def _visitor(conversation: AssistantConversation) -> str:
    return conversation.customer_id or f"assistant:{conversation.id}"


def _cite(settings: Settings, article_id: int, title: str, slug: str) -> Citation:
    url = f"{settings.server.public_base_url.rstrip('/')}/help/articles/{slug}"
    return Citation(article_id=article_id, title=title, url=url)


def _article_by_slug(session: Session, *, slug: str) -> Article | None:
    """The published article ``slug``; None when it was deleted or unpublished since."""
    try:
        article = get_article(session, slug=slug)
    except NotFound:
        return None
    return article if article.status == "published" else None
