"""``retain clv fit|predict|validate``: thin commands over the lifetime service."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from retain.clock import utcnow
from retain.output import FormatOption, OutputFormat, command_session, refuse, render
from retain.spreadsheets import safe_frame

if TYPE_CHECKING:
    from retain.lifetime.fitting import FitResult
    from retain.lifetime.service import ClvQuery, FittedModels, ValidationReport

T = TypeVar("T")
app = typer.Typer(help="Customer lifetime value: fit, predict, validate.", no_args_is_help=True)
TOP_CUSTOMERS = 20

ModelOption = Annotated[
    str, typer.Option("--model", help="Transaction model: bgnbd, pareto or mbgnbd.")
]
CalibrationOption = Annotated[
    datetime | None,
    typer.Option(
        "--calibration-end",
        formats=["%Y-%m-%d"],
        help="Last day of orders to fit on (default: the latest order).",
    ),
]
UnitOption = Annotated[str, typer.Option("--unit", help="Time unit: days, weeks or months.")]


@app.command()
def fit(
    model: ModelOption = "bgnbd",
    calibration_end: CalibrationOption = None,
    unit: UnitOption = "weeks",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Fit a transaction model and Gamma-Gamma spend; print estimates with 95% intervals."""
    from retain.lifetime.service import fit_models

    query = _query(model, calibration_end, unit)
    fitted = _run(lambda backend, money: fit_models(backend=backend, query=query, money=money))
    if output_format is OutputFormat.json:
        render([fitted.as_dict()], output_format=output_format)
        return
    rows = [row for result in _results(fitted) for row in _parameter_rows(result)]
    render(rows, output_format=output_format, title=_title(fitted))
    if output_format is OutputFormat.table:
        render([_fit_row(result) for result in _results(fitted)], output_format=output_format)


@app.command()
def predict(
    model: ModelOption = "bgnbd",
    calibration_end: CalibrationOption = None,
    horizon: Annotated[
        int | None,
        typer.Option(
            help="Units ahead to predict (default: a year: 365 days, 52 weeks, 12 months)."
        ),
    ] = None,
    unit: UnitOption = "weeks",
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", help="Annual discount rate, e.g. 0.1 for 10%.")
    ] = 0.1,
    margin: Annotated[
        float, typer.Option(help="Profit margin on spend, a fraction between 0 and 1.")
    ] = 1.0,
    export: Annotated[
        Path | None, typer.Option(help="Also write every customer to this .csv or .parquet file.")
    ] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Predict each customer's value and store it; print the top customers by CLV."""
    from retain.lifetime.service import (
        DEFAULT_HORIZON,
        fit_models,
        predict_customers,
        save_predictions,
    )

    query = _query(model, calibration_end, unit)
    if export is not None and export.suffix not in (".csv", ".parquet"):
        refuse(f"{export}: export to .csv or .parquet")
    steps = horizon if horizon is not None else DEFAULT_HORIZON[query.unit]

    def work(backend: Any, money: Any) -> Any:
        fitted = fit_models(backend=backend, query=query, money=money)
        return predict_customers(
            fitted=fitted,
            horizon=steps,
            annual_discount_rate=discount_rate,
            margin=margin,
            predicted_at=utcnow(),
        )

    predictions = _run(work)
    with command_session() as session:
        stored = save_predictions(session=session, predictions=predictions)
    if export is not None:
        if export.suffix == ".parquet":
            predictions.to_parquet(export, index=False)
        else:
            safe_frame(predictions).to_csv(export, index=False)
    rows = predictions.to_dict("records")
    if output_format is OutputFormat.table:
        rows = [_top_row(row) for row in rows[:TOP_CUSTOMERS]]
    render(
        rows,
        output_format=output_format,
        title=f"Top {len(rows)} of {stored} customers by {model} CLV over {steps} {query.unit}",
    )


@app.command()
def validate(
    calibration_end: Annotated[
        datetime,
        typer.Option(
            "--calibration-end", formats=["%Y-%m-%d"], help="Last day of the calibration period."
        ),
    ],
    holdout_end: Annotated[
        datetime,
        typer.Option("--holdout-end", formats=["%Y-%m-%d"], help="Last day of the holdout period."),
    ],
    model: ModelOption = "bgnbd",
    unit: UnitOption = "weeks",
    chart: Annotated[
        Path | None, typer.Option(help="Write the tracking chart to this .png file.")
    ] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Fit on the calibration period and compare with what customers did in the holdout."""
    from retain.lifetime.service import draw_validation_chart, validate_model

    query = _query(model, calibration_end, unit)
    if chart is not None and chart.suffix.lower() != ".png":
        refuse(f"{chart}: the chart is written as .png")
    report = _run(
        lambda backend, money: validate_model(
            backend=backend, query=query, holdout_end=holdout_end.date(), money=money
        )
    )
    if chart is not None:
        draw_validation_chart(report=report, path=chart)
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(report.as_dict(), default=str, indent=2) + "\n")
    elif output_format is OutputFormat.csv:
        render(report.tracking, output_format=output_format)
    else:
        _print_validation(report)


def _top_row(row: dict[str, Any]) -> dict[str, Any]:
    """The columns that tell customers apart; model, unit and horizon are in the title."""
    next_order = row["next_order_at"]
    return {
        "customer_id": row["customer_id"],
        "probability_alive": row["probability_alive"],
        "expected_purchases": row["expected_purchases"],
        "expected_spend": row["expected_spend"],
        "clv": row["clv"],
        "next_order": ""
        if next_order is None or next_order != next_order
        else f"{next_order:%Y-%m-%d}",
    }


def _print_validation(report: ValidationReport) -> None:
    render(
        _parameter_rows(report.fit),
        output_format=OutputFormat.table,
        title=f"{report.fit.model} fitted to {report.calibration_end}",
    )
    render(
        report.conditional,
        output_format=OutputFormat.table,
        title="Mean holdout purchases by calibration frequency",
    )
    render(
        [{"figure": name, "value": value} for name, value in report.errors.items()],
        output_format=OutputFormat.table,
        title=f"Holdout to {report.holdout_end}",
    )


def _results(fitted: FittedModels) -> list[FitResult]:
    results = [fitted.transactions.result, fitted.spend.result if fitted.spend else None]
    return [result for result in results if result is not None]


def _parameter_rows(result: FitResult) -> list[dict[str, Any]]:
    return [
        {
            "model": result.model,
            "parameter": name,
            "estimate": value,
            "standard_error": result.standard_errors[name],
            "lower_95": result.intervals[name][0],
            "upper_95": result.intervals[name][1],
        }
        for name, value in result.params.items()
    ]


def _fit_row(result: FitResult) -> dict[str, Any]:
    correlation = result.diagnostics.get("frequency_monetary_correlation")
    return {
        "model": result.model,
        "log_likelihood": result.log_likelihood,
        "customers": result.customers,
        "unique_rows": result.unique_rows,
        "seconds": result.seconds,
        "frequency_monetary_correlation": correlation,
    }


def _title(fitted: FittedModels) -> str:
    return f"Fitted on orders to {fitted.calibration_end} in {fitted.transactions.unit}"


def _query(model: str, calibration_end: datetime | None, unit: str) -> ClvQuery:
    from retain.lifetime.service import DEFAULT_HORIZON, MODELS, ClvQuery

    if model not in MODELS:
        refuse(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")
    if unit not in DEFAULT_HORIZON:
        refuse(f"unit must be one of {', '.join(DEFAULT_HORIZON)}, not {unit!r}")
    day: date | None = calibration_end.date() if calibration_end is not None else None
    return ClvQuery(model=model, calibration_end=day, unit=unit)  # type: ignore[arg-type]


def _run(work: Callable[[Any, Any], T]) -> T:
    from retain.currency.service import MissingRateError, stored_money
    from retain.lifetime.fitting import FitNotConverged, LifetimeInputError
    from retain.lifetime.service import ClvInputError
    from retain.settings import get_settings
    from retain.warehouse import on_warehouse

    settings = get_settings()
    try:
        return on_warehouse(
            settings.storage.resolved_warehouse_url, work, stored_money(settings=settings)
        )
    except FitNotConverged as error:
        refuse(str(error))
    except (ClvInputError, LifetimeInputError, MissingRateError) as error:
        refuse(str(error))


def register(main: typer.Typer) -> None:
    """Add ``retain clv`` to the main CLI."""
    main.add_typer(app, name="clv")
