"""The plumbing of every command: its store session, its warehouse connection, exit code 2 on
bad input, and the ``--format`` option that prints results as a Rich table, JSON or CSV.

Every command module imports this one at start-up, so it imports only typer and the standard
library; Rich, SQLAlchemy and the store load when a command runs.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from retain.spreadsheets import write_rows

if TYPE_CHECKING:
    from ibis.backends import BaseBackend
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table
    from sqlalchemy.orm import Session

    from retain.settings import Settings

T = TypeVar("T")


@contextmanager
def command_session(*refused: type[Exception]) -> Iterator[Session]:
    """A store transaction for a command; the ``refused`` errors end it with exit code 2."""
    from retain.settings import get_settings
    from retain.store import migrated_session

    try:
        with migrated_session(get_settings().storage.store_url) as session:
            yield session
    except refused as error:
        refuse(f"error: {error}")


@contextmanager
def command_warehouse(*refused: type[Exception]) -> Iterator[BaseBackend]:
    """A warehouse connection for a command, closed afterwards.

    The ``refused`` errors end the command with exit code 2.
    """
    from retain.settings import get_settings
    from retain.warehouse import connect

    backend = connect(get_settings().storage.resolved_warehouse_url)
    try:
        yield backend
    except refused as error:
        refuse(f"error: {error}")
    finally:
        backend.disconnect()


def command_on_warehouse(
    work: Callable[[Settings, BaseBackend], T], *refused: type[Exception]
) -> T:
    """Run ``work`` on a migrated store and a warehouse connection, closed afterwards.

    The ``refused`` errors end the command with exit code 2.
    """
    from retain.settings import get_settings
    from retain.store import ensure_store

    settings = get_settings()
    ensure_store(settings.storage.store_url)
    with command_warehouse(*refused) as backend:
        return work(settings, backend)


def refuse(reason: str) -> NoReturn:
    """Exit with code 2 and one line on standard error: bad input, not a crash."""
    typer.echo(reason, err=True)
    raise typer.Exit(code=2)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="How to print the result.")]

# Piped tables are for other programs and files: never cut to the 80 columns Rich assumes.
PIPED_WIDTH = 10_000


def render(
    rows: Sequence[dict[str, Any]],
    *,
    output_format: OutputFormat,
    title: str = "",
    console: Console | None = None,
) -> None:
    """Write ``rows`` to standard output in ``output_format``."""
    if output_format is OutputFormat.json:
        present = [_without_nan(row) for row in rows]
        sys.stdout.write(json.dumps(present, default=_json_value, ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
    elif output_format is OutputFormat.csv:
        _write_csv([_without_nan(row) for row in rows])
    else:
        from rich.console import Console

        console = console or Console()
        if not console.is_terminal:
            console.width = PIPED_WIDTH
        console.print(_table(rows, title))


def _without_nan(row: dict[str, Any]) -> dict[str, Any]:
    """NaN (pandas' "no value", such as an NPS nobody answered) as None: null in JSON, empty in CSV.

    Python would write it as ``NaN``, which JSON does not allow, and as ``nan`` in CSV. Nested
    rows (a report with its list of renewals) are cleaned too.
    """
    return {key: _present(value) for key, value in row.items()}


def _present(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return _without_nan(value)
    if isinstance(value, list):
        return [_present(item) for item in value]
    return value


def _write_csv(rows: Sequence[dict[str, Any]]) -> None:
    write_rows(sys.stdout, rows, lineterminator="\n")


def _table(rows: Sequence[dict[str, Any]], title: str) -> Table:
    from rich.table import Table

    table = Table(title=title or None)
    names = list(rows[0]) if rows else []
    decimals = {name: _column_decimals([row.get(name) for row in rows]) for name in names}
    for name in names:
        numeric = any(isinstance(row.get(name), int | float | Decimal) for row in rows)
        table.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(_cell(row.get(name), decimals[name]) for name in names))
    return table


def _column_decimals(values: Sequence[Any]) -> int:
    """One precision per column, so 80 and 100 print as 80.00 and 100.00, not 80 and 100.00."""
    finite = [abs(v) for v in values if isinstance(v, float) and math.isfinite(v)]
    return 4 if finite and max(finite) < 1 else 2


def _cell(value: Any, decimals: int = 2) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.{decimals}f}" if math.isfinite(value) else ""
    if isinstance(value, datetime) and value == datetime.combine(value.date(), time()):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def progress_bar() -> Progress:
    """A transient progress bar on standard error, shown only on a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    err = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@contextmanager
def stage_progress(label: str) -> Iterator[Callable[[str, float | None], None]]:
    """A progress bar per stage, fed by (stage, fraction) reports such as an import's."""
    with progress_bar() as progress:
        tasks: dict[str, Any] = {}

        def on_progress(stage: str, fraction: float | None) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(f"{label}: {stage}", total=1.0)
            progress.update(tasks[stage], completed=fraction or 0.0)

        yield on_progress
