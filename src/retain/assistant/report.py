"""Dashboard figures of the assistant: resolution, escalation, accuracy, CSAT, unanswered questions.

Over the conversations started in a window: auto-resolution rate = conversations with at least
one answer and no hand-off / conversations; escalation rate = customer messages whose reply was
a hand-off (or a request for the e-mail to hand off to) / customer messages; answered accuracy
is from the latest stored evaluation run; CSAT = mean rating (1-5) and the share rated 4 or 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain.assistant.models import AssistantConversation, AssistantEvaluation, AssistantMessage

ANSWERED = ("intent", "article", "generated")
ESCALATED = ("handoff", "needs_email")


@dataclass(frozen=True)
class UnansweredQuestion:
    question: str
    times: int


@dataclass(frozen=True)
class AssistantSummary:
    conversations: int
    customer_messages: int
    auto_resolution_rate: float | None
    escalation_rate: float | None
    handed_off: int
    answered_accuracy: float | None
    evaluated_at: datetime | None
    csat: float | None
    csat_satisfied: float | None
    ratings: int
    unanswered: list[UnansweredQuestion]


def assistant_summary(session: Session, *, since: datetime, top: int = 10) -> AssistantSummary:
    """The figures of conversations started at or after ``since``."""
    conversations = select(AssistantConversation.id).where(
        AssistantConversation.started_at >= since
    )
    total = session.scalar(select(func.count()).select_from(conversations.subquery())) or 0
    questions = (
        select(AssistantMessage.conversation_id, AssistantMessage.resolution)
        .where(AssistantMessage.author == "customer")
        .where(AssistantMessage.conversation_id.in_(conversations))
    ).subquery()
    answered = set(
        session.scalars(
            select(questions.c.conversation_id)
            .where(questions.c.resolution.in_(ANSWERED))
            .distinct()
        )
    )
    escalated_conversations = set(
        session.scalars(
            select(questions.c.conversation_id)
            .where(questions.c.resolution.in_(ESCALATED))
            .distinct()
        )
    )
    question_count = session.scalar(select(func.count()).select_from(questions)) or 0
    escalated_questions = (
        session.scalar(
            select(func.count()).select_from(questions).where(questions.c.resolution.in_(ESCALATED))
        )
        or 0
    )
    handed_off = (
        session.scalar(
            select(func.count())
            .select_from(AssistantConversation)
            .where(AssistantConversation.id.in_(conversations))
            .where(AssistantConversation.ticket_id.is_not(None))
        )
        or 0
    )
    ratings = session.execute(
        select(func.count(), func.avg(AssistantConversation.rating))
        .where(AssistantConversation.id.in_(conversations))
        .where(AssistantConversation.rating.is_not(None))
    ).one()
    satisfied = (
        session.scalar(
            select(func.count())
            .select_from(AssistantConversation)
            .where(AssistantConversation.id.in_(conversations))
            .where(AssistantConversation.rating >= 4)
        )
        or 0
    )
    latest = session.scalar(
        select(AssistantEvaluation).order_by(AssistantEvaluation.id.desc()).limit(1)
    )
    return AssistantSummary(
        conversations=total,
        customer_messages=question_count,
        auto_resolution_rate=(len(answered - escalated_conversations) / total) if total else None,
        escalation_rate=(escalated_questions / question_count) if question_count else None,
        handed_off=handed_off,
        answered_accuracy=latest.answered_accuracy if latest else None,
        evaluated_at=latest.evaluated_at if latest else None,
        csat=float(ratings[1]) if ratings[0] else None,
        csat_satisfied=(satisfied / ratings[0]) if ratings[0] else None,
        ratings=int(ratings[0]),
        unanswered=unanswered_questions(session, since=since, top=top),
    )


def unanswered_questions(
    session: Session, *, since: datetime, top: int = 10
) -> list[UnansweredQuestion]:
    """The customer messages most often escalated, case-folded: the next articles to write."""
    question = func.lower(func.trim(AssistantMessage.text))
    rows = session.execute(
        select(question.label("question"), func.count().label("times"))
        .where(AssistantMessage.author == "customer")
        .where(AssistantMessage.created_at >= since)
        .where(AssistantMessage.resolution.in_(ESCALATED))
        .group_by(question)
        .order_by(func.count().desc(), question)
        .limit(top)
    ).all()
    return [UnansweredQuestion(question=row.question, times=int(row.times)) for row in rows]
