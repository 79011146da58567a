"""CSAT after a solve: signed one-click rating links, the message that carries them, reports.

A rating link's token names its ticket and is signed for the ``csat`` purpose, so it cannot be
made for another ticket nor taken from another kind of link. Opening the link shows the score
with one button to confirm: a GET never records anything, because mail scanners open links.
Rating again with the same link replaces the score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain import signed_links
from retain.auth.models import User
from retain.auth.sessions import signing_key
from retain.messaging.service import enqueue
from retain.settings import Settings
from retain.support.models import Ticket
from retain.support.service import SupportError, record_event

PURPOSE = "csat"
TEMPLATE = "ticket-csat"
SCORES = range(1, 6)
SATISFIED = 4  # a 4 or 5 counts as satisfied (the usual CSAT share)


def rating_token(settings: Settings, *, ticket: Ticket, at: datetime) -> str:
    """A token that rates ``ticket`` until ``csat_link_days`` after ``at``."""
    expires_at = (at + timedelta(days=settings.support.csat_link_days)).replace(microsecond=0)
    return signed_links.sign(
        secret=signing_key(settings),
        purpose=PURPOSE,
        claims={"t": ticket.id},
        expires_at=expires_at,
    )


def rating_urls(settings: Settings, *, ticket: Ticket, at: datetime) -> dict[str, str]:
    """The five one-click links, ``rate_url_1`` to ``rate_url_5``, for the message template."""
    base = settings.server.public_base_url.rstrip("/")
    token = rating_token(settings, ticket=ticket, at=at)
    return {f"rate_url_{score}": f"{base}/help/rate/{token}?score={score}" for score in SCORES}


def read_rating_token(settings: Settings, *, token: str, at: datetime) -> int:
    """The ticket id a token rates; BadLink when it is altered, expired or not a CSAT link."""
    claims = signed_links.read(secret=signing_key(settings), purpose=PURPOSE, token=token, at=at)
    ticket_id = claims.get("t")
    if not isinstance(ticket_id, int):
        raise signed_links.BadLink("the link is malformed")
    return ticket_id


def ask_for_ratings(session: Session, *, settings: Settings, at: datetime) -> int:
    """Queue the CSAT message of every solved ticket of a known customer not yet asked."""
    query = select(Ticket).where(
        Ticket.status.in_(("solved", "closed")),
        Ticket.solved_at.is_not(None),
        Ticket.customer_id.is_not(None),
        Ticket.rating_requested_at.is_(None),
    )
    asked = 0
    for ticket in session.scalars(query):
        assert ticket.customer_id is not None  # the query asks for one
        enqueue(
            session=session,
            key=f"csat:{ticket.id}",
            customer_id=ticket.customer_id,
            channel="email",
            template=TEMPLATE,
            context={
                "ticket_id": ticket.id,
                "subject": ticket.subject,
                **rating_urls(settings, ticket=ticket, at=at),
            },
        )
        ticket.rating_requested_at = at
        asked += 1
    return asked


def rate(session: Session, *, ticket: Ticket, score: int, at: datetime) -> Ticket:
    """Record the customer's CSAT score (1 to 5) for a solved or closed ticket."""
    if score not in SCORES:
        raise SupportError("a rating is 1 to 5")
    if ticket.status not in ("solved", "closed"):
        raise SupportError(f"ticket {ticket.id} is {ticket.status}: it can be rated once solved")
    ticket.satisfaction = score
    ticket.rated_at = at
    record_event(
        session=session,
        ticket=ticket,
        kind="rated",
        at=at,
        detail={"score": score, "status": ticket.status},
    )
    return ticket


UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class CsatRow:
    """CSAT of one agent or team: ratings, mean score and the share rated 4 or 5."""

    group: str  # agent or team
    name: str
    ratings: int
    average: float
    satisfied_share: float


def csat_report(session: Session, *, since: datetime | None = None) -> list[CsatRow]:
    """CSAT by agent and by team, for tickets rated since ``since``; tickets without an agent
    or a team are grouped under the ``unassigned`` key, which the pages translate."""
    rows: list[CsatRow] = []
    satisfied = func.sum((Ticket.satisfaction >= SATISFIED).cast(type_=Ticket.satisfaction.type))
    for group, key in (
        ("agent", func.coalesce(User.username, UNASSIGNED)),
        ("team", func.coalesce(Ticket.team, UNASSIGNED)),
    ):
        query = (
            select(key, func.count(), func.avg(Ticket.satisfaction), satisfied)
            .select_from(Ticket)
            .outerjoin(User, User.id == Ticket.assignee_id)
            .where(Ticket.satisfaction.is_not(None))
            .group_by(key)
            .order_by(key)
        )
        if since is not None:
            query = query.where(Ticket.rated_at >= since)
        for name, count, average, happy in session.execute(query):
            rows.append(
                CsatRow(
                    group=group,
                    name=str(name),
                    ratings=int(count),
                    average=round(float(average), 2),
                    satisfied_share=round(int(happy) / int(count), 3),
                )
            )
    return rows
