"""Surveys answered and reviews analysed for the demo, in English and Chinese.

A week-old NPS and CSAT survey went to a sample of customers, about half of whom answered
through their signed link. Reviews of the demo's last six months are imported like a review
export and analysed with the feedback service: it trains its sentiment model on the rated
reviews themselves (base dependencies only) and finds the aspects each clause talks about.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.auth.sessions import signing_key
from retain.demo.workflow_data import ZH, DemoData, chance, now_minute, scaled
from retain.demo.workflow_texts import (
    REVIEW_CLAUSES,
    REVIEW_SOURCES,
    join_clauses,
    review_clause,
)
from retain.feedback import service as feedback
from retain.feedback import surveys
from retain.feedback.aspects import load_aspects
from retain.feedback.models import Survey, SurveyInvitation
from retain.feedback.reviews import ItemIn, import_items
from retain.ingest.demo.vocabulary import COMMENTS
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import connect

SURVEYS = {"demo-nps": "NPS", "demo-csat": "CSAT"}
SENT_DAYS_AGO = 8
ANSWER_SHARE = 0.5
REVIEW_DAYS = 180
# Of every ten reviews: five praise, three complain, two are mixed (so both classes the
# sentiment model learns from are always well represented).
POSITIVE, NEGATIVE = range(5), range(5, 8)


def collect_feedback(settings: Settings, data: DemoData, seed: int) -> str:
    """Send and answer the demo surveys, import and analyse reviews; once."""
    now = now_minute()
    with session_scope(settings.storage.store_url) as session:
        answered = _answer_surveys(session, settings, data, seed, now)
        imported = import_items(session=session, kind="review", items=_reviews(data, seed), now=now)
        analysed = feedback.analyze(
            session=session, data_dir=settings.storage.data_dir, aspects=load_aspects(None)
        )
        tasks = feedback.follow_up(session=session)
    # As ``retain feedback analyze`` does: the Feedback page's scores read the warehouse.
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            feedback.export_items(session=session, backend=backend)
            surveys.export_answers(session=session, backend=backend)
    finally:
        backend.disconnect()
    return (
        f"{answered} survey answers, {imported.added} reviews imported, "
        f"{analysed.analyzed} analysed ({analysed.negative} negative, {tasks} follow-up tasks)"
    )


def _answer_surveys(
    session: Session, settings: Settings, data: DemoData, seed: int, now: datetime
) -> int:
    secret = signing_key(settings)
    sent_at = now - timedelta(days=SENT_DAYS_AGO)
    sample = scaled(len(data.customers), per=10, low=60, high=600)
    answered = 0
    for name, kind in SURVEYS.items():
        survey = _survey(session, name, kind, now)
        surveys.send_survey(
            session=session,
            survey=survey,
            customer_ids=data.pick_customers(seed, name, sample),
            secret=secret,
            base_url=settings.server.public_base_url,
            now=sent_at,
        )
        waiting = session.scalars(
            select(SurveyInvitation).where(
                SurveyInvitation.survey_name == name, SurveyInvitation.answered_at.is_(None)
            )
        )
        for invitation in list(waiting):
            answered += _answer(session, secret, invitation, kind, data, seed)
    return answered


def _survey(session: Session, name: str, kind: str, now: datetime) -> Survey:
    try:
        return surveys.get_survey(session=session, name=name)
    except surveys.SurveyError:
        return surveys.create_survey(session=session, name=name, kind=kind, now=now)


def _answer(
    session: Session,
    secret: str,
    invitation: SurveyInvitation,
    kind: str,
    data: DemoData,
    seed: int,
) -> int:
    """The customer answers (or not, always the same way for a seed) through their link."""
    draw = chance(seed, "survey", invitation.survey_name, invitation.customer_id)
    if draw.random() >= ANSWER_SHARE:
        return 0
    mood = draw.gauss(0, 1)
    if kind == "NPS":
        score = min(10, max(0, round(7.6 + 1.9 * mood)))
        tone = 2 if score >= 9 else 1 if score >= 7 else 0
    else:
        score = min(5, max(1, round(4.0 + 0.9 * mood)))
        tone = 2 if score >= 4 else 1 if score == 3 else 0
    language = data.language_by_customer.get(invitation.customer_id, "en")
    comment = draw.choice(COMMENTS[(int(language == ZH), tone)]) if draw.random() < 0.65 else None
    token = surveys.sign_link(
        secret=secret,
        invitation=invitation,
        expires_at=invitation.sent_at + timedelta(days=surveys.LINK_DAYS),
    )
    surveys.answer(
        session=session,
        secret=secret,
        token=token,
        score=score,
        comment=comment,
        at=invitation.sent_at + timedelta(hours=draw.uniform(1, 24 * (SENT_DAYS_AGO - 1))),
    )
    return 1


def _reviews(data: DemoData, seed: int) -> list[ItemIn]:
    """Reviews of the demo's last six months, with stars and the product last bought before.

    Their dates hang on the demo's last order, not on the clock, so a second import finds
    the very same reviews and adds none.
    """
    end = data.last_order_at
    authors = data.pick_customers(
        seed, "reviews", scaled(len(data.customers), per=12, low=80, high=500)
    )
    aspects = sorted(REVIEW_CLAUSES)
    items = []
    for number, customer_id in enumerate(authors):
        draw = chance(seed, "review", customer_id)
        language = data.language_by_customer[customer_id]
        first, second = draw.sample(aspects, 2)
        tone = number % 10
        if tone in POSITIVE:
            rating, praised = draw.choice((4, 5, 5)), (True, True)
        elif tone in NEGATIVE:
            rating, praised = draw.choice((1, 1, 2)), (False, False)
        else:
            rating, praised = 3, (True, False)
        clauses = [review_clause(first, language=language, positive=praised[0])]
        if tone not in POSITIVE or draw.random() < 0.5:
            clauses.append(review_clause(second, language=language, positive=praised[1]))
        posted_at = end - timedelta(days=draw.uniform(0, REVIEW_DAYS))
        items.append(
            ItemIn(
                source=draw.choice(REVIEW_SOURCES),
                text=join_clauses(clauses, language=language),
                posted_at=posted_at,
                email=data.email_by_customer[customer_id],
                rating=rating,
                product=data.product_bought_before(customer_id, posted_at),
                customer=customer_id,
            )
        )
    return items
