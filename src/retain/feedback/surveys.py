"""Surveys: NPS, CSAT, CES or custom; sent with a signed personal link, answered once.

Recurring rule: a customer is invited to a survey again only ``every_days`` after the last
invitation to it, and never within ``min_gap_days`` of any survey invitation at all. Messages
go through the messaging queue, whose worker applies consent, frequency caps and quiet hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ibis.backends import BaseBackend
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain import signed_links
from retain.customers.models import CustomerProfile
from retain.feedback.models import Survey, SurveyAnswer, SurveyInvitation
from retain.locales import language_or_default, ui_text
from retain.messaging.service import Outgoing, enqueue_many
from retain.warehouse.outbox import Source, export_to_warehouse

PURPOSE = "survey-answer"
LINK_DAYS = 30
# Score range of each kind: NPS 0-10, CSAT 1-5 (satisfied 4-5), CES 1-7 (effort), custom 0-10.
SCALES = {"NPS": (0, 10), "CSAT": (1, 5), "CES": (1, 7), "custom": (0, 10)}
ANSWER_SOURCE = Source(
    table="survey_response",
    key=("response_id",),
    rows=select(
        SurveyAnswer.response_id,
        SurveyAnswer.customer_id,
        SurveyAnswer.kind,
        SurveyAnswer.score,
        SurveyAnswer.comment,
        SurveyAnswer.language,
        SurveyAnswer.answered_at,
    ),
    row_id=SurveyAnswer.response_id,
    exported_at=SurveyAnswer.exported_at,
)


class SurveyError(ValueError):
    """A survey that does not exist or is defined twice, or an answer that cannot count."""


class UnknownSurvey(SurveyError):
    """No survey has the name asked for."""


def create_survey(
    *,
    session: Session,
    name: str,
    kind: str,
    now: datetime,
    question_en: str | None = None,
    question_zh: str | None = None,
    every_days: int | None = None,
    min_gap_days: int = 30,
    remind_after_days: int | None = 3,
    channel: str = "email",
) -> Survey:
    """Define a survey; a custom one needs its question in both languages."""
    if kind not in SCALES:
        raise SurveyError(f"kind {kind!r}: use one of {', '.join(SCALES)}")
    if session.get(Survey, name) is not None:
        raise SurveyError(f"survey {name!r} already exists")
    # The standard kinds ask the catalogue's question until the business edits it.
    question_en = question_en or ui_text("survey_questions", "en").get(kind)
    question_zh = question_zh or ui_text("survey_questions", "zh-CN").get(kind)
    if not question_en or not question_zh:
        raise SurveyError("a custom survey needs --question-en and --question-zh")
    survey = Survey(
        name=name,
        kind=kind,
        question_en=question_en,
        question_zh=question_zh,
        channel=channel,
        every_days=every_days,
        min_gap_days=min_gap_days,
        remind_after_days=remind_after_days,
        created_at=now,
    )
    session.add(survey)
    session.flush()
    return survey


def get_survey(*, session: Session, name: str) -> Survey:
    survey = session.get(Survey, name)
    if survey is None:
        raise UnknownSurvey(f"no survey {name!r}")
    return survey


def list_surveys(*, session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.name)))


def may_invite(
    *,
    survey: Survey,
    last_to_this: datetime | None,
    last_to_any: datetime | None,
    now: datetime,
) -> bool:
    """Whether the recurring rule lets ``survey`` go to a customer now."""
    if last_to_any is not None and now - last_to_any < timedelta(days=survey.min_gap_days):
        return False
    if last_to_this is None:
        return True
    return survey.every_days is not None and now - last_to_this >= timedelta(days=survey.every_days)


@dataclass(frozen=True)
class SendSummary:
    eligible: int
    invited: int
    skipped: int


def send_survey(
    *,
    session: Session,
    survey: Survey,
    customer_ids: Sequence[str],
    secret: str,
    base_url: str,
    now: datetime,
) -> SendSummary:
    """Invite each customer the recurring rule allows; the rest are skipped."""
    wanted = sorted(set(customer_ids))
    last_this = _last_invited(session, wanted, survey.name)
    last_any = _last_invited(session, wanted, None)
    languages = _languages(session, wanted)
    invitations = [
        SurveyInvitation(
            survey_name=survey.name,
            customer_id=customer,
            language=languages.get(customer, "en"),
            sent_at=now,
        )
        for customer in wanted
        if may_invite(
            survey=survey,
            last_to_this=last_this.get(customer),
            last_to_any=last_any.get(customer),
            now=now,
        )
    ]
    session.add_all(invitations)
    session.flush()
    messages = [
        _message(survey, invitation, "survey-invitation", secret, base_url, now)
        for invitation in invitations
    ]
    enqueue_many(session=session, messages=messages)
    return SendSummary(
        eligible=len(wanted), invited=len(invitations), skipped=len(wanted) - len(invitations)
    )


def remind(*, session: Session, secret: str, base_url: str, now: datetime) -> int:
    """One reminder for each unanswered invitation past its survey's reminder delay."""
    rows = session.execute(
        select(SurveyInvitation, Survey)
        .join(Survey, Survey.name == SurveyInvitation.survey_name)
        .where(
            SurveyInvitation.answered_at.is_(None),
            SurveyInvitation.reminded_at.is_(None),
            Survey.remind_after_days.is_not(None),
        )
    ).all()
    due = [
        (invitation, survey)
        for invitation, survey in rows
        if now - invitation.sent_at >= timedelta(days=survey.remind_after_days or 0)
        and now - invitation.sent_at < timedelta(days=LINK_DAYS)
    ]
    for invitation, _ in due:
        invitation.reminded_at = now
    messages = [
        _message(survey, invitation, "survey-reminder", secret, base_url, now)
        for invitation, survey in due
    ]
    return enqueue_many(session=session, messages=messages)


def _message(
    survey: Survey,
    invitation: SurveyInvitation,
    template: str,
    secret: str,
    base_url: str,
    now: datetime,
) -> Outgoing:
    token = sign_link(
        secret=secret, invitation=invitation, expires_at=invitation.sent_at + timedelta(LINK_DAYS)
    )
    chinese = language_or_default(invitation.language) == "zh-CN"  # old invitations say "zh"
    question = survey.question_zh if chinese else survey.question_en
    return Outgoing(
        key=f"survey:{invitation.invitation_id}:{template}",
        customer_id=invitation.customer_id,
        channel=survey.channel,
        template=template,
        context={"survey_url": f"{base_url.rstrip('/')}/s/{token}", "question": question},
        step=survey.name,
        not_before=now,
    )


def sign_link(*, secret: str, invitation: SurveyInvitation, expires_at: datetime) -> str:
    """A token naming the invitation and its customer: valid for that pair only."""
    claims = {"i": invitation.invitation_id, "c": invitation.customer_id}
    return signed_links.sign(
        secret=secret, purpose=PURPOSE, claims=claims, expires_at=expires_at.replace(microsecond=0)
    )


def open_link(
    *, session: Session, secret: str, token: str, at: datetime
) -> tuple[SurveyInvitation, Survey]:
    """The invitation a link opens; BadLink when forged, expired or not that customer's."""
    claims = signed_links.read(secret=secret, purpose=PURPOSE, token=token, at=at)
    invitation = session.get(SurveyInvitation, claims.get("i"))
    if invitation is None or invitation.customer_id != claims.get("c"):
        raise signed_links.BadLink("the link does not belong to this survey invitation")
    return invitation, get_survey(session=session, name=invitation.survey_name)


def answer(
    *, session: Session, secret: str, token: str, score: int, comment: str | None, at: datetime
) -> SurveyAnswer:
    """Record the answer of a signed link, once; a second answer is refused."""
    invitation, survey = open_link(session=session, secret=secret, token=token, at=at)
    low, high = SCALES[survey.kind]
    if not low <= score <= high:
        raise SurveyError(f"score {score} is outside {low}-{high} for a {survey.kind} survey")
    if invitation.answered_at is not None:
        raise SurveyError("this survey was already answered")
    invitation.answered_at = at
    recorded = SurveyAnswer(
        response_id=f"survey:{invitation.invitation_id}",
        invitation_id=invitation.invitation_id,
        survey_name=survey.name,
        customer_id=invitation.customer_id,
        kind=survey.kind,
        score=score,
        comment=(comment or "").strip() or None,
        language=invitation.language,
        answered_at=at,
    )
    session.add(recorded)
    session.flush()
    return recorded


def export_answers(*, session: Session, backend: BaseBackend) -> int:
    """Copy answers not exported yet to the warehouse ``survey_response``, where the NPS metrics
    and the engagement engine's nps_detractor trigger read them."""
    return export_to_warehouse(session=session, backend=backend, sources=[ANSWER_SOURCE])[
        ANSWER_SOURCE.table
    ]


def response_rates(*, session: Session) -> list[dict[str, Any]]:
    """Per survey: invitations, answers, reminders and the response rate."""
    statement = (
        select(
            SurveyInvitation.survey_name,
            func.count(),
            func.count(SurveyInvitation.answered_at),
            func.count(SurveyInvitation.reminded_at),
        )
        .group_by(SurveyInvitation.survey_name)
        .order_by(SurveyInvitation.survey_name)
    )
    return [
        {
            "survey": name,
            "invited": invited,
            "answered": answered,
            "reminded": reminded,
            "response_rate": round(answered / invited, 4) if invited else None,
        }
        for name, invited, answered, reminded in session.execute(statement)
    ]


def _last_invited(
    session: Session, customers: list[str], survey_name: str | None
) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for start in range(0, len(customers), 500):
        statement = (
            select(SurveyInvitation.customer_id, func.max(SurveyInvitation.sent_at))
            .where(SurveyInvitation.customer_id.in_(customers[start : start + 500]))
            .group_by(SurveyInvitation.customer_id)
        )
        if survey_name is not None:
            statement = statement.where(SurveyInvitation.survey_name == survey_name)
        found.update({customer: at for customer, at in session.execute(statement)})
    return found


def _languages(session: Session, customers: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(customers), 500):
        statement = select(CustomerProfile.customer_id, CustomerProfile.language).where(
            CustomerProfile.customer_id.in_(customers[start : start + 500])
        )
        found.update({c: language_or_default(lang) for c, lang in session.execute(statement)})
    return found
