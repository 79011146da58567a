"""Tickets: opening, every state transition (legal and refused), replies, notes, assignment."""

from __future__ import annotations

from itertools import product

import pytest
from sqlalchemy import select

from retain.auth.models import User
from retain.settings import Settings, StorageSettings
from retain.store import session_scope
from retain.support import service
from retain.support.models import TicketEvent, TicketMessage
from retain.support.service import IllegalTransition, SupportError
from tests.support.helpers import T0, store_url, ticket_in

ALLOWED = {
    ("new", "open"),
    ("open", "pending"),
    ("open", "solved"),
    ("pending", "open"),
    ("pending", "solved"),
    ("solved", "open"),
    ("solved", "closed"),
}


def test_opening_a_ticket_records_its_message_and_event(settings: Settings) -> None:
    url = store_url(settings)
    with session_scope(url) as session:
        ticket = service.open_ticket(
            session=session,
            customer_id=None,
            requester_email="ann@example.com",
            subject="  Where is my refund?  ",
            body="user: where is my refund\nassistant: let me find someone",
            channel="assistant",
            tags=["Refund", "refund", " billing "],
            language="zh",
            at=T0,
        )
        ticket_id = ticket.id
    with session_scope(url) as session:
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        assert (ticket.status, ticket.subject, ticket.language) == (
            "new",
            "Where is my refund?",
            "zh-CN",
        )
        assert ticket.tags == ["refund", "billing"]
        assert ticket.visitor == "ann@example.com"
        [message] = service.messages(session=session, ticket_id=ticket_id)
        assert message.author_kind == "assistant"
        kinds = session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id))
        assert list(kinds) == ["created"]


@pytest.mark.parametrize(
    ("field", "value"), [("channel", "fax"), ("priority", "whenever"), ("subject", "  ")]
)
def test_opening_refuses_bad_fields(settings: Settings, field: str, value: str) -> None:
    fields = {"channel": "api", "priority": "normal", "subject": "Help", field: value}
    with session_scope(store_url(settings)) as session, pytest.raises(SupportError, match=field):
        service.open_ticket(
            session=session, customer_id="C1", requester_email=None, body="text", **fields
        )


def test_a_ticket_needs_someone_to_answer(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session, pytest.raises(SupportError, match="email"):
        service.open_ticket(
            session=session,
            customer_id=None,
            requester_email=None,
            subject="s",
            body="b",
            channel="web",
        )


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One embedded store for the 25 transition cases (each works on its own ticket)."""
    return store_url(
        Settings(storage=StorageSettings(data_dir=tmp_path_factory.mktemp("transitions")))
    )


@pytest.mark.parametrize(("before", "after"), list(product(service.STATES, repeat=2)))
def test_every_transition_is_allowed_or_refused(before: str, after: str, shared_store: str) -> None:
    with session_scope(shared_store) as session:
        ticket = ticket_in(session, before)
        if (before, after) in ALLOWED:
            service.change_status(session=session, ticket=ticket, status=after, at=T0)
            assert ticket.status == after
        else:
            with pytest.raises(IllegalTransition, match=f"{before}.*not {after}"):
                service.change_status(session=session, ticket=ticket, status=after, at=T0)
            assert ticket.status == before


def test_the_transition_table_is_the_one_tested() -> None:
    table = {(a, b) for a, targets in service.TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


def test_replies_move_the_ticket(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session:
        ticket = ticket_in(session, "new")
        service.add_message(session=session, ticket=ticket, author_kind="note", body="VIP", at=T0)
        assert (ticket.status, ticket.first_response_at) == ("new", None)
        service.add_message(
            session=session, ticket=ticket, author_kind="agent", body="On it", at=T0
        )
        assert (ticket.status, ticket.first_response_at) == ("open", T0)
        service.change_status(session=session, ticket=ticket, status="solved", at=T0)
        service.add_message(
            session=session, ticket=ticket, author_kind="customer", body="Still no", at=T0
        )
        assert (ticket.status, ticket.solved_at) == ("open", None)
        public = service.messages(session=session, ticket_id=ticket.id, include_notes=False)
        assert "note" not in {message.author_kind for message in public}
        assert len(public) == 3


def test_a_closed_ticket_takes_no_more_replies(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session:
        ticket = ticket_in(session, "closed")
        with pytest.raises(IllegalTransition, match="closed"):
            service.add_message(
                session=session, ticket=ticket, author_kind="customer", body="hi", at=T0
            )
        count = session.query(TicketMessage).filter_by(ticket_id=ticket.id).count()
        assert count == 1


def test_assignment_needs_a_team_member(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session:
        agent = User(username="li", password_hash="x", role="agent", created_at=T0)
        other = User(username="bo", password_hash="x", role="agent", created_at=T0)
        session.add_all([agent, other])
        session.flush()
        service.create_team(session=session, name="billing", member_ids=[agent.id])
        ticket = ticket_in(session, "open")
        with pytest.raises(SupportError, match="not a member"):
            service.assign(
                session=session, ticket=ticket, assignee_id=other.id, team="billing", at=T0
            )
        with pytest.raises(service.NotFound, match="team"):
            service.assign(session=session, ticket=ticket, team="nobody", at=T0)
        service.assign(session=session, ticket=ticket, assignee_id=agent.id, team="billing", at=T0)
        assert (ticket.assignee_id, ticket.team) == (agent.id, "billing")
