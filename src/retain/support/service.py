"""Tickets: opening, the state machine, replies and notes, assignment, tags and ratings.

States run new → open → pending → solved → closed. A pending ticket waits on the customer and
goes back to open when they answer; a solved ticket reopens the same way until it is closed,
after which a customer's message opens a new ticket instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain.auth.models import User
from retain.clock import utcnow
from retain.locales import language_or_default
from retain.support.models import (
    SupportTeam,
    SupportTeamMember,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from retain.support.sla import BusinessCalendar

STATES = ("new", "open", "pending", "solved", "closed")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open"}),
    "open": frozenset({"pending", "solved"}),
    "pending": frozenset({"open", "solved"}),
    "solved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("api", "web", "email", "assistant", "agent")
AUTHOR_KINDS = ("customer", "agent", "assistant", "note")
MAX_TAGS = 20


class SupportError(ValueError):
    """A request the support desk refuses, in words a caller can act on."""


class NotFound(LookupError):
    """A ticket, user or team that does not exist."""


class IllegalTransition(SupportError):
    """A state change the ticket's life cycle does not allow."""


def open_ticket(
    *,
    session: Session,
    customer_id: str | None,
    requester_email: str | None,
    subject: str,
    body: str,
    channel: str,
    priority: str = "normal",
    tags: Sequence[str] = (),
    language: str | None = None,
    at: datetime | None = None,
    visitor: str | None = None,
    calendar: BusinessCalendar | None = None,
) -> Ticket:
    """A new ticket with its first message and its ``created`` event.

    Channel ``assistant`` is the assistant's hand-off: ``body`` is the conversation transcript.
    With a ``calendar`` the SLA targets of the priority are set as due instants.
    """
    _check_choice("channel", channel, CHANNELS)
    _check_choice("priority", priority, PRIORITIES)
    language = language_or_default(language)
    subject = subject.strip()
    if not subject:
        raise SupportError("a ticket needs a subject")
    if not body.strip():
        raise SupportError("a ticket needs a message")
    if customer_id is None and not requester_email:
        raise SupportError("a ticket needs a customer id or the requester's email")
    at = at or utcnow()
    ticket = Ticket(
        customer_id=customer_id,
        requester_email=requester_email,
        visitor=visitor or customer_id or requester_email,
        subject=subject[:300],
        channel=channel,
        status="new",
        priority=priority,
        language=language,
        tags=normalise_tags(tags=tags),
        created_at=at,
        updated_at=at,
    )
    set_due(ticket=ticket, calendar=calendar)
    session.add(ticket)
    session.flush()
    author_kind = "assistant" if channel == "assistant" else "customer"
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            author_kind=author_kind,
            author=customer_id or requester_email,
            body=body,
            created_at=at,
        )
    )
    record_event(session=session, ticket=ticket, kind="created", at=at, detail={"channel": channel})
    return ticket


def set_due(*, ticket: Ticket, calendar: BusinessCalendar | None) -> None:
    """Set the SLA due instants of the ticket's priority from its creation, in business time."""
    target = calendar.target(ticket.priority) if calendar else None
    if calendar is None or target is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    ticket.first_response_due_at = calendar.add(ticket.created_at, target.first_response)
    ticket.resolution_due_at = calendar.add(ticket.created_at, target.resolution)


def record_event(
    *,
    session: Session,
    ticket: Ticket,
    kind: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append an event to the ticket's history (exported to the warehouse later)."""
    event = TicketEvent(ticket_id=ticket.id, occurred_at=at, kind=kind, detail=detail or {})
    session.add(event)
    return event


def mark_breach(*, session: Session, ticket: Ticket, target: str, at: datetime) -> None:
    """Record that ``target`` was missed (once)."""
    if getattr(ticket, f"{target}_breached_at") is not None:
        return
    setattr(ticket, f"{target}_breached_at", at)
    due = getattr(ticket, f"{target}_due_at")
    record_event(
        session=session,
        ticket=ticket,
        kind="sla_breach",
        at=at,
        detail={"target": target, "due_at": due.isoformat() if due else None},
    )


def mark_late_answers(*, session: Session, ticket: Ticket) -> None:
    """After a reply or a solve: record a breach if it came after its target."""
    answered, due = ticket.first_response_at, ticket.first_response_due_at
    if answered is not None and due is not None and answered > due:
        mark_breach(session=session, ticket=ticket, target="first_response", at=answered)
    solved, due = ticket.solved_at, ticket.resolution_due_at
    if solved is not None and due is not None and solved > due:
        mark_breach(session=session, ticket=ticket, target="resolution", at=solved)


def get_ticket(*, session: Session, ticket_id: int) -> Ticket:
    """The ticket, or NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def list_tickets(
    *,
    session: Session,
    status: str | None = None,
    priority: str | None = None,
    assignee_id: int | None = None,
    team: str | None = None,
    customer_id: str | None = None,
    tag: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Ticket], int]:
    """Tickets matching every filter given, newest first, and how many match in all."""
    query = select(Ticket)
    for column, value in (
        (Ticket.status, status),
        (Ticket.priority, priority),
        (Ticket.assignee_id, assignee_id),
        (Ticket.team, team),
        (Ticket.customer_id, customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if tag is not None:
        # Tags are a short JSON list; matching them in Python keeps one query for both stores.
        rows = [t for t in session.scalars(query.order_by(Ticket.id.desc())) if tag in t.tags]
        return rows[offset : offset + limit], len(rows)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(Ticket.id.desc()).limit(limit).offset(offset)))
    return rows, total


def change_status(
    *, session: Session, ticket: Ticket, status: str, actor: str | None = None, at: datetime
) -> Ticket:
    """Move the ticket to ``status``; IllegalTransition when its life cycle forbids it."""
    _check_choice("status", status, STATES)
    if status not in TRANSITIONS[ticket.status]:
        allowed = ", ".join(sorted(TRANSITIONS[ticket.status])) or "nothing"
        raise IllegalTransition(
            f"ticket {ticket.id} is {ticket.status}: it can move to {allowed}, not {status}"
        )
    before = ticket.status
    ticket.status = status
    ticket.updated_at = at
    if status == "solved":
        ticket.solved_at = at
    elif status == "closed":
        ticket.closed_at = at
    elif status == "open" and before == "solved":
        ticket.solved_at = None
    record_event(
        session=session,
        ticket=ticket,
        kind="status",
        at=at,
        detail={"from": before, "to": status, "by": actor},
    )
    mark_late_answers(session=session, ticket=ticket)
    return ticket


def add_message(
    *,
    session: Session,
    ticket: Ticket,
    author_kind: str,
    body: str,
    author: str | None = None,
    at: datetime,
    email_message_id: str | None = None,
) -> TicketMessage:
    """A reply, customer message or internal note; moves the ticket as a reply should.

    An agent's first reply is the first response the SLA measures and opens a new ticket; a
    customer's message reopens a pending or solved one. Notes never change the state.
    """
    _check_choice("author kind", author_kind, AUTHOR_KINDS)
    if not body.strip():
        raise SupportError("a message needs a body")
    if ticket.status == "closed" and author_kind != "note":
        raise IllegalTransition(f"ticket {ticket.id} is closed: open a new ticket instead")
    message = TicketMessage(
        ticket_id=ticket.id,
        author_kind=author_kind,
        author=author,
        body=body,
        created_at=at,
        email_message_id=email_message_id,
    )
    session.add(message)
    ticket.updated_at = at
    if author_kind in ("agent", "assistant"):
        if ticket.first_response_at is None and author_kind == "agent":
            ticket.first_response_at = at
        if ticket.status == "new":
            change_status(session=session, ticket=ticket, status="open", actor=author, at=at)
    elif author_kind == "customer" and ticket.status in ("pending", "solved"):
        change_status(session=session, ticket=ticket, status="open", actor=author, at=at)
    kind = "note" if author_kind == "note" else "replied"
    record_event(
        session=session, ticket=ticket, kind=kind, at=at, detail={"author_kind": author_kind}
    )
    mark_late_answers(session=session, ticket=ticket)
    return message


def messages(
    *, session: Session, ticket_id: int, include_notes: bool = True
) -> list[TicketMessage]:
    """The ticket's messages, oldest first; without internal notes for the customer's eyes."""
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
    if not include_notes:
        query = query.where(TicketMessage.author_kind != "note")
    return list(session.scalars(query.order_by(TicketMessage.id)))


def assign(
    *,
    session: Session,
    ticket: Ticket,
    assignee_id: int | None = None,
    team: str | None = None,
    at: datetime,
) -> Ticket:
    """Give the ticket to an agent (a user) and/or a team; the agent must be in that team."""
    if assignee_id is not None:
        user = session.get(User, assignee_id)
        if user is None or not user.active:
            raise NotFound(f"no active user {assignee_id}")
    if team is not None:
        if session.get(SupportTeam, team) is None:
            raise NotFound(f"no team {team!r}")
        if assignee_id is not None and session.get(SupportTeamMember, (team, assignee_id)) is None:
            raise SupportError(f"user {assignee_id} is not a member of team {team!r}")
    ticket.assignee_id = assignee_id
    ticket.team = team
    ticket.updated_at = at
    record_event(
        session=session,
        ticket=ticket,
        kind="assigned",
        at=at,
        detail={"user": assignee_id, "team": team},
    )
    return ticket


def set_priority(*, session: Session, ticket: Ticket, priority: str, at: datetime) -> Ticket:
    """Change the priority (the SLA due instants stay as first set)."""
    _check_choice("priority", priority, PRIORITIES)
    ticket.priority = priority
    ticket.updated_at = at
    record_event(session=session, ticket=ticket, kind="priority", at=at, detail={"to": priority})
    return ticket


def set_tags(*, session: Session, ticket: Ticket, tags: Sequence[str], at: datetime) -> Ticket:
    """Replace the ticket's tags."""
    ticket.tags = normalise_tags(tags=tags)
    ticket.updated_at = at
    record_event(session=session, ticket=ticket, kind="tagged", at=at, detail={"tags": ticket.tags})
    return ticket


def normalise_tags(*, tags: Sequence[str]) -> list[str]:
    """Lower-case, trimmed, unique tags in the order given; SupportError past MAX_TAGS."""
    cleaned = list(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))
    if len(cleaned) > MAX_TAGS or any(len(tag) > 64 for tag in cleaned):
        raise SupportError(f"at most {MAX_TAGS} tags of up to 64 characters")
    return cleaned


def create_team(*, session: Session, name: str, member_ids: Sequence[int] = ()) -> SupportTeam:
    """A team with its members (users of retain.auth); adding to an existing team is fine."""
    if not name.strip() or len(name) > 64:
        raise SupportError("a team name is 1 to 64 characters")
    team = session.get(SupportTeam, name) or SupportTeam(name=name)
    session.add(team)
    for user_id in member_ids:
        if session.get(User, user_id) is None:
            raise NotFound(f"no user {user_id}")
        session.merge(SupportTeamMember(team=name, user_id=user_id))
    session.flush()
    return team


def _check_choice(field: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise SupportError(f"{field} must be one of {', '.join(choices)}, not {value!r}")


def team_names(*, session: Session) -> list[str]:
    """Every team's name, sorted."""
    return list(session.scalars(select(SupportTeam.name).order_by(SupportTeam.name)))


def counts_by_state(*, session: Session) -> dict[str, dict[str, int]]:
    """Tickets not yet closed, counted by state and priority."""
    counts: dict[str, dict[str, int]] = {
        state: dict.fromkeys(PRIORITIES, 0) for state in STATES if state != "closed"
    }
    query = (
        select(Ticket.status, Ticket.priority, func.count())
        .where(Ticket.status != "closed")
        .group_by(Ticket.status, Ticket.priority)
    )
    for state, priority, count in session.execute(query):
        counts[state][priority] = int(count)
    return counts
