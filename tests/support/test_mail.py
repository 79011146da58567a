"""Email in over a real local SMTP server: new tickets, threaded replies, no hijacking."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from retain.customers.models import CustomerProfile
from retain.settings import Settings
from retain.store import session_scope
from retain.support import service
from retain.support.mail import mail_server, send_pending_replies
from retain.support.models import Ticket
from tests.messaging.conftest import Inbox, free_port
from tests.support.helpers import T0, store_url


@pytest.fixture
def smtp_port(settings: Settings) -> Iterator[int]:
    store_url(settings)
    port = free_port()
    server = mail_server(settings, host="127.0.0.1", port=port)
    server.start()
    yield port
    server.stop()


def _send(port: int, sender: str, subject: str, body: str, **headers: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "help@shop.example", subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.send_message(message)


def _tickets(settings: Settings) -> list[tuple[int, str | None, str, list[str]]]:
    with session_scope(settings.storage.store_url) as session:
        found = []
        for ticket in session.scalars(select(Ticket).order_by(Ticket.id)):
            bodies = [
                m.body.strip() for m in service.messages(session=session, ticket_id=ticket.id)
            ]
            found.append((ticket.id, ticket.customer_id, ticket.status, bodies))
        return found


def test_email_opens_tickets_and_replies_thread_to_them(settings: Settings, smtp_port: int) -> None:
    with session_scope(settings.storage.store_url) as session:
        session.add(CustomerProfile(customer_id="C7", email="mei@example.com"))
    _send(
        smtp_port, "Mei <MEI@example.com>", "Broken lid", "The lid cracked.", Message_ID="<a1@mail>"
    )
    _send(
        smtp_port, "Mei <mei@example.com>", "Broken lid", "The lid cracked.", Message_ID="<a1@mail>"
    )
    [(ticket_id, customer, status, bodies)] = _tickets(settings)
    assert (customer, status, bodies) == ("C7", "new", ["The lid cracked."])
    with session_scope(settings.storage.store_url) as session:
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        service.add_message(
            session=session, ticket=ticket, author_kind="agent", body="Sorry!", at=T0
        )
        service.change_status(session=session, ticket=ticket, status="solved", at=T0)
    _send(
        smtp_port,
        "mei@example.com",
        "Re: Broken lid",
        "Still waiting.",
        Message_ID="<a2@mail>",
        In_Reply_To="<a1@mail>",
        References="<a1@mail>",
    )
    # A stranger naming the ticket number opens a ticket of their own instead.
    _send(smtp_port, "eve@example.com", f"Re: [#{ticket_id}]", "Let me in.", Message_ID="<e1@mail>")
    _send(smtp_port, "mei@example.com", f"Update [#{ticket_id}]", "Photo attached.")
    found = _tickets(settings)
    assert found[0][2:] == (
        "open",
        ["The lid cracked.", "Sorry!", "Still waiting.", "Photo attached."],
    )
    assert [(t[1], t[3]) for t in found[1:]] == [(None, ["Let me in."])]


def test_agent_replies_go_back_by_email_in_the_thread(
    settings: Settings, smtp_port: int, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, outgoing_port = smtp_server
    sending = settings.replacing(
        email={"smtp_port": outgoing_port, "mail_from": "Help <help@shop.example>"}
    )
    _send(smtp_port, "ann@example.com", "Wrong size", "Can I swap it?", Message_ID="<q1@mail>")
    [(ticket_id, *_)] = _tickets(settings)
    with session_scope(settings.storage.store_url) as session:
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        service.add_message(
            session=session, ticket=ticket, author_kind="note", body="stock ok", at=T0
        )
        service.add_message(
            session=session, ticket=ticket, author_kind="agent", body="Yes, gladly.", at=T0
        )
    assert send_pending_replies(sending, at=T0) == 1
    assert send_pending_replies(sending, at=T0) == 0  # sent once
    [reply] = inbox.messages
    assert inbox.recipients == [["ann@example.com"]]
    assert (reply["In-Reply-To"], reply["Subject"]) == (
        "<q1@mail>",
        f"Re: Wrong size [#{ticket_id}]",
    )
    assert reply.get_body().get_content().strip() == "Yes, gladly."  # type: ignore[union-attr]
    # The customer answers our email from another client that drops the subject tag.
    _send(
        smtp_port,
        "ann@example.com",
        "Re: Wrong size",
        "Great, thanks!",
        Message_ID="<q2@mail>",
        In_Reply_To=str(reply["Message-ID"]),
    )
    [(_, _, status, bodies)] = _tickets(settings)
    assert bodies == ["Can I swap it?", "stock ok", "Yes, gladly.", "Great, thanks!"]
    assert status == "open"
