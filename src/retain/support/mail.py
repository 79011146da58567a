"""Email in: an SMTP server (aiosmtpd) that turns each message into a ticket or a reply.

A message joins an existing ticket when its ``In-Reply-To`` or ``References`` names a message
already on a ticket, or when its subject carries ``[#123]`` and it comes from that ticket's
requester (so a stranger cannot write into someone else's ticket by guessing a number).
Anything else opens a new ticket, for the customer whose profile has the sender's address when
there is one. A message seen before (same ``Message-ID``) is accepted and ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.customers.models import CustomerProfile
from retain.settings import Settings
from retain.support import service
from retain.support.deadlines import calendar_for
from retain.support.models import Ticket, TicketMessage
from retain.support.sla import BusinessCalendar

TICKET_TAG = re.compile(r"\[#(\d+)\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_BODY = 100_000


@dataclass(frozen=True)
class Intake:
    """What became of one email: the ticket and whether it opened it."""

    ticket_id: int
    opened: bool
    duplicate: bool = False


def receive_email(
    session: Session, *, raw: bytes, at: datetime, calendar: BusinessCalendar | None = None
) -> Intake:
    """File one RFC 5322 message as a new ticket or as the customer's reply on its ticket."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default always builds EmailMessage
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    if "@" not in sender:
        raise service.SupportError("the message has no sender address")
    message_id = str(message.get("Message-ID", "")).strip() or None
    if message_id is not None:
        seen = session.scalar(
            select(TicketMessage.ticket_id).where(TicketMessage.email_message_id == message_id)
        )
        if seen is not None:
            return Intake(ticket_id=seen, opened=False, duplicate=True)
    subject = str(message.get("Subject", "")).strip() or "(no subject)"
    body = _text(message)
    ticket = _thread(session, message, sender=sender, subject=subject)
    if ticket is not None and ticket.status != "closed":
        service.add_message(
            session,
            ticket=ticket,
            author_kind="customer",
            body=body,
            author=sender,
            at=at,
            email_message_id=message_id,
        )
        return Intake(ticket_id=ticket.id, opened=False)
    customer_id = session.scalar(
        select(CustomerProfile.customer_id).where(CustomerProfile.email == sender).limit(1)
    )
    ticket = service.open_ticket(
        session,
        customer_id=customer_id,
        requester_email=sender,
        subject=TICKET_TAG.sub("", subject).strip() or "(no subject)",
        body=body,
        channel="email",
        at=at,
        calendar=calendar,
    )
    session.flush()
    first = session.scalar(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id))
    if first is not None:
        first.email_message_id = message_id
    return Intake(ticket_id=ticket.id, opened=True)


def _thread(session: Session, message: EmailMessage, *, sender: str, subject: str) -> Ticket | None:
    referenced = MESSAGE_ID.findall(
        f"{message.get('In-Reply-To', '')} {message.get('References', '')}"
    )
    if referenced:
        ticket_id = session.scalar(
            select(TicketMessage.ticket_id)
            .where(TicketMessage.email_message_id.in_(referenced))
            .order_by(TicketMessage.id.desc())
            .limit(1)
        )
        if ticket_id is not None:
            return session.get(Ticket, ticket_id)
    tagged = TICKET_TAG.search(subject)
    if tagged:
        ticket = session.get(Ticket, int(tagged.group(1)))
        if ticket is not None and (ticket.requester_email or "").lower() == sender:
            return ticket
    return None


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    text = part.get_content() if part is not None else ""
    if part is not None and part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)  # the plain part is missing: keep the words only
    return (text.strip() or "(empty message)")[:MAX_BODY]


class SupportMailHandler:
    """The aiosmtpd handler: each accepted message is filed in its own transaction."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        try:
            with service.store(self.settings) as store_session:
                receive_email(
                    store_session,
                    raw=envelope.content,
                    at=service.utcnow(),
                    calendar=calendar_for(self.settings),
                )
        except service.SupportError as error:
            return f"550 {error}"
        return "250 OK: filed"


def mail_server(settings: Settings, *, host: str, port: int) -> Controller:
    """An SMTP server (not started) that files what it receives as tickets."""
    return Controller(SupportMailHandler(settings), hostname=host, port=port)
