"""``retain returns``: thin commands over the returns services."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from retain.clock import utcnow
from retain.output import (
    FormatOption,
    OutputFormat,
    command_on_warehouse,
    command_session,
    command_warehouse,
    refuse,
    render,
)

if TYPE_CHECKING:
    from retain.returns.models import ReturnRequest

app = typer.Typer(
    help="Returns and refunds: requests, policy, shop webhook, reports.", no_args_is_help=True
)
ACTOR = Annotated[str, typer.Option("--actor", help="Who acts, for the history.")]


def _refused() -> tuple[type[Exception], ...]:
    """The errors that end a command with exit code 2: bad input, not a crash."""
    from retain.returns.credit import CreditError
    from retain.returns.policy import PolicyError
    from retain.returns.service import NotFound, ReturnError
    from retain.returns.webhooks import WebhookError
    from retain.returns.workflow import IllegalTransition

    return (NotFound, ReturnError, IllegalTransition, PolicyError, WebhookError, CreditError)


def register(root: typer.Typer) -> None:
    """Mount ``retain returns`` on the root command."""
    root.add_typer(app, name="returns")


def _row(request: ReturnRequest) -> dict[str, Any]:
    from retain.returns import service

    return {
        "return_id": request.return_id,
        "order_id": request.order_id,
        "customer_id": request.customer_id,
        "state": request.state,
        "requested_at": request.requested_at,
        "overdue": service.overdue(request=request, at=utcnow()),
        "reason": request.reason,
        "wanted": request.wanted,
        "auto_approved": request.auto_approved,
        "items_value": request.items_value,
        "fees": request.fees,
        "resolution": request.resolution,
    }


@app.command("list")
def list_command(
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Return requests, newest first."""
    from retain.returns import service

    with command_session(*_refused()) as session:
        found, _ = service.list_returns(
            session=session, state=state, overdue_at=utcnow() if overdue else None, limit=limit
        )
        render([_row(item) for item in found], output_format=output_format, title="Returns")


@app.command("show")
def show_command(return_id: str, output_format: FormatOption = OutputFormat.table) -> None:
    """One return: its lines and its history."""
    from retain.returns import service

    with command_session(*_refused()) as session:
        request = service.get(session=session, return_id=return_id)
        render([_row(request)], output_format=output_format, title=return_id)
        lines = [
            {
                "line": line.line_number,
                "product_id": line.product_id,
                "quantity": line.quantity,
                "value": line.value,
                "condition": line.condition,
            }
            for line in service.lines_of(session=session, return_id=return_id)
        ]
        render(lines, output_format=output_format, title="Items")
        steps = [
            {
                "at": step.at,
                "from": step.from_state,
                "to": step.to_state,
                "actor": step.actor,
                "note": step.note,
            }
            for step in service.history(session=session, return_id=return_id)
        ]
        render(steps, output_format=output_format, title="History")


def _move(
    return_id: str, to: str, actor: str, note: str | None, output_format: OutputFormat
) -> None:
    from retain.returns import service

    with command_session(*_refused()) as session:
        request = service.transition(
            session=session,
            policy=service.load_policy(session=session),
            return_id=return_id,
            to=to,
            actor=actor,
            at=utcnow(),
            note=note,
        )
        render([_row(request)], output_format=output_format)


@app.command("approve")
def approve_command(
    return_id: str, actor: ACTOR = "cli", output_format: FormatOption = OutputFormat.table
) -> None:
    """Approve a request under review."""
    _move(return_id, "approved", actor, None, output_format)


@app.command("receive")
def receive_command(
    return_id: str, actor: ACTOR = "cli", output_format: FormatOption = OutputFormat.table
) -> None:
    """The items arrived back."""
    _move(return_id, "received", actor, None, output_format)


@app.command("move")
def move_command(
    return_id: str,
    to: Annotated[str, typer.Argument(help="in_transit, inspected, closed, cancelled, expired...")],
    note: Annotated[str | None, typer.Option(help="A note for the history.")] = None,
    actor: ACTOR = "cli",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Move a return to another state the workflow allows."""
    _move(return_id, to, actor, note, output_format)


@app.command("decline")
def decline_command(
    return_id: str,
    note: Annotated[str, typer.Option(help="Why, for the customer.")],
    reason: Annotated[str, typer.Option(help="final_sale, window_passed or other.")] = "other",
    actor: ACTOR = "cli",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Decline a request with a reason and a note."""
    from retain.returns import service

    if reason not in ("final_sale", "window_passed", "other"):
        refuse(f"error: --reason must be final_sale, window_passed or other, not {reason!r}")
    with command_session(*_refused()) as session:
        request = service.decline(
            session=session,
            policy=service.load_policy(session=session),
            return_id=return_id,
            reason=reason,  # type: ignore[arg-type]
            note=note,
            actor=actor,
            at=utcnow(),
        )
        render([_row(request)], output_format=output_format)


@app.command("resolve")
def resolve_command(
    return_id: str,
    resolution: Annotated[
        str | None, typer.Option(help="refund, credit or exchange (default: what was asked).")
    ] = None,
    actor: ACTOR = "cli",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Refund, credit or exchange an inspected return (once)."""
    from retain.returns import service

    if resolution not in (None, "refund", "credit", "exchange"):
        refuse(f"error: --resolution must be refund, credit or exchange, not {resolution!r}")
    with command_session(*_refused()) as session:
        request = service.resolve(
            session=session,
            policy=service.load_policy(session=session),
            return_id=return_id,
            actor=actor,
            at=utcnow(),
            resolution=resolution,  # type: ignore[arg-type]
        )
        render([_row(request)], output_format=output_format)


@app.command("policy")
def policy_command(
    load: Annotated[
        Path | None, typer.Option("--load", help="A YAML file to make the new policy.")
    ] = None,
    actor: ACTOR = "cli",
) -> None:
    """Print the policy in force, or load a new one from a YAML file."""
    from retain.returns import service
    from retain.returns.policy import PolicyError

    with command_session(*_refused()) as session:
        if load is not None:
            try:
                text = load.read_text(encoding="utf-8")
            except OSError as error:
                refuse(f"error: cannot read {load}: {error.strerror}")
            try:
                service.save_policy(session=session, text=text, actor=actor, at=utcnow())
            except PolicyError as error:
                refuse(f"error: {load}: {error}")
        typer.echo(service.policy_text(session=session), nl=False)


@app.command("webhook")
def webhook_command(
    url: Annotated[str | None, typer.Option(help="Where the shop receives instructions.")] = None,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the signing secret from standard input.")
    ] = False,
) -> None:
    """Show or set the shop webhook (the secret is read from standard input, never an argument)."""
    from retain.returns import webhooks

    with command_session(*_refused()) as session:
        if url is not None:
            if not secret_stdin:
                refuse("error: give the signing secret on standard input with --secret-stdin")
            secret = typer.get_text_stream("stdin").read().strip()
            webhooks.configure(session=session, url=url, secret=secret, at=utcnow())
        hook = webhooks.endpoint(session=session)
        typer.echo(hook.url if hook else "no webhook configured")


@app.command("deliver")
def deliver_command(output_format: FormatOption = OutputFormat.table) -> None:
    """One pass: send due instructions, close confirmed returns, expire stale, export events."""
    from retain.returns import jobs
    from retain.settings import get_settings

    done = jobs.run_pass(get_settings())
    render([done.__dict__], output_format=output_format)


@app.command("credit")
def credit_command(customer_id: str, output_format: FormatOption = OutputFormat.table) -> None:
    """A customer's store-credit balance and entries."""
    from retain.returns import credit

    with command_session(*_refused()) as session:
        rows = [
            {
                "id": entry.id,
                "kind": entry.kind,
                "amount": entry.amount,
                "at": entry.created_at,
                "reference": entry.reference,
            }
            for entry in credit.history(session=session, customer_id=customer_id)
        ]
        render(
            rows,
            output_format=output_format,
            title=f"Balance {credit.balance(session=session, customer_id=customer_id)}",
        )


@app.command("export")
def export_command() -> None:
    """Copy resolved returns to the warehouse ``return_event`` table (each once)."""
    from retain.returns import events

    exported = command_on_warehouse(
        lambda settings, backend: events.export_events(
            store_url=settings.storage.store_url, backend=backend
        )
    )
    typer.echo(f"{exported} new return events")


@app.command("report")
def report_command(
    cut: Annotated[str, typer.Option(help="rates, reasons, customers or retention.")] = "retention",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Return rates, reasons, serial returners, or retention after a return vs similar customers."""
    from retain.returns import report, service

    with command_warehouse() as backend:
        if cut == "rates":
            rows = (
                report.rate_by_line_field(backend, "category").to_pandas().to_dict(orient="records")
            )
        elif cut == "reasons":
            rows = report.rate_by_reason(backend).to_pandas().to_dict(orient="records")
        elif cut == "customers":
            rows = report.rate_by_customer(backend).to_pandas().to_dict(orient="records")
        elif cut == "retention":
            with command_session() as session:
                details = report.processing_details(service.processing_rows(session=session))
            rows = report.retention_after_return(backend, details=details)
        else:
            refuse(f"error: --cut must be rates, reasons, customers or retention, not {cut!r}")
    render(
        [{str(key): value for key, value in row.items()} for row in rows],
        output_format=output_format,
    )
