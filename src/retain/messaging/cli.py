"""``retain messages``, ``retain templates`` and ``retain consent``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from retain.clock import utcnow
from retain.output import (
    FormatOption,
    OutputFormat,
    command_session,
    command_warehouse,
    refuse,
    render,
)

messages_app = typer.Typer(help="The delivery log: list, reconcile, bounces.", no_args_is_help=True)
templates_app = typer.Typer(help="Message templates.", no_args_is_help=True)
consent_app = typer.Typer(help="Customers' consent per channel.", no_args_is_help=True)


class Answer(StrEnum):
    granted = "granted"
    revoked = "revoked"


def register(root: typer.Typer) -> None:
    """Mount the messaging commands on the root command."""
    root.add_typer(messages_app, name="messages")
    root.add_typer(templates_app, name="templates")
    root.add_typer(consent_app, name="consent")


@messages_app.command("list")
def list_messages(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Deliveries, newest first."""
    from retain.messaging import service

    with command_session() as session:
        rows, _ = service.list_deliveries(session=session, status=status, limit=limit, offset=0)
        printed = [
            {
                "key": row.key,
                "channel": row.channel,
                "customer_id": row.customer_id,
                "template": row.template,
                "status": row.status,
                "attempts": row.attempts,
                "sent_at": row.sent_at,
                "last_error": row.last_error,
            }
            for row in rows
        ]
    render(printed, output_format=output_format, title="Deliveries")


@messages_app.command("reconcile")
def reconcile(
    resend: Annotated[
        bool, typer.Option("--resend", help="Resend unknown email and chat messages too.")
    ] = False,
    keys: Annotated[
        list[str] | None,
        typer.Option("--key", help="Resend only these unknown deliveries (repeatable)."),
    ] = None,
) -> None:
    """Resolve deliveries left unknown by a crashed worker (see docs/messaging.md)."""
    from retain.messaging import service

    with command_session() as session:
        counts = service.reconcile(session=session, resend=resend, keys=keys or ())
    typer.echo(f"requeued {counts['requeued']}, confirmed sent {counts['confirmed']}")


@messages_app.command("bounce")
def bounce(
    address: Annotated[str, typer.Argument(help="The address that bounced.")],
    channel: Annotated[str, typer.Option(help="Channel of the address.")] = "email",
    reason: Annotated[str, typer.Option(help="bounced or complained.")] = "bounced",
) -> None:
    """Suppress an address and mark its latest delivery bounced."""
    from retain.messaging import service

    with command_session() as session:
        marked = service.record_bounce(
            session=session, address=address, channel=channel, reason=reason
        )
    typer.echo(f"suppressed {address} on {channel}; {marked} delivery marked bounced")


@templates_app.command("list")
def list_templates(output_format: FormatOption = OutputFormat.table) -> None:
    """Every template, shipped or edited."""
    from retain.messaging import templates

    with command_session() as session:
        rows = templates.list_templates(session=session)
    for row in rows:
        row["languages"] = ", ".join(row["languages"])
    render(rows, output_format=output_format, title="Templates")


@templates_app.command("reset")
def reset_template(name: str) -> None:
    """Remove the edited version of a template: the shipped one applies again."""
    from retain.messaging import templates

    with command_session() as session:
        found = templates.delete_override(session=session, name=name)
    if not found:
        refuse(f"no edited template named {name!r}")
    typer.echo(f"template {name!r} is the shipped one again")


@templates_app.command("preview")
def preview(
    name: Annotated[str, typer.Argument(help="Template name.")],
    customer: Annotated[str, typer.Option("--customer", help="Customer id.")],
    language: Annotated[
        str | None, typer.Option(help="en or zh-CN; default the customer's.")
    ] = None,
) -> None:
    """Render a template with a customer's real context."""
    from retain.locales import language_or_default
    from retain.messaging import preferences, templates
    from retain.messaging.context import message_context
    from retain.settings import get_settings

    settings = get_settings()
    with command_warehouse() as backend, command_session(templates.TemplateProblem) as session:
        context = message_context(session=session, backend=backend, customer_id=customer)
        chosen = language_or_default(language or context["customer"].get("language"))
        context |= preferences.sample_links(settings, customer_id=customer, language=chosen)
        rendered = templates.render(
            session=session, template=name, language=chosen, context=context
        )
    typer.echo(f"Subject: {rendered.subject}\nLanguage: {rendered.language}\n\n{rendered.text}")
    if rendered.html:
        typer.echo(f"--- HTML ---\n{rendered.html}")


@consent_app.command("show")
def show_consent(
    customer: Annotated[str, typer.Argument(help="Customer id.")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """The customer's recorded consent per channel."""
    from retain.messaging import consent

    with command_session() as session:
        rows = [
            {
                "channel": row.channel,
                "granted": row.granted,
                "source": row.source,
                "updated_at": row.updated_at,
            }
            for row in consent.consents(session=session, customer_id=customer)
        ]
    render(rows, output_format=output_format, title=f"Consent of {customer}")


@consent_app.command("set")
def set_consent(
    customer: Annotated[str, typer.Argument(help="Customer id.")],
    channel: Annotated[str, typer.Argument(help="Channel: email, sms, wecom, ...")],
    answer: Annotated[Answer, typer.Argument(help="granted or revoked.")],
) -> None:
    """Record a customer's consent for a channel."""
    from retain.messaging import consent

    with command_session() as session:
        consent.set_consent(
            session=session,
            customer_id=customer,
            channel=channel,
            granted=answer is Answer.granted,
            source="cli",
            at=utcnow(),
        )
    typer.echo(f"{customer} {channel}: {answer.value}")
