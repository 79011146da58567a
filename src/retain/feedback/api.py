"""``/api/v1/feedback``, ``/api/v1/surveys`` and ``/api/v1/products/regret`` (the public survey
page is ``retain.web.public.survey``)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select

from retain.auth.dependencies import allow
from retain.auth.roles import ANALYSE, READ_AGGREGATES, READ_CUSTOMERS, WRITE_EVENTS
from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.dependencies import SessionDep, SettingsDep, WarehouseDep, answering
from retain.feedback import regret, report, reviews, service, surveys
from retain.feedback.aspects import load_aspects
from retain.feedback.models import FeedbackItem
from retain.feedback.schemas import (
    AnalyzeRead,
    EvaluationRead,
    ImportRead,
    ItemRead,
    ItemsCreate,
    LabelledTexts,
    Rows,
    SendCreate,
    SendRead,
    SurveyCreate,
    SurveyRead,
)
from retain.feedback.sentiment import SentimentError, evaluate, load_trained, parse_label
from retain.pagination import Limit, Offset, Page, WholePageDep, page_of, page_of_query
from retain.store import migrated_session

router = APIRouter(prefix="/api/v1", tags=["feedback"])
# What the routes' work may raise, as HTTP statuses (subclasses first).
ERROR_STATUSES: dict[type[Exception], int] = {
    surveys.UnknownSurvey: 404,
    surveys.SurveyError: 409,
    reviews.ImportProblem: 422,
    SentimentError: 422,
}
Row = dict[str, Any]
Period = Annotated[Literal["day", "week", "month", "quarter", "year"], Query()]


@router.post("/feedback/items", status_code=201, dependencies=[Depends(allow(WRITE_EVENTS))])
def post_items(session: SessionDep, body: ItemsCreate) -> ImportRead:
    """Add reviews or mentions; ones already stored (same source+url or text) are skipped."""
    with answering(ERROR_STATUSES):
        summary = reviews.import_items(session=session, kind=body.kind, items=body.items)
        return ImportRead(**summary.__dict__)


@router.get("/feedback/items", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_items(
    session: SessionDep,
    q: Annotated[str | None, Query(description="Text contained (en or zh).")] = None,
    sentiment: Literal["positive", "neutral", "negative"] | None = None,
    language: Literal["en", "zh", "und"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ItemRead]:
    """Reviews and mentions, newest first, searchable."""
    statement = select(FeedbackItem)
    if q:
        statement = statement.where(FeedbackItem.text.icontains(q, autoescape=True))
    if sentiment:
        statement = statement.where(FeedbackItem.sentiment == sentiment)
    if language:
        statement = statement.where(FeedbackItem.language == language)
    statement = statement.order_by(FeedbackItem.posted_at.desc(), FeedbackItem.item_id.desc())
    return page_of_query(session, statement, ItemRead.model_validate, limit=limit, offset=offset)


@router.post("/feedback/analyze", dependencies=[Depends(allow(ANALYSE))])
def post_analyze(settings: SettingsDep, backend: WarehouseDep) -> AnalyzeRead:
    """Analyse new items, open follow-up tasks, copy items and answers to the warehouse."""
    # Two transactions, not the request's one: the analysis is kept when the export fails.
    with answering(ERROR_STATUSES), migrated_session(settings.storage.store_url) as session:
        summary = service.analyze(
            session=session, data_dir=settings.storage.data_dir, aspects=load_aspects()
        )
        tasks = service.follow_up(session=session)
    with answering(ERROR_STATUSES), migrated_session(settings.storage.store_url) as session:
        exported = service.export_items(session=session, backend=backend)
        answers = surveys.export_answers(session=session, backend=backend)
    return AnalyzeRead(
        **summary.__dict__, tasks_opened=tasks, exported=exported, survey_answers_exported=answers
    )


@router.post("/feedback/evaluate", dependencies=[Depends(allow(ANALYSE))])
def post_evaluate(settings: SettingsDep, body: LabelledTexts) -> EvaluationRead:
    """Accuracy and macro F1 of the trained sentiment model on labelled texts."""
    model = load_trained(settings.storage.data_dir)
    if model is None:
        raise HTTPException(status_code=409, detail="no sentiment model yet: train one first")
    try:
        labels = [parse_label(row.label) for row in body.rows]
    except SentimentError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    found = evaluate(model, [row.text for row in body.rows], labels)
    return EvaluationRead(**found.__dict__)


@router.get("/feedback/scores", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_scores(
    backend: WarehouseDep,
    page: WholePageDep,
    period: Period = "month",
    segment: Literal["country", "channel", "language"] | None = None,
) -> Page[Row]:
    """NPS and CSAT per period (and segment) with 95 % intervals."""
    return page_of(report.survey_scores(backend, period=period, segment=segment), page)


@router.get("/feedback/topics", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_topics(session: SessionDep, page: WholePageDep, period: Period = "month") -> Page[Row]:
    """Aspect mentions and their negative share per period."""
    return page_of(report.topic_trends(session=session, period=period), page)


@router.get("/feedback/retention", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_retention(session: SessionDep, backend: WarehouseDep) -> dict[str, Any]:
    """Unhappy customers followed up vs not: who ordered again within 90 days."""
    with answering(ERROR_STATUSES):
        return report.follow_up_retention(session=session, backend=backend, at=utcnow())


@router.get("/surveys", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_surveys(session: SessionDep, page: WholePageDep) -> Page[SurveyRead]:
    """Every survey."""
    found = [SurveyRead.model_validate(s) for s in surveys.list_surveys(session=session)]
    return page_of(found, page)


@router.post("/surveys", status_code=201, dependencies=[Depends(allow(ANALYSE))])
def post_survey(session: SessionDep, body: SurveyCreate) -> SurveyRead:
    """Define a survey."""
    with answering(ERROR_STATUSES):
        created = surveys.create_survey(session=session, now=utcnow(), **body.model_dump())
        return SurveyRead.model_validate(created)


@router.post("/surveys/{name}/send", dependencies=[Depends(allow(ANALYSE))])
def post_send(settings: SettingsDep, session: SessionDep, name: str, body: SendCreate) -> SendRead:
    """Invite the customers the recurring rule allows; remind unanswered invitations."""
    secret, now = signing_key(settings), utcnow()
    with answering(ERROR_STATUSES):
        survey = surveys.get_survey(session=session, name=name)
        summary = surveys.send_survey(
            session=session,
            survey=survey,
            customer_ids=body.customer_ids,
            secret=secret,
            base_url=settings.server.public_base_url,
            now=now,
        )
        reminded = surveys.remind(
            session=session, secret=secret, base_url=settings.server.public_base_url, now=now
        )
    return SendRead(**summary.__dict__, reminded=reminded)


@router.get("/surveys/results", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_results(session: SessionDep, page: WholePageDep) -> Page[Row]:
    """Invitations, answers, reminders and the response rate of each survey."""
    return page_of(surveys.response_rates(session=session), page)


@router.get("/products/regret", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_regret(
    backend: WarehouseDep,
    by: Literal["product", "category"] = "product",
    min_orders: Annotated[int, Query(ge=1)] = 20,
    limit: Limit = 20,
) -> Rows:
    """Products (or categories) ranked by regret, with the evidence."""
    column = "product_id" if by == "product" else "category"
    frame = regret.rank_regret(backend, at=utcnow(), by=column, min_orders=min_orders, limit=limit)
    rows: Rows = json.loads(frame.to_json(orient="records"))
    return rows
