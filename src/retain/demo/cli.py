"""``retain demo``: a demo business imported and, unless minimal, every page's data computed."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from retain.output import (
    FormatOption,
    OutputFormat,
    command_session,
    progress_bar,
    render,
    stage_progress,
)

if TYPE_CHECKING:
    from retain.demo.steps import DemoContext, DemoStep
    from retain.ingest.service import ImportResult


def demo(
    customers: Annotated[int, typer.Option(help="How many customers to generate.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    serve: Annotated[bool, typer.Option(help="Serve the dashboard and API afterwards.")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    minimal: Annotated[
        bool,
        typer.Option(
            "--minimal",
            help="Only generate and import the data; compute no predictions, scores or runs.",
        ),
    ] = False,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Generate a demo business, import it, fill every page's data and serve the dashboard."""
    from retain.demo.steps import DemoContext
    from retain.ingest.demo import DEMO_KINDS, generate_demo
    from retain.settings import get_settings

    settings = get_settings()
    out_dir = settings.storage.data_dir / "demo"
    started = _Stopwatch()
    with progress_bar() as progress:
        task = progress.add_task("generating", total=customers)
        business = generate_demo(
            out_dir=out_dir,
            customers=customers,
            seed=seed,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    generation = started.row("generate", f"{customers:,} customers")
    importing = _Stopwatch()
    results = [_import_demo_file(kind, business.files[kind]) for kind in DEMO_KINDS]
    _record_demo_exchange_rate(business.params_path)
    summary = [
        generation,
        importing.row("import", f"{sum(result.rows_inserted for result in results):,} rows"),
    ]
    render(
        [_result_row(result) for result in results],
        output_format=output_format,
        title=f"Demo business in {out_dir} (ground truth: {business.truth_path.name})",
    )
    if not minimal:
        context = DemoContext(settings=settings, demo_dir=out_dir, seed=seed)
        summary += [_run_step(step, context) for step in _full_demo_steps()]
        summary.append(started.row("total", ""))
        _print_summary(summary, output_format=output_format)
        if any(str(row["made"]).startswith(FAILED) for row in summary):
            typer.echo("some demo steps failed; see the summary above", err=True)
            raise typer.Exit(code=1)
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


FAILED = "failed: "


def _full_demo_steps() -> list[DemoStep]:
    """The analytic steps, then the workflow steps."""
    from retain.demo.analytics import ANALYTIC_STEPS, RECORD_QUEUED
    from retain.demo.workflows import WORKFLOW_STEPS

    return [*ANALYTIC_STEPS, *WORKFLOW_STEPS, RECORD_QUEUED]


def _run_step(step: DemoStep, context: DemoContext) -> dict[str, object]:
    """Run one step under its progress bar; a failure is reported and the demo goes on."""
    import logging

    started = _Stopwatch()
    with progress_bar() as progress:
        progress.add_task(step.label, total=None)
        try:
            made = step.run(context)
        # One broken step must not leave the other pages empty: report it and go on.
        except Exception as error:
            logging.getLogger(__name__).exception("demo step %s failed", step.label)
            made = f"{FAILED}{error}"
    return started.row(step.label, made)


def _print_summary(rows: list[dict[str, object]], *, output_format: OutputFormat) -> None:
    """The summary as a table: on standard output, or standard error when that carries data."""
    from rich.console import Console

    console = None if output_format is OutputFormat.table else Console(stderr=True)
    render(rows, output_format=OutputFormat.table, title="What the demo made", console=console)


class _Stopwatch:
    """Wall and processor time since it was made: on a shared machine the two differ."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def row(self, step: str, made: str) -> dict[str, object]:
        """A summary row: the step, what it made and the times it took."""
        return {
            "step": step,
            "made": made,
            "seconds": round(time.perf_counter() - self.wall, 1),
            "cpu_seconds": round(time.process_time() - self.cpu, 1),
        }


def _import_demo_file(kind: str, path: Path) -> ImportResult:
    from retain.ingest.problems import IngestError
    from retain.ingest.service import ingest_file

    with stage_progress(kind) as on_progress:
        try:
            return ingest_file(kind=kind, path=path, on_progress=on_progress)
        except (IngestError, ValueError) as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(code=2) from None


def _result_row(result: ImportResult) -> dict[str, object]:
    from dataclasses import asdict

    row = asdict(result)
    row["ignored_columns"] = ", ".join(result.ignored_columns)
    return row


def _print_first_admin() -> None:
    """A fresh demo has no users: make an admin and show the password once."""
    from rich.console import Console

    from retain.auth.service import first_admin

    with command_session() as session:
        created = first_admin(session=session, actor="cli:demo")
    if created is not None:
        name, password = created
        Console(stderr=True).print(
            f"Sign in as [bold]{name}[/] with password [bold]{password}[/] (shown only now; "
            f"change it with 'retain users password {name}')."
        )


def _headline_metrics() -> list[dict[str, object]]:
    from retain.currency.service import stored_money
    from retain.metrics.service import MetricsQuery, compute_metrics
    from retain.settings import get_settings
    from retain.warehouse import on_warehouse

    settings = get_settings()
    rows = on_warehouse(
        settings.storage.resolved_warehouse_url,
        lambda backend, money: compute_metrics(backend=backend, query=MetricsQuery(), money=money),
        stored_money(settings=settings),
    )
    keys = ("period_start", "customers_end", "crr", "churn_rate", "ndr", "revenue", "nps")
    return [{key: row.get(key) for key in keys} for row in rows[-6:]]


def _record_demo_exchange_rate(params_path: Path) -> None:
    """The demo prices Chinese customers in CNY: record the rate it used, so money adds up."""
    from retain.currency.service import set_rate
    from retain.settings import get_settings

    settings = get_settings()
    cny_per_usd = Decimal(str(json.loads(params_path.read_text())["model"]["cny_per_usd"]))
    if settings.region.reporting_currency == "USD":
        with command_session() as session:
            set_rate(session=session, currency="CNY", rate=1 / cny_per_usd)


def register(app: typer.Typer) -> None:
    """Add the demo command to the main CLI."""
    app.command()(demo)
