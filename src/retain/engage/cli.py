"""``retain playbooks list|install|validate|save|enable|disable|run|stats``: thin commands."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from retain.clock import utcnow_to_the_second
from retain.output import (
    FormatOption,
    OutputFormat,
    command_session,
    command_warehouse,
    refuse,
    render,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from retain.stats import Interval

T = TypeVar("T")
playbooks_app = typer.Typer(
    help="Lifecycle playbooks and the lift they cause.", no_args_is_help=True
)
AtOption = Annotated[
    datetime | None,
    typer.Option(
        "--at", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="Run as of (default: now, UTC)."
    ),
]


def _session() -> AbstractContextManager[Session]:
    """A store transaction in which a bad or unknown playbook ends the command with exit code 2."""
    from retain.engage.definition import PlaybookError
    from retain.engage.service import UnknownPlaybook

    return command_session(PlaybookError, UnknownPlaybook)


def _guard(work: Callable[[], T]) -> T:
    from retain.engage import service
    from retain.engage.definition import PlaybookError

    try:
        return work()
    except (PlaybookError, service.UnknownPlaybook, ValueError, OSError) as error:
        refuse(str(error))


@playbooks_app.command("list")
def list_command(output_format: FormatOption = OutputFormat.table) -> None:
    """Saved playbooks: trigger, steps, holdout, whether on."""
    from retain.engage import service

    with _session() as session:
        rows = [_describe(record) for record in service.list_records(session=session)]
    render(rows, output_format=output_format, title="Playbooks")


def _describe(record: Any) -> dict[str, Any]:
    from retain.engage.definition import parse_playbook

    playbook = parse_playbook(record.definition, source=record.name)
    return {
        "name": record.name,
        "enabled": record.enabled,
        "built_in": record.built_in,
        "trigger": playbook.trigger.kind,
        "steps": len(playbook.steps),
        "holdout": playbook.holdout,
        "goal": f"{playbook.goal.kind} in {playbook.goal.days} d",
    }


@playbooks_app.command("install")
def install_command() -> None:
    """Save the shipped playbooks not saved yet (they start disabled)."""
    from retain.engage import service

    with _session() as session:
        installed = service.install_shipped(session=session, at=utcnow_to_the_second())
    typer.echo(f"installed {len(installed)} playbook(s): {', '.join(installed) or 'none new'}")


@playbooks_app.command("validate")
def validate_command(path: Annotated[Path, typer.Argument(help="A playbook YAML file.")]) -> None:
    """Check a playbook file without saving it."""
    from retain.engage.definition import parse_playbook

    text = _guard(lambda: path.read_text(encoding="utf-8"))
    playbook = _guard(lambda: parse_playbook(text, source=str(path)))
    typer.echo(f"{path}: playbook {playbook.name!r} is valid ({len(playbook.steps)} steps)")


@playbooks_app.command("save")
def save_command(path: Annotated[Path, typer.Argument(help="A playbook YAML file.")]) -> None:
    """Validate and save (or replace) a playbook."""
    from retain.engage import service

    text = _guard(lambda: path.read_text(encoding="utf-8"))
    with _session() as session:
        record = _guard(
            lambda: service.save_playbook(session=session, text=text, at=utcnow_to_the_second())
        )
        typer.echo(f"saved playbook {record.name!r} ({'on' if record.enabled else 'off'})")


@playbooks_app.command("enable")
def enable_command(name: str) -> None:
    """Turn a playbook on."""
    from retain.engage import service

    with _session() as session:
        _guard(lambda: service.set_enabled(session=session, name=name, enabled=True))
    typer.echo(f"playbook {name!r} is on")


@playbooks_app.command("disable")
def disable_command(name: str) -> None:
    """Turn a playbook off (entries in progress stop advancing)."""
    from retain.engage import service

    with _session() as session:
        _guard(lambda: service.set_enabled(session=session, name=name, enabled=False))
    typer.echo(f"playbook {name!r} is off")


@playbooks_app.command("delete")
def delete_command(name: str) -> None:
    """Remove a saved playbook (its past entries and sends stay, for its lift)."""
    from retain.engage import service

    with _session() as session:
        _guard(lambda: service.delete_playbook(session=session, name=name))
    typer.echo(f"playbook {name!r} deleted")


@playbooks_app.command("run")
def run_command(
    names: Annotated[
        list[str] | None, typer.Argument(help="Only these (default: every one on).")
    ] = None,
    at: AtOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Enter the customers each trigger fired for and advance every due entry."""
    from rich.console import Console
    from rich.progress import Progress

    from retain.engage import service
    from retain.settings import get_settings
    from retain.store import ensure_store

    settings = get_settings()
    ensure_store(settings.storage.store_url)
    with (
        command_warehouse() as backend,
        Progress(console=Console(stderr=True), transient=True) as progress,
    ):
        task = progress.add_task("playbooks", total=None)

        def report(name: str, done: int, total: int) -> None:
            progress.update(task, description=name, completed=done, total=total)

        summaries = _guard(
            lambda: service.run_playbooks(
                settings=settings,
                backend=backend,
                at=at or utcnow_to_the_second(),
                names=names,
                on_progress=report,
            )
        )
    rows = [
        {
            "playbook": summary.playbook,
            "entered": summary.entered,
            "held_out": summary.held_out,
            "steps_taken": sum(summary.steps.values()),
            "converted": summary.converted,
            "finished": summary.finished,
        }
        for summary in summaries
    ]
    render(rows, output_format=output_format, title="Playbook run")


@playbooks_app.command("stats")
def stats_command(
    name: Annotated[
        str | None, typer.Argument(help="A playbook (default: all vs global control).")
    ] = None,
    at: AtOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Conversion of treated vs held-out customers, lift with 95% intervals, incremental revenue."""
    from retain.engage import service

    with command_warehouse() as backend, _session() as session:
        stats = _guard(
            lambda: service.playbook_stats(
                session=session, backend=backend, name=name, at=at or utcnow_to_the_second()
            )
        )
    rows = [
        {
            "outcome": item.outcome,
            "treated": item.treated,
            "treated_rate": _rate(item.treated_rate),
            "held_out": item.held_out,
            "held_out_rate": _rate(item.held_out_rate),
            "lift": _interval(item.absolute, scale=100, unit=" pp"),
            "relative_lift": _interval(item.relative, scale=100, unit="%"),
        }
        for item in stats.lifts
    ]
    rows.append(
        {
            "outcome": "incremental_revenue_90",
            "treated": stats.treated,
            "held_out": stats.held_out,
            "lift": _interval(stats.incremental_revenue_90),
        }
    )
    render(rows, output_format=output_format, title=f"Lift of {stats.playbook}")


def _rate(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _interval(value: Interval | None, *, scale: float = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return (
        f"{scale * value.estimate:+.2f}{unit} [{scale * value.low:+.2f}, {scale * value.high:+.2f}]"
    )


def register(main: typer.Typer) -> None:
    """Add ``retain playbooks``."""
    main.add_typer(playbooks_app, name="playbooks")
