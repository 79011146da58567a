"""``retain feedback``, ``retain surveys`` and ``retain products``: thin commands."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from retain.clock import utcnow
from retain.output import (
    FormatOption,
    OutputFormat,
    command_on_warehouse,
    command_session,
    refuse,
    render,
)

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from retain.settings import Settings

app = typer.Typer(help="Reviews, mentions and their analysis.", no_args_is_help=True)
surveys_app = typer.Typer(help="NPS, CSAT, CES and custom surveys.", no_args_is_help=True)
products_app = typer.Typer(help="Products customers regret buying.", no_args_is_help=True)

AtOption = Annotated[
    datetime | None, typer.Option("--at", help="Act as of this UTC time (default: now).")
]
AspectsOption = Annotated[
    Path | None, typer.Option("--aspects", help="YAML of aspects and keywords (en, zh).")
]
T = TypeVar("T")


def _refused() -> tuple[type[Exception], ...]:
    """The errors that end a command with exit code 2: bad input, not a crash."""
    from retain.feedback import reviews, surveys
    from retain.feedback.aspects import AspectError
    from retain.feedback.sentiment import SentimentError

    return (reviews.ImportProblem, SentimentError, AspectError, surveys.SurveyError, ValueError)


def register(root: typer.Typer) -> None:
    """Mount ``retain feedback``, ``retain surveys`` and ``retain products``."""
    root.add_typer(app, name="feedback")
    root.add_typer(surveys_app, name="surveys")
    root.add_typer(products_app, name="products")


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help="review or mention.")],
    file: Annotated[Path, typer.Argument(help="CSV or JSON Lines (.jsonl).")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Import reviews or mentions; all rows or none, duplicates skipped."""
    from retain.feedback import reviews
    from retain.settings import get_settings

    with command_session(*_refused()) as session:
        summary = reviews.import_file(
            session=session, kind=kind, path=file, limit=get_settings().ingest.max_import_problems
        )
    render([summary.__dict__], output_format=output_format, title=f"Imported {kind}s")


@app.command("train")
def train_command(
    table: Annotated[Path | None, typer.Option(help="Labelled CSV, TSV or JSON Lines.")] = None,
    text: Annotated[str, typer.Option(help="Column of the text.")] = "text",
    label: Annotated[str, typer.Option(help="Column of positive/negative or 1/0.")] = "label",
    ratings: Annotated[
        bool, typer.Option(help="Also learn from imported reviews with 1-2 or 4-5 stars.")
    ] = True,
) -> None:
    """Train the sentiment model from a labelled table and the business's rated reviews."""
    from retain.feedback import service
    from retain.settings import get_settings

    settings = get_settings()
    with command_session(*_refused()) as session:
        texts, labels = (
            service.read_labelled_table(path=table, text=text, label=label) if table else ([], [])
        )
        model = service.train(
            session=session,
            data_dir=settings.storage.data_dir,
            texts=texts,
            labels=labels,
            use_ratings=ratings,
        )
    typer.echo(f"sentiment model trained on {model.trained_on:,} texts")


@app.command("evaluate")
def evaluate_command(
    table: Annotated[Path, typer.Option(help="Labelled CSV, TSV or JSON Lines.")],
    text: Annotated[str, typer.Option(help="Column of the text.")],
    label: Annotated[str, typer.Option(help="Column of positive/negative or 1/0.")],
    language: Annotated[
        str, typer.Option(help="zh or en: only rows in that language; auto: all rows.")
    ] = "auto",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Accuracy and macro F1 of the trained sentiment model on a labelled table."""
    from retain.feedback import service
    from retain.feedback.language import detect_language
    from retain.feedback.sentiment import SentimentError, evaluate, load_trained
    from retain.settings import get_settings

    if language not in ("zh", "en", "auto"):
        refuse("error: --language is zh, en or auto")
    settings = get_settings()
    try:
        model = load_trained(settings.storage.data_dir)
        if model is None:
            refuse("error: no sentiment model yet: run `retain feedback train` first")
        texts, labels = service.read_labelled_table(path=table, text=text, label=label)
        kept = [
            (t, y)
            for t, y in zip(texts, labels, strict=True)
            if language == "auto" or detect_language(t) == language
        ]
        found = evaluate(model, [t for t, _ in kept], [y for _, y in kept])
    except SentimentError as error:
        refuse(f"error: {error}")
    row = {**found.__dict__, "skipped_other_language": len(texts) - len(kept)}
    if output_format is OutputFormat.json:
        # One evaluation is one object: {"rows", "accuracy", "macro_f1", ...}.
        typer.echo(json.dumps(row))
        return
    render([row], output_format=output_format, title="Sentiment evaluation")


@app.command("analyze")
def analyze_command(
    redo: Annotated[bool, typer.Option(help="Analyse every item again.")] = False,
    aspects: AspectsOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Analyse new items, copy them to the warehouse and open follow-up tasks."""
    from retain.feedback import service, surveys
    from retain.feedback.aspects import load_aspects

    def work(settings: Settings, backend: BaseBackend) -> dict[str, Any]:
        with command_session() as session:
            summary = service.analyze(
                session=session,
                data_dir=settings.storage.data_dir,
                aspects=load_aspects(aspects),
                redo=redo,
            )
            tasks = service.follow_up(session=session)
        with command_session() as session:
            exported = service.export_items(session=session, backend=backend)
            answers = surveys.export_answers(session=session, backend=backend)
        return {
            **summary.__dict__,
            "tasks_opened": tasks,
            "exported": exported,
            "survey_answers_exported": answers,
        }

    analysed = command_on_warehouse(work, *_refused())
    render([analysed], output_format=output_format, title="Feedback analysed")


@app.command("report")
def report_command(
    period: Annotated[str, typer.Option(help="day, week, month, quarter or year.")] = "month",
    segment: Annotated[str | None, typer.Option(help="country, channel or language.")] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """NPS and CSAT per period (and segment) with 95 % intervals."""
    from retain.feedback import report

    rows = command_on_warehouse(
        lambda _, backend: report.survey_scores(backend, period=period, segment=segment),
        *_refused(),
    )
    render(rows, output_format=output_format, title="NPS and CSAT")


@app.command("topics")
def topics_command(
    period: Annotated[str, typer.Option(help="day, week, month, quarter or year.")] = "month",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Aspect mentions and their negative share per period."""
    from retain.feedback import report

    with command_session(*_refused()) as session:
        rows = report.topic_trends(session=session, period=period)
    render(rows, output_format=output_format, title="Topic trends")


@app.command("search")
def search_command(
    query: str,
    language: Annotated[str | None, typer.Option(help="zh or en only.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Reviews, mentions and survey comments containing QUERY."""
    from retain.feedback import report

    with command_session(*_refused()) as session:
        rows = report.search_verbatims(session=session, query=query, language=language, limit=limit)
    render(rows, output_format=output_format, title=f"Verbatims with {query!r}")


@app.command("retention")
def retention_command(
    at: AtOption = None, output_format: FormatOption = OutputFormat.table
) -> None:
    """Did unhappy customers who were followed up stay more than those who were not?"""
    from retain.feedback import report

    def work(settings: Settings, backend: BaseBackend) -> dict[str, Any]:
        with command_session() as session:
            return report.follow_up_retention(session=session, backend=backend, at=at or utcnow())

    found = command_on_warehouse(work, *_refused())
    render([found], output_format=output_format, title="Follow-up retention")


@surveys_app.command("create")
def surveys_create_command(
    name: str,
    kind: Annotated[str, typer.Option(help="NPS, CSAT, CES or custom.")] = "NPS",
    question_en: Annotated[str | None, typer.Option(help="Question in English.")] = None,
    question_zh: Annotated[str | None, typer.Option(help="Question in Chinese.")] = None,
    every_days: Annotated[int | None, typer.Option(min=1, help="Recur every N days.")] = None,
    min_gap_days: Annotated[int, typer.Option(min=0, help="No two surveys within N days.")] = 30,
    remind_after_days: Annotated[int | None, typer.Option(min=1)] = 3,
    channel: Annotated[str, typer.Option(help="Messaging channel.")] = "email",
) -> None:
    """Define a survey."""
    from retain.feedback import surveys

    with command_session(*_refused()) as session:
        survey = surveys.create_survey(
            session=session,
            name=name,
            kind=kind,
            now=utcnow(),
            question_en=question_en,
            question_zh=question_zh,
            every_days=every_days,
            min_gap_days=min_gap_days,
            remind_after_days=remind_after_days,
            channel=channel,
        )
        typer.echo(f"survey {survey.name} ({survey.kind}) created")


@surveys_app.command("send")
def surveys_send_command(
    name: str,
    customer: Annotated[
        list[str] | None, typer.Option(help="Customer id (repeat); default every customer.")
    ] = None,
    at: AtOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Invite whom the recurring rule allows, remind who has not answered, copy new answers."""
    from retain.feedback import schedule

    def work(settings: Settings, backend: BaseBackend) -> dict[str, Any]:
        return schedule.send_surveys(
            settings=settings,
            backend=backend,
            names=[name],
            now=at or utcnow(),
            customer_ids=customer,
        ).as_dict()

    render(
        [command_on_warehouse(work, *_refused())], output_format=output_format, title="Survey sent"
    )


@surveys_app.command("results")
def surveys_results_command(
    period: Annotated[str, typer.Option(help="day, week, month, quarter or year.")] = "month",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Response rates per survey, then NPS and CSAT per period with intervals."""
    from retain.feedback import report, surveys

    def work(settings: Settings, backend: BaseBackend) -> list[dict[str, Any]]:
        with command_session() as session:
            surveys.export_answers(session=session, backend=backend)
            rates = surveys.response_rates(session=session)
        return [*rates, *report.survey_scores(backend, period=period)]

    rows = command_on_warehouse(work, *_refused())
    if output_format is OutputFormat.json:
        render(rows, output_format=output_format)
        return
    render([r for r in rows if "survey" in r], output_format=output_format, title="Responses")
    render([r for r in rows if "period" in r], output_format=output_format, title="Scores")


@products_app.command("regret")
def regret_command(
    by: Annotated[str, typer.Option(help="product or category.")] = "product",
    min_orders: Annotated[int, typer.Option(min=1)] = 20,
    limit: Annotated[int, typer.Option(min=1)] = 20,
    at: AtOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Products (or categories) ranked by regret, with the evidence."""
    from retain.feedback import regret

    if by not in ("product", "category"):
        refuse("error: --by is product or category")
    column = "product_id" if by == "product" else "category"
    frame = command_on_warehouse(
        lambda _, backend: regret.rank_regret(
            backend, at=at or utcnow(), by=column, min_orders=min_orders, limit=limit
        ),
        *_refused(),
    )
    rows = json.loads(frame.to_json(orient="records"))
    render(rows, output_format=output_format, title="Product regret")
