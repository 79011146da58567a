"""``retain metrics`` and ``retain cohorts``: thin commands over the metrics service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from retain.output import FormatOption, OutputFormat, render
from retain.spreadsheets import safe_frame

if TYPE_CHECKING:
    from retain.currency.money import Money
FromOption = Annotated[
    datetime | None,
    typer.Option(
        "--from", formats=["%Y-%m-%d"], help="First day to measure (default: a year before --to)."
    ),
]
ToOption = Annotated[
    datetime | None,
    typer.Option(
        "--to", formats=["%Y-%m-%d"], help="Last day to measure (default: the latest data)."
    ),
]
BasisOption = Annotated[
    str, typer.Option(help="What makes a customer active: orders, subscriptions or any.")
]
ExportOption = Annotated[
    Path | None, typer.Option(help="Also write the rows to this .csv or .parquet file.")
]


def metrics(
    start: FromOption = None,
    end: ToOption = None,
    period: Annotated[str, typer.Option(help="month, quarter or year.")] = "month",
    by: Annotated[
        str | None, typer.Option(help="Cut by country, channel, language or plan.")
    ] = None,
    basis: BasisOption = "any",
    active_window: Annotated[
        int | None,
        typer.Option(
            help="Days an order keeps its customer active (default RETAIN_ACTIVE_WINDOW_DAYS)."
        ),
    ] = None,
    target: Annotated[
        float | None, typer.Option(help="CRR target (default RETAIN_CRR_TARGET, 0.85).")
    ] = None,
    export: ExportOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Retention, churn, revenue, order and NPS metrics for each period."""
    from retain.metrics.service import MetricsQuery, compute_metrics
    from retain.settings import get_settings

    settings = get_settings()
    query = MetricsQuery(
        start=_day(start),
        end=_day(end),
        period=_choice(period, ("month", "quarter", "year")),
        by=by,
        basis=_choice(basis, ("orders", "subscriptions", "any")),
        active_window_days=active_window or settings.metrics.active_window_days,
        crr_target=target if target is not None else settings.metrics.crr_target,
    )
    rows = _run(lambda backend, money: compute_metrics(backend=backend, query=query, money=money))
    _show(
        rows,
        export=export,
        output_format=output_format,
        title=f"Retention by {period}",
        as_table=lambda: _metrics_by_period(rows, by),
    )


def cohorts(
    start: FromOption = None,
    end: ToOption = None,
    by: Annotated[str, typer.Option(help="Cohort period: week, month or quarter.")] = "month",
    value: Annotated[str, typer.Option(help="customers or revenue.")] = "customers",
    mode: Annotated[
        str, typer.Option(help="classic (active in exactly period k) or unbounded (in k or later).")
    ] = "classic",
    basis: BasisOption = "any",
    export: ExportOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """The acquisition-cohort retention table."""
    from retain.metrics.service import CohortQuery, compute_cohorts

    query = CohortQuery(
        start=_day(start),
        end=_day(end),
        period=_choice(by, ("week", "month", "quarter")),
        value=_choice(value, ("customers", "revenue")),
        mode=_choice(mode, ("classic", "unbounded")),
        basis=_choice(basis, ("orders", "subscriptions", "any")),
    )
    rows = _run(lambda backend, money: compute_cohorts(backend=backend, query=query, money=money))
    _show(
        rows,
        export=export,
        output_format=output_format,
        title=f"Cohorts by {by} ({value}, {mode})",
        as_table=lambda: _cohort_grid(rows),
    )


def _show(
    rows: list[dict[str, Any]],
    *,
    export: Path | None,
    output_format: OutputFormat,
    title: str,
    as_table: Callable[[], list[dict[str, Any]]],
) -> None:
    """Export the rows if asked, then print them; a table gets its own, readable shape."""
    if export is not None:
        _export(rows, export)
    shown = as_table() if output_format is OutputFormat.table else rows
    render(shown, output_format=output_format, title=title)


def _metrics_by_period(rows: list[dict[str, Any]], by: str | None) -> list[dict[str, Any]]:
    """One row per metric, one column per period (and cut): how a wide result reads best."""
    hidden = {"period_start", "period_end", "crr_target", by}
    columns = {_period_label(row, by): row for row in rows}
    names = [name for name in rows[0] if name not in hidden] if rows else []
    return [
        {"metric": name, **{label: row[name] for label, row in columns.items()}} for name in names
    ]


def _period_label(row: dict[str, Any], by: str | None) -> str:
    label = f"{row['period_start']:%Y-%m}"
    return f"{label} {row[by]}" if by else label


def _cohort_grid(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The long cohort rows as a grid: one row per cohort, one column per period since."""
    grid: dict[Any, dict[str, Any]] = {}
    for row in rows:
        line = grid.setdefault(
            row["cohort"], {"cohort": f"{row['cohort']:%Y-%m-%d}", "size": row["cohort_size"]}
        )
        share = row["share"]
        line[str(row["period"])] = "" if share is None else f"{share:.0%}"
    width = max((len(line) for line in grid.values()), default=0)
    return [
        {**line, **{str(k): line.get(str(k), "") for k in range(width - 2)}}
        for line in grid.values()
    ]


def _run(work: Callable[[Any, Money], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    from retain.currency.service import MissingRateError, stored_money
    from retain.metrics.service import MetricsInputError
    from retain.settings import get_settings
    from retain.warehouse import on_warehouse

    settings = get_settings()
    try:
        return on_warehouse(
            settings.storage.resolved_warehouse_url, work, stored_money(settings=settings)
        )
    except (MetricsInputError, MissingRateError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=2) from None


def _export(rows: list[dict[str, Any]], path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".csv":
        safe_frame(frame).to_csv(path, index=False)
    else:
        typer.echo(f"{path}: export to .csv or .parquet", err=True)
        raise typer.Exit(code=2)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _choice(value: str, allowed: tuple[str, ...]) -> Any:
    if value not in allowed:
        typer.echo(f"{value!r} is not one of: {', '.join(allowed)}", err=True)
        raise typer.Exit(code=2)
    return value


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main CLI."""
    app.command()(metrics)
    app.command()(cohorts)
