"""``retain segments list|show|define|delete|refresh``: thin commands over the segments service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from retain.clock import utcnow_to_the_second
from retain.output import FormatOption, OutputFormat, command_session, command_warehouse, render

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.orm import Session

app = typer.Typer(help="Customer segments: RFM and rules, with entry and exit history.")
SHOWN_MEMBERS = 20


def register(root: typer.Typer) -> None:
    """Mount ``retain segments`` on the root command."""
    root.add_typer(app, name="segments", no_args_is_help=True)


def _session() -> AbstractContextManager[Session]:
    """A store transaction in which a bad rule or segment ends the command with exit code 2."""
    from retain.segments.rules import RuleError
    from retain.segments.service import SegmentError

    return command_session(RuleError, SegmentError)


@app.command("list")
def list_command(output_format: FormatOption = OutputFormat.table) -> None:
    """Every segment with its rule and when it was last refreshed."""
    from retain.segments.service import list_segments

    with _session() as session:
        rows = [_segment_row(segment) for segment in list_segments(session=session)]
    render(rows, output_format=output_format, title=f"Segments: {len(rows)}")


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="The segment's name.")],
    limit: Annotated[int, typer.Option(min=1, help="Members to print.")] = SHOWN_MEMBERS,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """A segment's definition and its current members."""
    from retain.segments.service import current_members, get_segment

    with _session() as session:
        segment = _segment_row(get_segment(session=session, name=name))
        members, total = current_members(session=session, name=name, limit=limit, offset=0)
        rows = [{"customer_id": m.customer_id, "entered_at": m.entered_at} for m in members]
    if output_format is OutputFormat.json:
        render([{**segment, "total": total, "members": rows}], output_format=output_format)
        return
    if output_format is OutputFormat.table:
        render([segment], output_format=output_format, title=name)
    render(rows, output_format=output_format, title=f"{total} members (first {len(rows)})")


@app.command("define")
def define(
    name: Annotated[str, typer.Argument(help="The segment's name.")],
    rule: Annotated[
        str, typer.Argument(help="A rule, e.g. 'churn_risk > 0.6 and country = \"CN\"'.")
    ],
    description: Annotated[str | None, typer.Option(help="What the segment is for.")] = None,
) -> None:
    """Create or replace a segment defined by a rule (see docs/segments.md)."""
    from retain.segments.service import define_segment

    with _session() as session:
        define_segment(session=session, name=name, rule=rule, description=description)
    typer.echo(f"segment {name} defined; 'retain segments refresh --name {name}' fills it")


@app.command("delete")
def delete(name: Annotated[str, typer.Argument(help="The segment's name.")]) -> None:
    """Remove a rule segment and its history."""
    from retain.segments.service import delete_segment

    with _session() as session:
        delete_segment(session=session, name=name)
    typer.echo(f"segment {name} deleted")


@app.command("refresh")
def refresh(
    names: Annotated[
        list[str] | None, typer.Option("--name", help="Only this segment (repeatable).")
    ] = None,
    at: Annotated[
        datetime | None,
        typer.Option("--at", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="UTC (default: now)."),
    ] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Evaluate segments in the warehouse and record who entered and who left."""
    from retain.segments.service import refresh_segments

    moment = at or utcnow_to_the_second()
    with command_warehouse() as backend, _session() as session, _progress() as progress:
        task = progress.add_task("segments", total=None)

        def on_progress(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, description=label)

        results = refresh_segments(
            session=session, backend=backend, at=moment, names=names, on_progress=on_progress
        )
    rows = [
        {"segment": r.name, "members": r.members, "entered": r.entered, "exited": r.exited}
        for r in results
    ]
    render(rows, output_format=output_format, title=f"Segments at {moment:%Y-%m-%d %H:%M}")
    failed = [r for r in results if r.error is not None]
    for result in failed:
        typer.echo(f"segment {result.name} not refreshed: {result.error}", err=True)
    if failed:
        raise typer.Exit(1)


@contextmanager
def _progress() -> Iterator[Progress]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    # On standard error, so that JSON or CSV on standard output stays clean.
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield progress


def _segment_row(segment: Any) -> dict[str, Any]:
    return {
        "name": segment.name,
        "built_in": segment.built_in,
        "rule": segment.rule,
        "description": segment.description,
        "refreshed_at": segment.refreshed_at,
    }
