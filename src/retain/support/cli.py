"""``retain tickets`` and ``retain kb``: thin commands over the support and knowledge services."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from retain.clock import utcnow
from retain.output import FormatOption, OutputFormat, command_session, refuse, render
from retain.support.defaults import DEFLECTION_DAYS

if TYPE_CHECKING:
    from retain.support.models import Ticket

tickets_app = typer.Typer(help="Support tickets, SLAs and CSAT.", no_args_is_help=True)
kb_app = typer.Typer(help="Knowledge-base articles.", no_args_is_help=True)
AtOption = Annotated[
    datetime | None, typer.Option("--at", help="Act as of this UTC time (default: now).")
]
TicketArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The ticket's id.")]


def _refused() -> tuple[type[Exception], ...]:
    """The errors that end a command with exit code 2: bad input, not a crash."""
    from retain.support.service import NotFound, SupportError
    from retain.support.sla import CalendarError

    return (SupportError, NotFound, CalendarError)


def register(root: typer.Typer) -> None:
    """Mount ``retain tickets`` and ``retain kb`` on the root command."""
    root.add_typer(tickets_app, name="tickets")
    root.add_typer(kb_app, name="kb")


def _ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "customer_id": ticket.customer_id,
        "requester_email": ticket.requester_email,
        "channel": ticket.channel,
        "tags": ",".join(ticket.tags),
        "assignee_id": ticket.assignee_id,
        "team": ticket.team,
        "created_at": ticket.created_at,
        "first_response_due_at": ticket.first_response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "satisfaction": ticket.satisfaction,
    }


@tickets_app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    priority: Annotated[str | None, typer.Option(help="Only this priority.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer's tickets.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only tickets with this tag.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Tickets, newest first."""
    from retain.support import service

    with command_session(*_refused()) as session:
        rows, _ = service.list_tickets(
            session=session,
            status=status,
            priority=priority,
            customer_id=customer,
            tag=tag,
            limit=limit,
        )
        printed = [_ticket_row(ticket) for ticket in rows]
    render(printed, output_format=output_format, title="Tickets")


@tickets_app.command("show")
def show_command(
    ticket_id: TicketArgument, output_format: FormatOption = OutputFormat.table
) -> None:
    """A ticket's messages and notes, oldest first."""
    from retain.support import service

    with command_session(*_refused()) as session:
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        printed = [
            {
                "at": message.created_at,
                "author_kind": message.author_kind,
                "author": message.author,
                "body": message.body,
            }
            for message in service.messages(session=session, ticket_id=ticket.id)
        ]
        title = f"#{ticket.id} {ticket.subject} ({ticket.status}, {ticket.priority})"
    render(printed, output_format=output_format, title=title)


@tickets_app.command("open")
def open_command(
    subject: str,
    body: str,
    customer: Annotated[str | None, typer.Option(help="The customer's id.")] = None,
    email: Annotated[str | None, typer.Option(help="The requester's email.")] = None,
    priority: Annotated[str, typer.Option(help="low, normal, high or urgent.")] = "normal",
    tag: Annotated[list[str] | None, typer.Option(help="A tag (repeatable).")] = None,
    language: Annotated[str | None, typer.Option(help="en or zh-CN.")] = None,
    at: AtOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Open a ticket for a customer (or an email address)."""
    from retain.settings import get_settings
    from retain.support import service
    from retain.support.deadlines import calendar_for

    settings = get_settings()
    with command_session(*_refused()) as session:
        ticket = service.open_ticket(
            session=session,
            customer_id=customer,
            requester_email=email,
            subject=subject,
            body=body,
            channel="agent",
            priority=priority,
            tags=tag or (),
            language=language,
            at=at,
            calendar=calendar_for(settings),
        )
        printed = [_ticket_row(ticket)]
    render(printed, output_format=output_format, title="Opened")


@tickets_app.command("reply")
def reply_command(
    ticket_id: TicketArgument,
    body: Annotated[str | None, typer.Argument(help="The text (or use --canned).")] = None,
    canned_name: Annotated[str | None, typer.Option("--canned", help="A canned reply.")] = None,
    note: Annotated[bool, typer.Option("--note", help="An internal note.")] = False,
    author: Annotated[str | None, typer.Option(help="Who writes.")] = None,
    at: AtOption = None,
) -> None:
    """Reply to the customer, or add an internal note with --note."""
    from retain.support import canned, service

    with command_session(*_refused()) as session:
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        if canned_name is not None:
            body = canned.render_canned_reply(session, name=canned_name, ticket=ticket)
        if body is None:
            refuse("error: give the reply's text or --canned NAME")
        service.add_message(
            session=session,
            ticket=ticket,
            author_kind="note" if note else "agent",
            body=body,
            author=author,
            at=at or utcnow(),
        )
        status = ticket.status
    typer.echo(f"ticket {ticket_id}: {'note added' if note else 'replied'} ({status})")


@tickets_app.command("status")
def status_command(ticket_id: TicketArgument, status: str, at: AtOption = None) -> None:
    """Move a ticket to another state (new → open → pending → solved → closed)."""
    from retain.settings import get_settings
    from retain.support import csat, service

    settings = get_settings()
    when = at or utcnow()
    with command_session(*_refused()) as session:
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        before = ticket.status
        service.change_status(session=session, ticket=ticket, status=status, at=when)
        if status == "solved":
            session.flush()
            csat.ask_for_ratings(session, settings=settings, at=when)
    typer.echo(f"ticket {ticket_id}: {before} → {status}")


@tickets_app.command("assign")
def assign_command(
    ticket_id: TicketArgument,
    user: Annotated[int | None, typer.Option(help="The agent's user id.")] = None,
    team: Annotated[str | None, typer.Option(help="The team's name.")] = None,
) -> None:
    """Give a ticket to an agent and/or a team."""
    from retain.support import service

    with command_session(*_refused()) as session:
        ticket = service.get_ticket(session=session, ticket_id=ticket_id)
        service.assign(session=session, ticket=ticket, assignee_id=user, team=team, at=utcnow())
    typer.echo(f"ticket {ticket_id}: assigned to user {user}, team {team}")


@tickets_app.command("team")
def team_command(
    name: str, member: Annotated[list[int] | None, typer.Option(help="A user id.")] = None
) -> None:
    """Create a team or add members (user ids) to it."""
    from retain.support import service

    with command_session(*_refused()) as session:
        service.create_team(session=session, name=name, member_ids=member or [])
    typer.echo(f"team {name}: {len(member or [])} member(s) added")


@tickets_app.command("canned")
def canned_command(
    name: str,
    body: str,
    language: Annotated[str, typer.Option(help="en or zh-CN.")] = "en",
) -> None:
    """Save a canned reply (``{{ ticket.id }}``, ``{{ ticket.subject }}`` are filled in)."""
    from retain.support import canned

    with command_session(*_refused()) as session:
        canned.save_canned_reply(session, name=name, body=body, language=language)
    typer.echo(f"canned reply {name} saved")


@tickets_app.command("sla")
def sla_command(at: AtOption = None, output_format: FormatOption = OutputFormat.table) -> None:
    """Tickets whose SLA targets are at risk or breached."""
    from retain.settings import get_settings
    from retain.support.deadlines import calendar_for, sla_board

    settings = get_settings()
    with command_session(*_refused()) as session:
        board = sla_board(
            session,
            calendar=calendar_for(settings),
            warning=timedelta(hours=settings.support.warning_hours),
            at=at or utcnow(),
        )
    render([asdict(item) for item in board], output_format=output_format, title="SLA")


@tickets_app.command("csat")
def csat_command(output_format: FormatOption = OutputFormat.table) -> None:
    """CSAT by agent and by team."""
    from retain.support import csat

    with command_session(*_refused()) as session:
        rows = [asdict(row) for row in csat.csat_report(session)]
    render(rows, output_format=output_format, title="CSAT")


@tickets_app.command("run")
def run_command() -> None:
    """What the worker does: SLA warnings and breaches, CSAT asks, the warehouse export."""
    from retain.settings import get_settings
    from retain.support.schedule import run_support_jobs
    from retain.support.sla import CalendarError

    try:
        done = run_support_jobs(get_settings())
    except CalendarError as error:
        refuse(f"error: {error}")
    typer.echo(
        f"{done.deadlines.warned} warned, {done.deadlines.breached} breached, "
        f"{done.ratings_asked} asked for a rating, {done.replies_emailed} replies emailed, "
        f"{done.events_exported} events exported"
    )


@kb_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML or JSON list.")],
) -> None:
    """Add or update articles from a file, all or none (matched by slug)."""
    from retain.support.importing import ImportProblem, import_articles

    try:
        with command_session(*_refused()) as session:
            result = import_articles(session, path=path)
    except ImportProblem as error:
        refuse(f"error: {error}")
    typer.echo(
        f"{result.created} articles added, {result.updated} updated, {result.unchanged} unchanged"
    )


@kb_app.command("list")
def kb_list_command(
    language: Annotated[str | None, typer.Option(help="en or zh-CN.")] = None,
    status: Annotated[str | None, typer.Option(help="draft or published.")] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Articles by category and title."""
    from retain.support import knowledge

    with command_session(*_refused()) as session:
        rows, _ = knowledge.list_articles(session, language=language, status=status, limit=10_000)
        printed = [
            {
                "id": a.id,
                "slug": a.slug,
                "title": a.title,
                "language": a.language,
                "category": a.category,
                "status": a.status,
            }
            for a in rows
        ]
    render(printed, output_format=output_format, title="Articles")


@kb_app.command("search")
def kb_search_command(
    query: str,
    language: Annotated[str | None, typer.Option(help="en or zh-CN.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Published articles best matching the query, in English or Chinese."""
    from retain.support import knowledge

    with command_session(*_refused()) as session:
        hits = knowledge.search_articles(session, query, language=language, limit=limit)
        printed = [
            {"slug": h.article.slug, "title": h.article.title, "score": round(h.score, 4)}
            for h in hits
        ]
    render(printed, output_format=output_format, title=f"Search: {query}")


@kb_app.command("publish")
def kb_publish_command(
    slug: str, draft: Annotated[bool, typer.Option("--draft", help="Unpublish.")] = False
) -> None:
    """Publish an article (or take it back to draft)."""
    from retain.support import knowledge

    status = "draft" if draft else "published"
    with command_session(*_refused()) as session:
        article = knowledge.get_article(session, slug=slug)
        knowledge.update_article(session, article=article, changes={"status": status})
    typer.echo(f"article {slug}: {status}")


@kb_app.command("deflection")
def kb_deflection_command(
    days: Annotated[
        int, typer.Option(min=1, help="Window after a view without a ticket.")
    ] = DEFLECTION_DAYS,
    limit: Annotated[int, typer.Option(min=1)] = 10,
    at: AtOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """The articles that deflect the most tickets."""
    from retain.support import knowledge

    with command_session(*_refused()) as session:
        rows = knowledge.deflecting_articles(session, at=at, window_days=days, limit=limit)
        printed = [{**asdict(r), "deflection_rate": round(r.deflection_rate, 3)} for r in rows]
    render(printed, output_format=output_format, title="Deflection")


@tickets_app.command("mail-intake")
def mail_intake_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="SMTP port.")] = 2525,
) -> None:
    """Receive email over SMTP and file each message as a ticket or a reply, until interrupted."""
    import time

    from retain.settings import get_settings
    from retain.store import ensure_store
    from retain.support.mail import mail_server

    settings = get_settings()
    ensure_store(settings.storage.store_url)
    server = mail_server(settings, host=host, port=port)
    server.start()
    typer.echo(f"filing email sent to {host}:{port} as tickets; Ctrl+C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
