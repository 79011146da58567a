"""``retain ingest``: a thin command over the ingest service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from retain.ingest.kinds import KINDS
from retain.output import FormatOption, OutputFormat, render, stage_progress

if TYPE_CHECKING:
    from retain.ingest.service import ImportResult

KindArgument = Annotated[
    str, typer.Argument(help=f"One of: {', '.join(KINDS)}.", show_default=False)
]


def ingest(
    kind: KindArgument,
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or JSON Lines file.")],
    mapping: Annotated[Path | None, typer.Option(help="YAML/JSON column-mapping file.")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone of timestamps without an offset.")
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV/JSON files.")] = "utf-8",
    max_problems: Annotated[
        int | None, typer.Option(help="How many problems to report at most.")
    ] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Import a file: validated, all or nothing, and a re-run changes nothing."""
    from retain.ingest.service import ingest_file

    with stage_progress("import") as on_progress:
        result = _run_import(
            lambda: ingest_file(
                kind=kind,
                path=file,
                mapping_path=mapping,
                timezone=timezone,
                encoding=encoding,
                max_problems=max_problems,
                on_progress=on_progress,
            )
        )
    render([_result_row(result)], output_format=output_format, title=f"Imported {kind}")


def _run_import(work: Callable[[], ImportResult]) -> ImportResult:
    from rich.console import Console

    from retain.ingest.problems import IngestError

    try:
        return work()
    except (IngestError, ValueError) as error:
        Console(stderr=True).print(f"[red]{error}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def _result_row(result: ImportResult) -> dict[str, object]:
    row = asdict(result)
    row["ignored_columns"] = ", ".join(result.ignored_columns)
    return row


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main CLI."""
    app.command()(ingest)
