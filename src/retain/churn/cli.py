"""``retain churn train|score|report|alerts``, ``retain health|renewals|tasks``: thin commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from retain.churn.defaults import DEFAULT_HORIZON_DAYS
from retain.output import FormatOption, OutputFormat, command_session, refuse, render
from retain.spreadsheets import safe_frame

if TYPE_CHECKING:
    import pandas as pd

    from retain.churn.usage import AlertThresholds

T = TypeVar("T")
churn_app = typer.Typer(
    help="Churn risk: train, score, report, usage alerts.", no_args_is_help=True
)
tasks_app = typer.Typer(help="Tasks for customer owners.", invoke_without_command=True)
TOP_ROWS = 20

AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="Date to measure at (default: latest data)."
    ),
]
TableOption = Annotated[
    Path | None,
    typer.Option("--table", help="A labelled CSV or Parquet file instead of the warehouse."),
]
ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Model file (default: data dir).")
]
HorizonOption = Annotated[
    int, typer.Option("--horizon", min=1, help="Churned within this many days.")
]


@churn_app.command()
def train(
    table: TableOption = None,
    label: Annotated[str | None, typer.Option("--label", help="Label column of --table.")] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Id column of --table.")] = None,
    model: ModelOption = None,
    horizon: HorizonOption = DEFAULT_HORIZON_DAYS,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Train on the warehouse (rolling time backtest) or on --table (cross-validated)."""
    from retain.churn.jobs import default_model_path, train_on_warehouse
    from retain.churn.service import ChurnQuery, save_model, train_table
    from retain.settings import get_settings

    settings = get_settings()
    if table is None:
        path = model or default_model_path(settings)
        query = ChurnQuery(as_of=as_of, horizon_days=horizon)
        _, report = _guard(
            lambda: train_on_warehouse(settings=settings, query=query, model_path=path)
        )
    else:
        if label is None:
            refuse("--table needs --label: the column that says who churned")
        path = model or table.with_suffix(".churn.joblib")
        fitted, report = _guard(
            lambda: train_table(path=table, label_column=label, id_column=id_column)
        )
        save_model(model=fitted, path=path, report=report)
    _print_report(report, output_format=output_format, model_path=path)


@churn_app.command()
def score(
    table: TableOption = None,
    model: ModelOption = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Id column of --table.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write all scores to this CSV.")] = None,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Score --table with --model, or every active subscriber (stored with reasons)."""
    from retain.churn.jobs import default_model_path, score_on_warehouse
    from retain.churn.service import ChurnQuery, load_model, score_table
    from retain.settings import get_settings

    settings = get_settings()
    if table is None:
        path = model or default_model_path(settings)
        scores = _guard(
            lambda: score_on_warehouse(
                settings=settings, query=ChurnQuery(as_of=as_of), model_path=path
            )
        )
    else:
        if model is None:
            refuse("--table needs --model: a file written by 'retain churn train --table'")
        fitted = _guard(lambda: load_model(path=model))
        scores = _guard(lambda: score_table(path=table, model=fitted, id_column=id_column))
        scores = scores.sort_values("probability", ascending=False, ignore_index=True)
    if out is not None:
        written = scores.assign(
            reasons=scores.reasons.map(_english), reasons_json=scores.reasons.map(json.dumps)
        )
        safe_frame(written).to_csv(out, index=False)
    rows = [
        {
            "customer_id": row["customer_id"],
            "probability": round(float(row["probability"]), 4),
            "reasons": _english(row["reasons"]),
        }
        for row in scores.head(
            TOP_ROWS if output_format is OutputFormat.table else len(scores)
        ).to_dict("records")
    ]
    render(rows, output_format=output_format, title=f"Churn risk, {len(scores)} customers")


@churn_app.command()
def report(model: ModelOption = None, output_format: FormatOption = OutputFormat.table) -> None:
    """Print the saved report of a model: AUCs with intervals, lift, calibration, baseline."""
    from retain.churn.jobs import default_model_path
    from retain.churn.service import report_path
    from retain.settings import get_settings

    path = model or default_model_path(get_settings())
    saved = report_path(model_path=path)
    if not saved.is_file():
        refuse(f"{saved}: no report; run 'retain churn train' first")
    _print_report(json.loads(saved.read_text()), output_format=output_format, model_path=path)


@churn_app.command()
def alerts(
    as_of: AsOfOption = None,
    min_drop: Annotated[float, typer.Option(help="Smallest drop that alerts (0-1).")] = 0.6,
    max_p_value: Annotated[float, typer.Option(help="Largest chance probability.")] = 0.01,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Detect usage declines against each customer's own history; store them."""
    from retain.churn.jobs import detect_usage_alerts
    from retain.settings import get_settings

    thresholds = _thresholds(min_drop, max_p_value)
    found = _guard(
        lambda: detect_usage_alerts(settings=get_settings(), as_of=as_of, thresholds=thresholds)
    )
    columns = ["customer_id", "severity", "drop", "evidence"]
    rows = _records(found[columns].assign(drop=found["drop"].round(3)))
    render(rows, output_format=output_format, title=f"Usage-decline alerts: {len(rows)}")


def health(
    as_of: AsOfOption = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="YAML/JSON weights: default and per plan.")
    ] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Score every active subscriber's health 0-100 with its components; keep the history."""
    from retain.churn.health import COMPONENTS, HealthConfig, load_health_config
    from retain.churn.jobs import score_health
    from retain.settings import get_settings

    config = _guard(lambda: load_health_config(weights)) if weights else HealthConfig()
    scores = _guard(lambda: score_health(settings=get_settings(), as_of=as_of, config=config))
    shown = scores if output_format is not OutputFormat.table else scores.head(TOP_ROWS)
    rows = _records(shown[["customer_id", "segment", "score", *COMPONENTS]])
    render(
        rows,
        output_format=output_format,
        title=f"Health, {len(scores)} customers (least healthy first)",
    )


def renewals(
    within: Annotated[int, typer.Option("--within", min=1, help="Days ahead to look.")] = 90,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Subscriptions renewing soon with risk, health, owner, MRR at stake, and the forecast."""
    from retain.churn.jobs import renewal_report
    from retain.settings import get_settings

    found = _guard(lambda: renewal_report(settings=get_settings(), as_of=as_of, within_days=within))
    if output_format is OutputFormat.json:
        rows = _records(found.pipeline)
        render([{"forecast": found.forecast, "renewals": rows}], output_format=output_format)
        return
    render(
        _records(found.pipeline),
        output_format=output_format,
        title=f"Renewals within {within} days",
    )
    if output_format is OutputFormat.table:
        render(
            [found.forecast],
            output_format=output_format,
            title="Renewed MRR forecast (95% interval)",
        )


@tasks_app.callback()
def tasks(
    context: typer.Context,
    owner: Annotated[str | None, typer.Option(help="Only this owner's tasks.")] = None,
    closed: Annotated[bool, typer.Option("--closed", help="Include closed tasks.")] = False,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """List open tasks by owner and due date (subcommands: generate, close)."""
    from retain.churn.tasks import list_tasks

    if context.invoked_subcommand is not None:
        return
    with command_session() as session:
        found = list_tasks(session=session, owner=owner, include_closed=closed, limit=10_000)
        rows = [_task_row(task) for task in found]
    render(rows, output_format=output_format, title=f"Tasks: {len(rows)}")


@tasks_app.command("generate")
def generate(
    as_of: AsOfOption = None,
    within: Annotated[int, typer.Option("--within", min=1, help="Renewals within days.")] = 30,
    min_risk: Annotated[float, typer.Option(help="Renewal churn risk that needs a call.")] = 0.3,
    max_health: Annotated[
        float, typer.Option(help="Health below which a renewal needs a call.")
    ] = 50.0,
) -> None:
    """Open tasks from today's usage alerts and at-risk renewals (never twice for one customer)."""
    from retain.churn.jobs import generate_tasks
    from retain.churn.usage import AlertThresholds
    from retain.settings import get_settings

    opened = _guard(
        lambda: generate_tasks(
            settings=get_settings(),
            as_of=as_of,
            thresholds=AlertThresholds(),
            within_days=within,
            min_risk=min_risk,
            max_health=max_health,
        )
    )
    typer.echo(f"{opened} new tasks")


@tasks_app.command("close")
def close(
    task_id: Annotated[int, typer.Argument(help="The task's number.")],
    outcome: Annotated[str, typer.Option(help="retained, churned, not_needed or unreachable.")],
    note: Annotated[str | None, typer.Option(help="What happened.")] = None,
) -> None:
    """Close a task with its outcome."""
    from retain.churn.tasks import close_task

    with command_session() as session:
        task = _guard(
            lambda: close_task(session=session, task_id=task_id, outcome=outcome, note=note)
        )
        typer.echo(f"task {task.task_id} closed: {task.outcome}")


def _thresholds(min_drop: float, max_p_value: float) -> AlertThresholds:
    from retain.churn.usage import AlertThresholds

    defaults = AlertThresholds()
    return _guard(
        lambda: AlertThresholds(
            min_drop=min_drop,
            max_p_value=max_p_value,
            medium_drop=max(min_drop, defaults.medium_drop),
            high_drop=max(min_drop, defaults.high_drop),
        )
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def _task_row(task: Any) -> dict[str, Any]:
    return {
        "task": task.task_id,
        "owner": task.owner,
        "due_on": task.due_on,
        "customer_id": task.customer_id,
        "kind": task.kind,
        "title": task.title,
        "outcome": task.outcome,
    }


def _english(reasons: list[dict[str, Any]]) -> str:
    return "; ".join(reason["en"] for reason in reasons)


def _print_report(report: dict[str, Any], *, output_format: OutputFormat, model_path: Path) -> None:
    if output_format is OutputFormat.json:
        render([report], output_format=output_format)
        return
    roc, baseline = report["roc_auc"], report["baseline_roc_auc"]
    kept = report.get("kept", "gradient_boosted_trees")
    rows = [
        {
            "model": "gradient-boosted trees",
            "kept": "yes" if kept == "gradient_boosted_trees" else "",
            "roc_auc": round(roc["value"], 3),
            "interval": f"{roc['low']:.3f}-{roc['high']:.3f}",
            "pr_auc": round(report["pr_auc"]["value"], 3),
            "lift_top_10": round(report["lift_top_10"], 2),
        },
        {
            "model": "logistic regression",
            "kept": "yes" if kept == "logistic_regression" else "",
            "roc_auc": round(baseline["value"], 3),
            "interval": f"{baseline['low']:.3f}-{baseline['high']:.3f}",
            "pr_auc": round(report["baseline_pr_auc"], 3),
            "lift_top_10": round(report["baseline_lift_top_10"], 2),
        },
    ]
    title = (
        f"{report['customers']} customers, {report['churners']} churners; kept the "
        f"{kept.replace('_', ' ')} (higher backtest ROC AUC) in {model_path}"
    )
    render(rows, output_format=output_format, title=title)
    if output_format is OutputFormat.table:
        render(report["calibration"], output_format=output_format, title="Calibration by decile")


def _guard(work: Callable[[], T]) -> T:
    from retain.churn.model import ChurnInputError
    from retain.churn.tasks import TaskError
    from retain.currency.service import MissingRateError

    try:
        return work()
    except (ChurnInputError, TaskError, MissingRateError, ValueError, OSError) as error:
        refuse(str(error))


def register(main: typer.Typer) -> None:
    """Add ``retain churn``, ``retain health``, ``retain renewals`` and ``retain tasks``."""
    main.add_typer(churn_app, name="churn")
    main.command("health")(health)
    main.command("renewals")(renewals)
    main.add_typer(tasks_app, name="tasks")
