"""``/api/v1/tickets``, ``/api/v1/sla``, ``/api/v1/kb``...: thin routes over the support services.

Agents (and admins, analysts) work tickets; every role reads aggregate reports (CSAT, SLA
policy, deflection) and searches published articles. The public help centre is in ``help.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.auth.dependencies import allow
from retain.auth.roles import ANALYSE, READ_AGGREGATES, READ_CUSTOMERS, SERVE_CUSTOMERS
from retain.auth.service import Principal
from retain.clock import utcnow
from retain.dependencies import SessionDep, SettingsDep, answering
from retain.pagination import MAX_OFFSET, Page, PageDep, WholePageDep, page_of
from retain.support import canned, csat, knowledge, service
from retain.support.deadlines import calendar_for, sla_board
from retain.support.models import SupportTeamMember, Ticket
from retain.support.schemas import (
    ArticleCreate,
    ArticleHitRead,
    ArticleRead,
    ArticleUpdate,
    Assignment,
    CannedReplyRead,
    CannedReplyWrite,
    CsatRead,
    DeflectionRead,
    MessageCreate,
    MessageRead,
    SlaPolicyRead,
    SlaTicketRead,
    StatusChange,
    TargetRead,
    TeamCreate,
    TeamRead,
    TicketCreate,
    TicketDetail,
    TicketRead,
    TicketUpdate,
)
from retain.support.service import IllegalTransition, NotFound, SupportError
from retain.support.sla import CalendarError

router = APIRouter(prefix="/api/v1", tags=["support"])
Agent = Annotated[Principal, Depends(allow(SERVE_CUSTOMERS))]
# Row ids as the databases can hold them (a 32-bit INTEGER on PostgreSQL for users).
TicketId = Annotated[int, Path(ge=1, le=MAX_OFFSET)]
ArticleId = Annotated[int, Path(ge=1, le=MAX_OFFSET)]
SearchQuery = Annotated[str, Query(min_length=1, max_length=500, description="Search text.")]


# The support errors as HTTP answers, subclasses before their bases.
SUPPORT_ERRORS: dict[type[Exception], int] = {
    NotFound: 404,
    IllegalTransition: 409,
    SupportError: 422,
    CalendarError: 422,
}


def _read(ticket: Ticket) -> TicketRead:
    found = TicketRead.model_validate(ticket)
    if ticket.customer_id:
        found.customer_url = f"/customers/{ticket.customer_id}"
    return found


def _detail(session: Session, ticket: Ticket) -> TicketDetail:
    messages = [
        MessageRead.model_validate(m)
        for m in service.messages(session=session, ticket_id=ticket.id)
    ]
    return TicketDetail(**_read(ticket).model_dump(), messages=messages)


@router.get("/tickets", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_tickets(
    session: SessionDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=16)] = None,
    priority: Annotated[str | None, Query(max_length=16)] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=MAX_OFFSET)] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: Annotated[str | None, Query(max_length=128)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[TicketRead]:
    """Tickets matching every filter given, newest first."""
    with answering(SUPPORT_ERRORS):
        rows, total = service.list_tickets(
            session=session,
            status=status,
            priority=priority,
            assignee_id=assignee_id,
            team=team,
            customer_id=customer_id,
            tag=tag,
            limit=page.limit,
            offset=page.offset,
        )
        return Page(
            items=[_read(t) for t in rows], total=total, limit=page.limit, offset=page.offset
        )


@router.post("/tickets", status_code=201)
def post_ticket(
    settings: SettingsDep, session: SessionDep, body: TicketCreate, principal: Agent
) -> TicketDetail:
    """Open a ticket; its SLA targets come from the calendar."""
    with answering(SUPPORT_ERRORS):
        ticket = service.open_ticket(
            session=session, **body.model_dump(), calendar=calendar_for(settings)
        )
        return _detail(session, ticket)


@router.get("/tickets/{ticket_id}", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_ticket(session: SessionDep, ticket_id: TicketId) -> TicketDetail:
    """One ticket with its messages and internal notes."""
    with answering(SUPPORT_ERRORS):
        return _detail(session, service.get_ticket(session=session, ticket_id=ticket_id))


@router.patch("/tickets/{ticket_id}")
def patch_ticket(
    session: SessionDep, ticket_id: TicketId, body: TicketUpdate, principal: Agent
) -> TicketRead:
    """Change the priority or replace the tags."""
    at = utcnow()
    with answering(SUPPORT_ERRORS):
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        if body.priority is not None:
            service.set_priority(session=session, ticket=ticket, priority=body.priority, at=at)
        if body.tags is not None:
            service.set_tags(session=session, ticket=ticket, tags=body.tags, at=at)
        return _read(ticket)


@router.post("/tickets/{ticket_id}/status")
def post_status(
    settings: SettingsDep,
    session: SessionDep,
    ticket_id: TicketId,
    body: StatusChange,
    principal: Agent,
) -> TicketRead:
    """Move the ticket along new → open → pending → solved → closed (409 when not allowed)."""
    at = utcnow()
    with answering(SUPPORT_ERRORS):
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        service.change_status(
            session=session, ticket=ticket, status=body.status, actor=principal.name, at=at
        )
        if body.status == "solved":
            session.flush()
            csat.ask_for_ratings(session, settings=settings, at=at)
        return _read(ticket)


@router.post("/tickets/{ticket_id}/messages", status_code=201)
def post_message(
    session: SessionDep, ticket_id: TicketId, body: MessageCreate, principal: Agent
) -> MessageRead:
    """Reply, add an internal note (author_kind "note") or record the customer's message."""
    with answering(SUPPORT_ERRORS):
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        if body.canned is not None:
            text = canned.render_canned_reply(session, name=body.canned, ticket=ticket)
        elif body.body is not None:
            text = body.body
        else:
            raise SupportError("send a body or the name of a canned reply")
        message = service.add_message(
            session=session,
            ticket=ticket,
            author_kind=body.author_kind,
            body=text,
            author=principal.name,
            at=utcnow(),
        )
        session.flush()
        return MessageRead.model_validate(message)


@router.post("/tickets/{ticket_id}/assignment")
def post_assignment(
    session: SessionDep, ticket_id: TicketId, body: Assignment, principal: Agent
) -> TicketRead:
    """Give the ticket to an agent and/or a team (the agent must be in the team)."""
    with answering(SUPPORT_ERRORS):
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        service.assign(
            session=session,
            ticket=ticket,
            assignee_id=body.assignee_id,
            team=body.team,
            at=utcnow(),
        )
        return _read(ticket)


@router.get("/teams", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_teams(session: SessionDep, page: WholePageDep) -> Page[TeamRead]:
    """Support teams and their members' user ids."""
    with answering(SUPPORT_ERRORS):
        members: dict[str, list[int]] = {}
        for team, user_id in session.execute(
            select(SupportTeamMember.team, SupportTeamMember.user_id)
        ):
            members.setdefault(team, []).append(user_id)
        names = service.team_names(session=session)
        teams = [TeamRead(name=name, member_ids=sorted(members.get(name, []))) for name in names]
        return page_of(teams, page)


@router.post("/teams", status_code=201, dependencies=[Depends(allow(ANALYSE))])
def post_team(session: SessionDep, body: TeamCreate) -> TeamRead:
    """Create a team or add members to it."""
    with answering(SUPPORT_ERRORS):
        service.create_team(session=session, name=body.name, member_ids=body.member_ids)
        found = session.scalars(
            select(SupportTeamMember.user_id).where(SupportTeamMember.team == body.name)
        )
        return TeamRead(name=body.name, member_ids=sorted(found))


@router.get("/canned-replies", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_canned_replies(session: SessionDep, page: WholePageDep) -> Page[CannedReplyRead]:
    """Every canned reply."""
    replies = [CannedReplyRead.model_validate(r) for r in canned.list_canned_replies(session)]
    return page_of(replies, page)


@router.put("/canned-replies", dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def put_canned_reply(session: SessionDep, body: CannedReplyWrite) -> CannedReplyRead:
    """Create or replace a canned reply by name; its ``{{ fields }}`` are checked."""
    with answering(SUPPORT_ERRORS):
        reply = canned.save_canned_reply(
            session, name=body.name, body=body.body, language=body.language
        )
        return CannedReplyRead.model_validate(reply)


@router.get("/sla/policy", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_sla_policy(settings: SettingsDep) -> SlaPolicyRead:
    """The calendar's time zone and the business-hours targets per priority."""
    with answering(SUPPORT_ERRORS):
        calendar = calendar_for(settings)
    targets = [
        TargetRead(
            priority=priority,
            first_response_hours=target.first_response / timedelta(hours=1),
            resolution_hours=target.resolution / timedelta(hours=1),
        )
        for priority, target in calendar.targets.items()
    ]
    return SlaPolicyRead(
        timezone=str(calendar.zone), targets=targets, warning_hours=settings.support.warning_hours
    )


@router.get("/sla/tickets", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_sla_tickets(
    settings: SettingsDep, session: SessionDep, page: WholePageDep
) -> Page[SlaTicketRead]:
    """Waiting tickets whose targets are at risk or breached, soonest due first."""
    with answering(SUPPORT_ERRORS):
        board = sla_board(
            session,
            calendar=calendar_for(settings),
            warning=timedelta(hours=settings.support.warning_hours),
            at=utcnow(),
        )
        tickets = [SlaTicketRead.model_validate(item, from_attributes=True) for item in board]
        return page_of(tickets, page)


@router.get("/support/csat", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_csat(session: SessionDep, page: WholePageDep) -> Page[CsatRead]:
    """CSAT by agent and by team."""
    return page_of([CsatRead(**row.__dict__) for row in csat.csat_report(session)], page)


@router.get("/kb/articles", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_articles(
    session: SessionDep,
    page: PageDep,
    language: Annotated[str | None, Query(max_length=8)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[ArticleRead]:
    """Articles, drafts included, by category and title."""
    with answering(SUPPORT_ERRORS):
        rows, total = knowledge.list_articles(
            session,
            language=language,
            status=status,
            category=category,
            limit=page.limit,
            offset=page.offset,
        )
        items = [ArticleRead.model_validate(a) for a in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/kb/articles", status_code=201, dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_article(session: SessionDep, body: ArticleCreate) -> ArticleRead:
    """Write an article (a draft unless ``status`` is published)."""
    with answering(SUPPORT_ERRORS):
        return ArticleRead.model_validate(knowledge.create_article(session, **body.model_dump()))


@router.get("/kb/articles/{article_id}", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_article(session: SessionDep, article_id: ArticleId) -> ArticleRead:
    """One article."""
    with answering(SUPPORT_ERRORS):
        return ArticleRead.model_validate(knowledge.get_article(session, article_id=article_id))


@router.patch("/kb/articles/{article_id}", dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def patch_article(session: SessionDep, article_id: ArticleId, body: ArticleUpdate) -> ArticleRead:
    """Edit, publish or unpublish an article."""
    with answering(SUPPORT_ERRORS):
        article = knowledge.get_article(session, article_id=article_id)
        changes = body.model_dump(exclude_none=True)
        return ArticleRead.model_validate(
            knowledge.update_article(session, article=article, changes=changes)
        )


@router.get("/kb/search", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_search(
    session: SessionDep,
    q: SearchQuery,
    language: Annotated[str | None, Query(max_length=8)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[ArticleHitRead]:
    """Published articles best matching ``q``, in English or Chinese."""
    with answering(SUPPORT_ERRORS):
        hits = knowledge.search_articles(session, q, language=language, limit=limit)
        return [
            ArticleHitRead(article=ArticleRead.model_validate(hit.article), score=hit.score)
            for hit in hits
        ]


@router.get("/kb/deflection", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_deflection(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> list[DeflectionRead]:
    """The articles that deflect the most tickets (see docs/support.md for the definition)."""
    with answering(SUPPORT_ERRORS):
        rows = knowledge.deflecting_articles(session, limit=limit)
        return [
            DeflectionRead(**row.__dict__, deflection_rate=round(row.deflection_rate, 3))
            for row in rows
        ]
