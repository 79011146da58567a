"""``retain ingest`` and ``retain demo``: thin commands over the ingest service."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from retain.auth.service import first_admin
from retain.currency.service import set_rate
from retain.ingest.demo import DEMO_KINDS, generate_demo
from retain.ingest.kinds import KINDS
from retain.ingest.problems import IngestError
from retain.ingest.progress import Progress as ProgressCallback
from retain.ingest.service import ImportResult, ingest_file
from retain.metrics.service import MetricsQuery, compute_metrics, on_warehouse
from retain.output import OutputFormat, render
from retain.settings import get_settings
from retain.store import session_scope

err = Console(stderr=True)
KindArgument = Annotated[
    str, typer.Argument(help=f"One of: {', '.join(KINDS)}.", show_default=False)
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="How to print the result.")]


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
    with _import_progress() as on_progress:
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


def demo(
    customers: Annotated[int, typer.Option(help="How many customers to generate.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    serve: Annotated[bool, typer.Option(help="Serve the dashboard and API afterwards.")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Generate a demo business, import it and serve the dashboard."""
    settings = get_settings()
    out_dir = settings.data_dir / "demo"
    with _progress_bar() as progress:
        task = progress.add_task("generating", total=customers)
        business = generate_demo(
            out_dir=out_dir,
            customers=customers,
            seed=seed,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    results = [_import_demo_file(kind, business.files[kind]) for kind in DEMO_KINDS]
    _record_demo_exchange_rate(business.params_path)
    render(
        [_result_row(result) for result in results],
        output_format=output_format,
        title=f"Demo business in {out_dir} (ground truth: {business.truth_path.name})",
    )
    if output_format is OutputFormat.table:
        render(
            _headline_metrics(),
            output_format=output_format,
            title="The last six months (retain metrics for more)",
        )
    _print_first_admin()
    if serve:
        from retain.api import serve as serve_api

        serve_api(host=host, port=port)


def _print_first_admin() -> None:
    """A fresh demo has no users: make an admin and show the password once."""
    settings = get_settings()
    with session_scope(settings.store_url) as session:
        created = first_admin(session=session, actor="cli:demo")
    if created is not None:
        name, password = created
        Console(stderr=True).print(
            f"Sign in as [bold]{name}[/] with password [bold]{password}[/] (shown only now; "
            f"change it with 'retain users password {name}')."
        )


def _headline_metrics() -> list[dict[str, object]]:
    rows = on_warehouse(
        get_settings(),
        lambda backend, money: compute_metrics(backend=backend, query=MetricsQuery(), money=money),
    )
    keys = ("period_start", "customers_end", "crr", "churn_rate", "ndr", "revenue", "nps")
    return [{key: row.get(key) for key in keys} for row in rows[-6:]]


def _record_demo_exchange_rate(params_path: Path) -> None:
    """The demo prices Chinese customers in CNY: record the rate it used, so money adds up."""
    settings = get_settings()
    cny_per_usd = Decimal(str(json.loads(params_path.read_text())["model"]["cny_per_usd"]))
    if settings.reporting_currency == "USD":
        with session_scope(settings.store_url) as session:
            set_rate(session=session, currency="CNY", rate=1 / cny_per_usd)


def _import_demo_file(kind: str, path: Path) -> ImportResult:
    with _import_progress(label=kind) as on_progress:
        return _run_import(lambda: ingest_file(kind=kind, path=path, on_progress=on_progress))


def _run_import(work: Callable[[], ImportResult]) -> ImportResult:
    try:
        return work()
    except (IngestError, ValueError) as error:
        err.print(f"[red]{error}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def _result_row(result: ImportResult) -> dict[str, object]:
    row = asdict(result)
    row["ignored_columns"] = ", ".join(result.ignored_columns)
    return row


def _progress_bar() -> Progress:
    """A transient progress bar on standard error, shown only on a terminal."""
    columns: tuple[ProgressColumn, ...] = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


@contextmanager
def _import_progress(label: str = "import") -> Iterator[ProgressCallback]:
    """A Rich progress bar fed by the import's (stage, fraction) reports."""
    with _progress_bar() as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(stage: str, fraction: float | None) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(f"{label}: {stage}", total=1.0)
            progress.update(tasks[stage], completed=fraction or 0.0)

        yield on_progress


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main CLI."""
    app.command()(ingest)
    app.command()(demo)
