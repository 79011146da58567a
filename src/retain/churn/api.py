"""Churn routes under ``/api/v1``: scores and reasons, alerts, health, renewals and tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from retain.auth.dependencies import allow
from retain.auth.roles import READ_CUSTOMERS, SERVE_CUSTOMERS
from retain.churn.health import health_history, latest_health_query
from retain.churn.jobs import renewal_report
from retain.churn.model import ChurnInputError
from retain.churn.schemas import (
    ChurnScoreRead,
    HealthRead,
    RenewalPipeline,
    RenewalRead,
    TaskClose,
    TaskRead,
    UsageAlertRead,
)
from retain.churn.service import get_score, scores_query
from retain.churn.tasks import TaskError, alerts_query, close_task, tasks_query
from retain.dependencies import SessionDep, SettingsDep
from retain.pagination import Limit, Offset, Page, WholePageDep, page_of, page_of_query

router = APIRouter(prefix="/api/v1", tags=["churn"])


@router.get("/churn/scores", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_churn_scores(
    session: SessionDep, limit: Limit = 100, offset: Offset = 0
) -> Page[ChurnScoreRead]:
    """Stored churn scores, riskiest first."""
    return page_of_query(
        session, scores_query(), ChurnScoreRead.model_validate, limit=limit, offset=offset
    )


@router.get("/customers/{customer_id}/churn", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_customer_churn(session: SessionDep, customer_id: str) -> ChurnScoreRead:
    """A customer's churn score and reasons; 404 until ``retain churn score`` has run."""
    found = get_score(session=session, customer_id=customer_id)
    if found is None:
        raise HTTPException(
            404, f"no churn score for customer {customer_id!r}; run 'retain churn score'"
        )
    return ChurnScoreRead.model_validate(found)


@router.get("/churn/alerts", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_usage_alerts(
    session: SessionDep, limit: Limit = 100, offset: Offset = 0
) -> Page[UsageAlertRead]:
    """Stored usage-decline alerts, newest and largest first."""
    return page_of_query(
        session, alerts_query(), UsageAlertRead.model_validate, limit=limit, offset=offset
    )


@router.get("/health-scores", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_health_scores(
    session: SessionDep, limit: Limit = 100, offset: Offset = 0
) -> Page[HealthRead]:
    """The latest day's health scores, least healthy first."""
    return page_of_query(
        session, latest_health_query(), HealthRead.model_validate, limit=limit, offset=offset
    )


@router.get("/customers/{customer_id}/health", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_customer_health(
    session: SessionDep, customer_id: str, page: WholePageDep
) -> Page[HealthRead]:
    """A customer's health history, oldest first."""
    found = health_history(session=session, customer_id=customer_id)
    return page_of([HealthRead.model_validate(row) for row in found], page)


@router.get("/renewals", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_renewals(
    settings: SettingsDep,
    within: Annotated[int, Query(ge=1, le=366)] = 90,
    limit: Limit = 100,
    offset: Offset = 0,
) -> RenewalPipeline:
    """Subscriptions renewing within ``within`` days with risk, health, owner; the forecast."""
    try:
        found = renewal_report(settings=settings, as_of=None, within_days=within)
    except ChurnInputError as error:
        raise HTTPException(422, str(error)) from None
    page = found.pipeline.iloc[offset : offset + limit]
    rows = page.astype(object).where(page.notna(), None).to_dict("records")
    return RenewalPipeline(
        as_of=found.as_of,
        forecast=found.forecast,
        renewals=[RenewalRead.model_validate(row) for row in rows],
    )


@router.get("/tasks", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_tasks(
    session: SessionDep,
    owner: str | None = None,
    closed: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[TaskRead]:
    """Tasks by owner and due date; open ones unless ``closed=true``."""
    return page_of_query(
        session,
        tasks_query(owner=owner, include_closed=closed),
        TaskRead.model_validate,
        limit=limit,
        offset=offset,
    )


@router.post("/tasks/{task_id}/close", dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_task_close(session: SessionDep, task_id: int, body: TaskClose) -> TaskRead:
    """Close a task with its outcome (one of retained, churned, not_needed, unreachable)."""
    try:
        task = close_task(session=session, task_id=task_id, outcome=body.outcome, note=body.note)
    except TaskError as error:
        status = 404 if str(error).startswith("no task") else 422
        raise HTTPException(status, str(error)) from None
    return TaskRead.model_validate(task)
