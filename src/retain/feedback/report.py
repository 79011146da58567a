"""Reporting: NPS and CSAT over time and by segment with intervals, topic trends, verbatims,
and whether unhappy customers who were followed up stayed more often than those who were not.

NPS interval: the NPS of n answers is the mean of +1 (promoter), 0 and -1 (detractor), so its
variance is (p + d - (p - d)^2) / n and the 95 % interval is NPS +- 1.96 standard errors.
CSAT (share of 4-5) uses Wilson's score interval.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import ibis
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from retain.churn.models import CustomerTask
from retain.feedback.models import FeedbackItem, SurveyAnswer
from retain.stats import difference_interval, wilson

Z95 = 1.959964
PERIODS = ("day", "week", "month", "quarter", "year")
SEGMENTS = ("country", "channel", "language")
STAYED_DAYS = 90


def nps_interval(promoters: int, detractors: int, answers: int) -> tuple[float, float, float]:
    """NPS (-100..100) and its 95 % interval."""
    p, d = promoters / answers, detractors / answers
    spread = Z95 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / answers)
    return 100 * (p - d), 100 * max(p - d - spread, -1.0), 100 * min(p - d + spread, 1.0)


def survey_scores(
    backend: BaseBackend, *, period: str = "month", segment: str | None = None
) -> list[dict[str, Any]]:
    """NPS and CSAT per period (and per customer segment), with 95 % intervals."""
    if period not in PERIODS:
        raise ValueError(f"period {period!r}: use one of {', '.join(PERIODS)}")
    if segment is not None and segment not in SEGMENTS:
        raise ValueError(f"segment {segment!r}: use one of {', '.join(SEGMENTS)}")
    answers = backend.table("survey_response")
    unit = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}[period]
    answers = answers.mutate(period=answers.answered_at.truncate(unit), kind=answers.kind.upper())
    keys = ["period"]
    if segment is not None:
        customers = backend.table("customer").select("customer_id", segment)
        answers = answers.left_join(customers, "customer_id").select(
            answers, segment=ibis.coalesce(customers[segment], "unknown")
        )
        keys.append("segment")
    nps, csat = answers.kind == "NPS", answers.kind == "CSAT"
    counts = (
        answers.group_by(keys)
        .aggregate(
            nps_answers=nps.sum(),
            promoters=(nps & (answers.score >= 9)).sum(),
            detractors=(nps & (answers.score <= 6)).sum(),
            csat_answers=csat.sum(),
            satisfied=(csat & (answers.score >= 4)).sum(),
        )
        .order_by(keys)
        .execute()
    )
    return [_scores_row(row) for row in counts.to_dict("records")]


def _scores_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"period": pd.Timestamp(row["period"]).to_pydatetime()}
    if "segment" in row:
        out["segment"] = row["segment"]
    nps_n, csat_n = int(row["nps_answers"]), int(row["csat_answers"])
    out["nps_answers"] = nps_n
    if nps_n:
        nps, low, high = nps_interval(int(row["promoters"]), int(row["detractors"]), nps_n)
        out.update(nps=round(nps, 1), nps_low=round(low, 1), nps_high=round(high, 1))
    else:
        out.update(nps=None, nps_low=None, nps_high=None)
    out["csat_answers"] = csat_n
    if csat_n:
        low, high = wilson(int(row["satisfied"]), csat_n, Z95)
        out.update(
            csat=round(int(row["satisfied"]) / csat_n, 4),
            csat_low=round(low, 4),
            csat_high=round(high, 4),
        )
    else:
        out.update(csat=None, csat_low=None, csat_high=None)
    return out


def topic_trends(*, session: Session, period: str = "month") -> list[dict[str, Any]]:
    """Per period and aspect: mentions and the share of them that are negative."""
    rows = session.execute(
        select(FeedbackItem.posted_at, FeedbackItem.aspects).where(
            FeedbackItem.analyzed_at.is_not(None)
        )
    ).all()
    unit = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}[period]
    found = [
        (pd.Timestamp(at).to_period(unit).start_time.to_pydatetime(), aspect, score)
        for at, aspects in rows
        for aspect, score in (aspects or {}).items()
    ]
    if not found:
        return []
    frame = pd.DataFrame(found, columns=["period", "aspect", "score"])
    grouped = frame.groupby(["period", "aspect"]).agg(
        mentions=("score", "size"), negative=("score", lambda s: int((s < 0).sum()))
    )
    grouped["negative_share"] = (grouped["negative"] / grouped["mentions"]).round(4)
    return [
        {str(key): value for key, value in row.items()}
        for row in grouped.reset_index().to_dict("records")
    ]


def search_verbatims(
    *, session: Session, query: str, language: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Reviews, mentions and survey comments containing ``query`` (any case; zh or en)."""
    items = select(FeedbackItem).where(FeedbackItem.text.icontains(query, autoescape=True))
    if language is not None:
        items = items.where(FeedbackItem.language == language)
    rows: list[dict[str, Any]] = [
        {
            "kind": item.kind,
            "source": item.source,
            "customer_id": item.customer_id,
            "at": item.posted_at,
            "rating": item.rating,
            "sentiment": item.sentiment,
            "text": item.text,
        }
        for item in session.scalars(items.order_by(FeedbackItem.posted_at.desc()).limit(limit))
    ]
    answers = select(SurveyAnswer).where(SurveyAnswer.comment.icontains(query, autoescape=True))
    if language is not None:
        answers = answers.where(SurveyAnswer.language == language)
    rows += [
        {
            "kind": f"survey:{answer.kind}",
            "source": answer.survey_name,
            "customer_id": answer.customer_id,
            "at": answer.answered_at,
            "rating": answer.score,
            "sentiment": None,
            "text": answer.comment,
        }
        for answer in session.scalars(
            answers.order_by(SurveyAnswer.answered_at.desc()).limit(limit)
        )
    ]
    return sorted(rows, key=lambda row: row["at"], reverse=True)[:limit]


def follow_up_retention(*, session: Session, backend: BaseBackend, at: datetime) -> dict[str, Any]:
    """Unhappy customers who were reached (task closed retained/churned) vs not: who ordered
    again within 90 days of their complaint, with Newcombe's interval of the difference."""
    complaints = session.execute(
        select(FeedbackItem.customer_id, FeedbackItem.posted_at).where(
            FeedbackItem.customer_id.is_not(None),
            FeedbackItem.posted_at <= at - timedelta(days=STAYED_DAYS),
            or_(
                FeedbackItem.rating <= 2,
                (FeedbackItem.rating.is_(None)) & (FeedbackItem.sentiment == "negative"),
            ),
        )
    ).all()
    first = pd.DataFrame(complaints, columns=["customer_id", "complained_at"])
    first = first.groupby("customer_id", as_index=False).agg(complained_at=("complained_at", "min"))
    reached = set(
        session.scalars(
            select(CustomerTask.customer_id).where(
                CustomerTask.kind.in_(("negative_review", "negative_mention")),
                CustomerTask.outcome.in_(("retained", "churned")),
            )
        )
    )
    orders = backend.table("order").select("customer_id", "ordered_at")
    ids = first["customer_id"].tolist()
    later: pd.DataFrame = (
        orders.filter(orders.customer_id.isin(ids)).execute()
        if ids
        else pd.DataFrame(columns=["customer_id", "ordered_at"])
    )
    merged = later.merge(first, on="customer_id")
    window = (merged.ordered_at > merged.complained_at) & (
        merged.ordered_at <= merged.complained_at + timedelta(days=STAYED_DAYS)
    )
    stayed = set(merged.loc[window, "customer_id"])
    groups = {
        name: [customer for customer in ids if (customer in reached) == wanted]
        for name, wanted in (("followed_up", True), ("not_followed_up", False))
    }
    counts = {
        name: (sum(c in stayed for c in members), len(members)) for name, members in groups.items()
    }
    difference = difference_interval(*counts["followed_up"], *counts["not_followed_up"])
    return {
        "followed_up": counts["followed_up"][1],
        "followed_up_stayed": counts["followed_up"][0],
        "not_followed_up": counts["not_followed_up"][1],
        "not_followed_up_stayed": counts["not_followed_up"][0],
        "difference": None if difference is None else round(difference.estimate, 4),
        "difference_low": None if difference is None else round(difference.low, 4),
        "difference_high": None if difference is None else round(difference.high, 4),
    }
