"""Tasks for owners from usage alerts and at-risk renewals: deduplicated, closed with an outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from retain.churn.models import CustomerTask, UsageAlert
from retain.clock import utcnow
from retain.store import upsert

OUTCOMES = ("retained", "churned", "not_needed", "unreachable")
# Days to act on an alert by severity: a near-total stop cannot wait a week.
ALERT_DUE_DAYS = {"high": 2, "medium": 5, "low": 10}
# A renewal call is due this many days before the renewal date (and never before tomorrow).
RENEWAL_LEAD_DAYS = 7


class TaskError(ValueError):
    """A task that does not exist, is already closed, or an unknown outcome."""


@dataclass(frozen=True)
class TaskDraft:
    """A task to open unless the customer already has an open one of the same kind."""

    customer_id: str
    owner: str
    kind: str
    title: str
    due_on: date

    @property
    def open_key(self) -> str:
        """One open task per customer and kind."""
        return f"{self.customer_id}:{self.kind}"


def drafts_from_alerts(
    alerts: pd.DataFrame, owners: dict[str, str], *, today: date
) -> list[TaskDraft]:
    """A call for each usage alert, due sooner the more severe it is."""
    return [
        TaskDraft(
            customer_id=str(row["customer_id"]),
            owner=owners.get(str(row["customer_id"]), "unassigned"),
            kind="usage_decline",
            title=f"Call about falling usage: {row['evidence']}",
            due_on=today + timedelta(days=ALERT_DUE_DAYS[str(row["severity"])]),
        )
        for row in alerts.to_dict("records")
    ]


def drafts_from_renewals(
    pipeline: pd.DataFrame, *, today: date, min_risk: float, max_health: float
) -> list[TaskDraft]:
    """A call before each renewal whose churn risk is at least ``min_risk`` or health is low."""
    at_risk = pipeline[(pipeline.risk >= min_risk) | (pipeline.health < max_health)]
    drafts = []
    for row in at_risk.to_dict("records"):
        renews_on = pd.Timestamp(row["renews_at"]).date()
        risk = "unscored" if pd.isna(row["risk"]) else f"{row['risk']:.0%} churn risk"
        drafts.append(
            TaskDraft(
                customer_id=str(row["customer_id"]),
                owner=str(row["owner"]),
                kind="renewal_risk",
                title=f"Renewal on {renews_on:%Y-%m-%d} at {risk}, {row['mrr']:,.2f} MRR",
                due_on=max(
                    today + timedelta(days=1), renews_on - timedelta(days=RENEWAL_LEAD_DAYS)
                ),
            )
        )
    return drafts


def open_tasks(*, session: Session, drafts: list[TaskDraft], now: datetime | None = None) -> int:
    """Open each draft unless its customer has an open task of its kind; returns how many."""
    keys = {draft.open_key for draft in drafts}
    taken = set(
        session.scalars(select(CustomerTask.open_key).where(CustomerTask.open_key.in_(keys)))
    )
    created_at = (now or utcnow()).replace(tzinfo=None)
    opened = 0
    for draft in drafts:
        if draft.open_key in taken:
            continue
        taken.add(draft.open_key)
        session.add(
            CustomerTask(
                customer_id=draft.customer_id,
                owner=draft.owner,
                kind=draft.kind,
                title=draft.title,
                due_on=draft.due_on,
                created_at=created_at,
                open_key=draft.open_key,
            )
        )
        opened += 1
    session.flush()
    return opened


def close_task(
    *, session: Session, task_id: int, outcome: str, note: str | None = None
) -> CustomerTask:
    """Close an open task with its outcome (retained, churned, not_needed or unreachable)."""
    if outcome not in OUTCOMES:
        raise TaskError(f"unknown outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
    task = session.get(CustomerTask, task_id)
    if task is None:
        raise TaskError(f"no task {task_id}")
    if task.closed_at is not None:
        raise TaskError(f"task {task_id} was already closed ({task.outcome})")
    task.closed_at = utcnow()
    task.outcome, task.note, task.open_key = outcome, note, None
    session.flush()
    return task


def list_tasks(
    *,
    session: Session,
    owner: str | None = None,
    include_closed: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[CustomerTask]:
    """Tasks by owner and due date, open ones only unless asked."""
    statement = tasks_query(owner=owner, include_closed=include_closed)
    return list(session.scalars(statement.limit(limit).offset(offset)))


def tasks_query(*, owner: str | None, include_closed: bool) -> Select[CustomerTask]:
    """Tasks by owner and due date, as a query to page."""
    statement = select(CustomerTask)
    if owner is not None:
        statement = statement.where(CustomerTask.owner == owner)
    if not include_closed:
        statement = statement.where(CustomerTask.closed_at.is_(None))
    return statement.order_by(CustomerTask.owner, CustomerTask.due_on, CustomerTask.task_id)


def save_alerts(*, session: Session, alerts: pd.DataFrame) -> int:
    """Store the day's usage alerts (a rerun the same day replaces them)."""
    rows: list[dict[str, object]] = [
        {
            "customer_id": str(row["customer_id"]),
            "detected_on": row["detected_on"],
            "severity": str(row["severity"]),
            "drop": float(row["drop"]),
            "recent_per_week": float(row["recent_per_week"]),
            "expected_per_week": float(row["expected_per_week"]),
            "evidence": str(row["evidence"]),
        }
        for row in alerts.to_dict("records")
    ]
    upsert(session, UsageAlert, rows)
    return len(rows)


def list_alerts(*, session: Session, limit: int = 100, offset: int = 0) -> list[UsageAlert]:
    """Stored usage alerts, newest and largest drops first."""
    return list(session.scalars(alerts_query().limit(limit).offset(offset)))


def alerts_query() -> Select[UsageAlert]:
    """Stored usage-decline alerts, newest and largest first, as a query to page."""
    return select(UsageAlert).order_by(
        UsageAlert.detected_on.desc(), UsageAlert.drop.desc(), UsageAlert.customer_id
    )
