"""SLA deadlines of open tickets: warnings before a target is missed, breaches when it is.

The worker runs ``check_deadlines`` every ``support_check_seconds``. A target is *at risk* when
less than ``support_warning_hours`` of business time is left before it; it is *breached* when its
instant passes with no first response (or no solve). Each warning and breach is recorded once,
on the ticket and as a ticket event. A ticket answered or solved late is marked breached at that
moment too, so a breach is never missed between two worker runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from retain.auth.models import User
from retain.churn.tasks import TaskDraft, open_tasks
from retain.settings import Settings
from retain.store import migrated_session
from retain.support.models import Ticket
from retain.support.service import mark_breach, record_event, set_due
from retain.support.sla import BusinessCalendar, load_calendar

TARGETS = ("first_response", "resolution")
WAITING = ("new", "open", "pending")


def calendar_for(settings: Settings) -> BusinessCalendar:
    """The SLA calendar the settings name (re-read when the file changes)."""
    path = settings.support.calendar
    stamp = path.stat().st_mtime_ns if path is not None and path.exists() else None
    return _cached_calendar(path, stamp)


@cache
def _cached_calendar(path: Path | None, _stamp: int | None) -> BusinessCalendar:
    return load_calendar(path)


@dataclass
class DeadlineSummary:
    """What one deadline check recorded."""

    warned: int = 0
    breached: int = 0


def open_target(ticket: Ticket, target: str) -> datetime | None:
    """The instant the target is due, while the ticket still owes it; else None."""
    if target == "first_response":
        return ticket.first_response_due_at if ticket.first_response_at is None else None
    return ticket.resolution_due_at if ticket.status in WAITING else None


def check_deadlines(
    session: Session, *, calendar: BusinessCalendar, warning: timedelta, at: datetime
) -> DeadlineSummary:
    """Record the warnings and breaches due by ``at`` on every ticket still waiting."""
    summary = DeadlineSummary()
    warnings: list[TaskDraft | None] = []
    # Tickets opened without a calendar (the assistant's hand-off, the contact form) get theirs.
    undated = select(Ticket).where(
        Ticket.status.in_(WAITING),
        Ticket.first_response_due_at.is_(None),
        Ticket.resolution_due_at.is_(None),
    )
    for ticket in session.scalars(undated):
        set_due(ticket=ticket, calendar=calendar)
    session.flush()
    query = select(Ticket).where(
        Ticket.status.in_(WAITING),
        or_(Ticket.first_response_due_at.is_not(None), Ticket.resolution_due_at.is_not(None)),
    )
    for ticket in session.scalars(query):
        for target in TARGETS:
            due = open_target(ticket, target)
            if due is None or getattr(ticket, f"{target}_breached_at") is not None:
                continue
            if at >= due:
                mark_breach(session=session, ticket=ticket, target=target, at=at)
                summary.breached += 1
            elif getattr(ticket, f"{target}_warned_at") is None and (
                calendar.elapsed(at, due) <= warning
            ):
                setattr(ticket, f"{target}_warned_at", at)
                record_event(
                    session=session,
                    ticket=ticket,
                    kind="sla_warning",
                    at=at,
                    detail={"target": target, "due_at": due.isoformat()},
                )
                warnings.append(_warning_task(session, ticket, target, due))
                summary.warned += 1
    # The warning reaches a person as a task on the owners' list (tasks are per customer).
    open_tasks(session=session, drafts=[task for task in warnings if task is not None], now=at)
    return summary


def _warning_task(session: Session, ticket: Ticket, target: str, due: datetime) -> TaskDraft | None:
    if ticket.customer_id is None:
        return None
    agent = session.get(User, ticket.assignee_id) if ticket.assignee_id is not None else None
    owner = agent.username if agent is not None else ticket.team or "support"
    words = target.replace("_", " ")
    return TaskDraft(
        customer_id=ticket.customer_id,
        owner=owner,
        kind=f"sla-{ticket.id}"[:32],
        title=f"SLA at risk: ticket #{ticket.id} ({ticket.subject}) needs its {words} "
        f"by {due:%Y-%m-%d %H:%M} UTC",
        due_on=due.date(),
    )


def run_deadline_check(settings: Settings, at: datetime) -> DeadlineSummary:
    """One check against the settings' store and calendar (the worker's hook)."""
    with migrated_session(settings.storage.store_url) as session:
        return check_deadlines(
            session,
            calendar=calendar_for(settings),
            warning=timedelta(hours=settings.support.warning_hours),
            at=at,
        )


@dataclass(frozen=True)
class SlaItem:
    """A target of a waiting ticket that is close to its instant or past it."""

    ticket_id: int
    subject: str
    priority: str
    target: str
    due_at: datetime
    state: str  # at_risk, breached


def sla_board(
    session: Session, *, calendar: BusinessCalendar, warning: timedelta, at: datetime
) -> list[SlaItem]:
    """Waiting tickets' targets at risk (within ``warning`` business time) or breached, by due."""
    query = select(Ticket).where(
        Ticket.status.in_(WAITING),
        or_(Ticket.first_response_due_at.is_not(None), Ticket.resolution_due_at.is_not(None)),
    )
    items = []
    for ticket in session.scalars(query):
        for target in TARGETS:
            due = open_target(ticket, target)
            if due is None:
                continue
            if at >= due or getattr(ticket, f"{target}_breached_at") is not None:
                state = "breached"
            elif calendar.elapsed(at, due) <= warning:
                state = "at_risk"
            else:
                continue
            items.append(SlaItem(ticket.id, ticket.subject, ticket.priority, target, due, state))
    return sorted(items, key=lambda item: (item.due_at, item.ticket_id))
