"""Conversations: intents, actions on customer data, articles, hand-off, CSAT, the report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from retain.assistant.brain import load_brain
from retain.assistant.models import AssistantConversation
from retain.assistant.report import assistant_summary
from retain.assistant.service import (
    ConversationNotFound,
    Reply,
    answer_message,
    customer_from_token,
    issue_customer_token,
    rate_conversation,
)
from retain.settings import Settings
from retain.signed_links import BadLink
from retain.store import ensure_store, session_scope
from retain.support.knowledge import create_article
from retain.support.models import ArticleUse, Ticket, TicketMessage
from retain.warehouse import connect

AT = datetime(2026, 11, 2, 10, 0)
OUT_OF_SCOPE = "what is the capital of france"
ALSO_OUT_OF_SCOPE = "recommend a movie for tonight"


def _ask(settings: Settings, text: str, **options: Any) -> Reply:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        return answer_message(
            session=session,
            settings=settings,
            brain=load_brain(settings),
            text=text,
            at=AT,
            **options,
        )


def _tickets(settings: Settings) -> list[Ticket]:
    with session_scope(settings.storage.store_url) as session:
        found = list(session.scalars(select(Ticket)))
        session.expunge_all()
        return found


def test_a_confident_intent_is_answered_in_the_customers_language(
    assistant_settings: Settings,
) -> None:
    english = _ask(assistant_settings, "which payment methods do you accept?")
    chinese = _ask(assistant_settings, "可以用微信支付吗")
    assert (english.resolution, english.intent) == ("intent", "payment_methods")
    assert "PayPal" in english.text
    assert (chinese.resolution, chinese.intent) == ("intent", "payment_methods")
    assert "微信支付" in chinese.text
    assert _tickets(assistant_settings) == []


def test_hand_off_opens_exactly_one_ticket_per_conversation(assistant_settings: Settings) -> None:
    first = _ask(assistant_settings, OUT_OF_SCOPE, email="ann@example.com")
    again = _ask(
        assistant_settings,
        ALSO_OUT_OF_SCOPE,
        conversation_id=first.conversation_id,
        email="ann@example.com",
    )
    other = _ask(assistant_settings, ALSO_OUT_OF_SCOPE, email="bob@example.com")
    assert first.resolution == again.resolution == other.resolution == "handoff"
    tickets = _tickets(assistant_settings)
    assert sorted(t.id for t in tickets) == sorted({first.ticket_id, other.ticket_id})
    assert again.ticket_id == first.ticket_id
    mine = next(t for t in tickets if t.id == first.ticket_id)
    assert (mine.channel, mine.requester_email) == ("assistant", "ann@example.com")
    assert "person will reply" in first.text


def test_an_anonymous_hand_off_asks_for_an_email_first(assistant_settings: Settings) -> None:
    asked = _ask(assistant_settings, OUT_OF_SCOPE)
    assert asked.resolution == "needs_email" and asked.ticket_id is None
    handed = _ask(
        assistant_settings,
        OUT_OF_SCOPE,
        conversation_id=asked.conversation_id,
        email="ann@example.com",
    )
    assert handed.resolution == "handoff"
    assert [t.id for t in _tickets(assistant_settings)] == [handed.ticket_id]
    with session_scope(assistant_settings.storage.store_url) as session:
        body = session.scalar(
            select(TicketMessage.body).where(TicketMessage.ticket_id == handed.ticket_id)
        )
    # The ticket carries the conversation: both questions and the request for an e-mail.
    assert body is not None and body.count(OUT_OF_SCOPE) == 2
    assert "Leave your e-mail" in body


def test_actions_read_the_customers_own_orders_and_renewal(assistant_settings: Settings) -> None:
    backend = connect(assistant_settings.storage.resolved_warehouse_url)
    try:
        backend.insert(
            "order",
            pd.DataFrame(
                {
                    "order_id": ["O-1", "O-2", "O-9"],
                    "customer_id": ["C1", "C1", "C2"],
                    "ordered_at": [AT - timedelta(days=9), AT - timedelta(days=2), AT],
                    "amount": [10.0, 20.0, 30.0],
                    "currency": ["USD"] * 3,
                    "status": ["delivered", "shipped", "paid"],
                }
            ),
        )
        backend.insert(
            "subscription_change",
            pd.DataFrame(
                {
                    "change_id": ["S-1"],
                    "customer_id": ["C1"],
                    "subscription_id": ["sub-1"],
                    "changed_at": [AT - timedelta(days=20)],
                    "plan": ["Pro"],
                    "mrr_before": [0.0],
                    "mrr_after": [49.0],
                    "currency": ["USD"],
                    "kind": ["new"],
                    "renews_at": [datetime(2026, 12, 1)],
                }
            ),
        )
        status = _ask(assistant_settings, "where is my order", customer_id="C1", backend=backend)
        renewal = _ask(
            assistant_settings,
            "when does my subscription renew",
            customer_id="C1",
            backend=backend,
        )
        anonymous = _ask(assistant_settings, "where is my order", backend=backend)
    finally:
        backend.disconnect()
    # The status is said in the catalogue's words ("Shipped"), not as its raw key.
    assert status.intent == "order_status" and "O-2" in status.text and "Shipped" in status.text
    assert "O-9" not in status.text
    assert renewal.intent == "renewal_date" and "2026-12-01" in renewal.text
    assert anonymous.resolution == "sign_in"


def test_start_a_return_links_to_the_return_portal(assistant_settings: Settings) -> None:
    reply = _ask(assistant_settings, "i want to return an item")
    assert reply.intent == "start_return"
    assert f"{assistant_settings.server.public_base_url}/r/start" in reply.text


def test_questions_no_intent_covers_are_answered_from_the_knowledge_base(
    assistant_settings: Settings,
) -> None:
    ensure_store(assistant_settings.storage.store_url)
    with session_scope(assistant_settings.storage.store_url) as session:
        create_article(
            session,
            slug="gift-wrapping",
            title="Gift wrapping",
            body="We gift wrap any order for 3 euros: choose gift wrapping at checkout.",
            language="en",
            status="published",
            at=AT,
        )
    reply = _ask(assistant_settings, "is gift wrapping available at checkout?", email="a@b.c")
    assert reply.resolution == "article"
    assert [c.title for c in reply.citations] == ["Gift wrapping"]
    assert "/help/articles/gift-wrapping" in reply.text
    with session_scope(assistant_settings.storage.store_url) as session:
        uses = session.scalars(select(ArticleUse.source)).all()
    assert uses == ["assistant"]
    assert _tickets(assistant_settings) == []


def test_a_conversation_belongs_to_its_customer(assistant_settings: Settings) -> None:
    mine = _ask(assistant_settings, "hello", customer_id="C1")
    with pytest.raises(ConversationNotFound):
        _ask(assistant_settings, "hello", customer_id="C2", conversation_id=mine.conversation_id)
    with (
        pytest.raises(ConversationNotFound),
        session_scope(assistant_settings.storage.store_url) as s,
    ):
        rate_conversation(
            session=s, conversation_id=mine.conversation_id, customer_id=None, rating=5
        )


def test_customer_tokens_are_signed_and_expire() -> None:
    token = issue_customer_token(secret="k" * 32, customer_id="C1", days=1, at=AT)
    assert customer_from_token(secret="k" * 32, token=token, at=AT) == "C1"
    with pytest.raises(BadLink):
        customer_from_token(secret="k" * 32, token=token, at=AT + timedelta(days=2))
    with pytest.raises(BadLink):
        customer_from_token(secret="x" * 32, token=token, at=AT)


def test_the_summary_reports_resolution_escalation_csat_and_unanswered(
    assistant_settings: Settings,
) -> None:
    answered = _ask(assistant_settings, "thank you very much")
    _ask(assistant_settings, OUT_OF_SCOPE, email="a@b.c")
    _ask(assistant_settings, OUT_OF_SCOPE.upper(), email="c@d.e")
    _ask(assistant_settings, ALSO_OUT_OF_SCOPE, email="e@f.g")
    with session_scope(assistant_settings.storage.store_url) as session:
        rate_conversation(
            session=session, conversation_id=answered.conversation_id, customer_id=None, rating=5
        )
        handed = session.scalars(
            select(AssistantConversation).where(AssistantConversation.ticket_id.is_not(None))
        ).first()
        assert handed is not None
        rate_conversation(session=session, conversation_id=handed.id, customer_id=None, rating=2)
        summary = assistant_summary(session, since=AT - timedelta(days=1))
        conversations = session.scalar(select(func.count()).select_from(AssistantConversation))
    assert summary.conversations == conversations == 4
    assert summary.auto_resolution_rate == 0.25
    assert summary.escalation_rate == 0.75 and summary.handed_off == 3
    assert (summary.csat, summary.csat_satisfied, summary.ratings) == (3.5, 0.5, 2)
    assert [(q.question, q.times) for q in summary.unanswered] == [
        (OUT_OF_SCOPE, 2),
        (ALSO_OUT_OF_SCOPE, 1),
    ]
