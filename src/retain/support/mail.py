"""Email in and out: an SMTP server (aiosmtpd) that turns each message into a ticket or a
reply, and the agents' replies on email tickets sent back in the same thread.

A message joins an existing ticket when its ``In-Reply-To`` or ``References`` names a message
already on a ticket, or when its subject carries ``[#123]`` and it comes from that ticket's
requester (so a stranger cannot write into someone else's ticket by guessing a number).
Anything else opens a new ticket, for the customer whose profile has the sender's address when
there is one. A message seen before (same ``Message-ID``) is accepted and ignored.

Agents' replies on tickets that came by email or the contact form wait in the store until the
worker sends them (``send_pending_replies``): each goes to the requester with ``In-Reply-To``
and ``References`` naming the thread's earlier messages and a ``Message-ID`` of its own,
recorded on the reply, so the customer's answer threads back to the ticket. A failed send is
tried again next pass.
"""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.clock import utcnow
from retain.customers.models import CustomerProfile
from retain.settings import Settings
from retain.store import migrated_session
from retain.support import service
from retain.support.deadlines import calendar_for
from retain.support.models import Ticket, TicketMessage
from retain.support.sla import BusinessCalendar

log = logging.getLogger(__name__)
TICKET_TAG = re.compile(r"\[#(\d+)\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_BODY = 100_000
# Tickets whose requester waits for an answer by email: mail in, and the help-centre form.
EMAILED_CHANNELS = ("email", "web")


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
            session=session,
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
        session=session,
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
            with migrated_session(self.settings.storage.store_url) as store_session:
                receive_email(
                    store_session,
                    raw=envelope.content,
                    at=utcnow(),
                    calendar=calendar_for(self.settings),
                )
        except service.SupportError as error:
            return f"550 {error}"
        return "250 OK: filed"


def mail_server(settings: Settings, *, host: str, port: int) -> Controller:
    """An SMTP server (not started) that files what it receives as tickets."""
    return Controller(SupportMailHandler(settings), hostname=host, port=port)


def pending_replies(session: Session) -> list[tuple[Ticket, TicketMessage]]:
    """Agents' replies on email and contact-form tickets not yet sent, oldest first."""
    query = (
        select(Ticket, TicketMessage)
        .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
        .where(
            Ticket.channel.in_(EMAILED_CHANNELS),
            Ticket.requester_email.is_not(None),
            TicketMessage.author_kind == "agent",
            TicketMessage.emailed_at.is_(None),
        )
        .order_by(TicketMessage.id)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def reply_email(
    session: Session, *, ticket: Ticket, message: TicketMessage, sender: str
) -> EmailMessage:
    """The email of an agent's reply, threaded after the ticket's earlier emails."""
    earlier = list(
        session.scalars(
            select(TicketMessage.email_message_id)
            .where(
                TicketMessage.ticket_id == ticket.id,
                TicketMessage.id < message.id,
                TicketMessage.email_message_id.is_not(None),
            )
            .order_by(TicketMessage.id)
        )
    )
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ticket.requester_email
    subject = TICKET_TAG.sub("", ticket.subject).strip()
    email["Subject"] = f"Re: {subject} [#{ticket.id}]"
    email["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "retain.invalid"
    email["Message-ID"] = make_msgid(idstring=f"ticket{ticket.id}", domain=domain)
    if earlier:
        email["In-Reply-To"] = earlier[-1]
        email["References"] = " ".join(str(found) for found in earlier)
    email.set_content(message.body)
    return email


def send_pending_replies(settings: Settings, *, at: datetime) -> int:
    """Send the waiting replies over SMTP; how many left. Stops at the first failure."""
    sent = 0
    with migrated_session(settings.storage.store_url) as session:
        waiting = pending_replies(session)
        if not waiting:
            return 0
        try:
            with smtplib.SMTP(
                settings.email.smtp_host, settings.email.smtp_port, timeout=30
            ) as client:
                if settings.email.smtp_starttls:
                    client.starttls()
                if settings.email.smtp_user and settings.email.smtp_password:
                    client.login(
                        settings.email.smtp_user, settings.email.smtp_password.get_secret_value()
                    )
                for ticket, message in waiting:
                    email = reply_email(
                        session, ticket=ticket, message=message, sender=settings.email.mail_from
                    )
                    client.send_message(email)
                    message.email_message_id = str(email["Message-ID"])
                    message.emailed_at = at
                    session.flush()
                    sent += 1
        except (smtplib.SMTPException, OSError) as error:
            # What went out is recorded (this transaction commits); the rest waits a pass.
            log.warning(
                "support replies: SMTP failed after %d sent: %s", sent, type(error).__name__
            )
    return sent
