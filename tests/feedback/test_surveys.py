"""Surveys: recurring rules, signed links that cannot be forged or reused, answers reaching the
warehouse where the engagement engine's nps_detractor trigger sees them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from retain import signed_links
from retain.customers.models import CustomerProfile
from retain.engage.definition import Trigger
from retain.engage.triggers import triggered
from retain.feedback import schedule, surveys
from retain.feedback.models import Survey, SurveyInvitation
from retain.jobs import worker
from retain.jobs.periodic import register_periodic_jobs
from retain.locales import ui_text
from retain.messaging.models import Delivery
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.engage.shop import customers, import_frame

SECRET = "a-test-secret-that-is-long-enough"
T0 = datetime(2026, 5, 1, 9, 0)
BASE = "https://retain.example"


def _survey(**overrides: object) -> Survey:
    fields: dict[str, object] = {
        "name": "nps",
        "kind": "NPS",
        "question_en": "?",
        "question_zh": "？",
        "every_days": 90,
        "min_gap_days": 30,
    }
    return Survey(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("this", "other", "days_later", "allowed"),
    [
        (None, None, 0, True),
        (0, 0, 89, False),  # too soon for the 90-day schedule
        (0, 0, 90, True),
        (None, 0, 29, False),  # another survey 29 days ago: the 30-day gap holds
        (None, 0, 30, True),
        (0, 80, 100, False),  # the schedule is due, but another survey went 20 days ago
    ],
)
def test_recurring_rule(
    this: int | None, other: int | None, days_later: int, allowed: bool
) -> None:
    last_this = None if this is None else T0 + timedelta(days=this)
    last_any = max((T0 + timedelta(days=d) for d in (this, other) if d is not None), default=None)
    now = T0 + timedelta(days=days_later)
    found = surveys.may_invite(
        survey=_survey(), last_to_this=last_this, last_to_any=last_any, now=now
    )
    assert found is allowed


def test_a_one_off_survey_is_never_sent_twice() -> None:
    survey = _survey(every_days=None)
    assert not surveys.may_invite(
        survey=survey, last_to_this=T0, last_to_any=T0, now=T0 + timedelta(days=400)
    )


def _send(settings: Settings, customers: list[str], now: datetime) -> surveys.SendSummary:
    with session_scope(settings.storage.store_url) as session:
        survey = surveys.get_survey(session=session, name="nps")
        return surveys.send_survey(
            session=session,
            survey=survey,
            customer_ids=customers,
            secret=SECRET,
            base_url=BASE,
            now=now,
        )


def _tokens(settings: Settings) -> dict[str, str]:
    with session_scope(settings.storage.store_url) as session:
        invitations = session.scalars(select(SurveyInvitation)).all()
        return {
            i.customer_id: surveys.sign_link(
                secret=SECRET, invitation=i, expires_at=i.sent_at + timedelta(days=30)
            )
            for i in invitations
        }


@pytest.fixture
def sent(settings: Settings) -> Settings:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        session.add(CustomerProfile(customer_id="C2", language="zh-CN"))
        surveys.create_survey(session=session, name="nps", kind="NPS", now=T0, every_days=90)
    assert _send(settings, ["C1", "C2"], T0).invited == 2
    return settings


def test_send_queues_personal_links_in_each_language(sent: Settings) -> None:
    with session_scope(sent.storage.store_url) as session:
        deliveries = {d.customer_id: d for d in session.scalars(select(Delivery))}
    assert set(deliveries) == {"C1", "C2"}
    assert deliveries["C1"].template == "survey-invitation"
    assert deliveries["C2"].context["question"] == ui_text("survey_questions", "zh-CN")["NPS"]
    assert deliveries["C1"].context["survey_url"].startswith(f"{BASE}/s/")
    assert deliveries["C1"].context["survey_url"] != deliveries["C2"].context["survey_url"]
    # A second send inside the schedule adds nothing; after 90 days it invites again.
    assert _send(sent, ["C1", "C2"], T0 + timedelta(days=10)).invited == 0
    assert _send(sent, ["C1"], T0 + timedelta(days=90)).invited == 1


def test_links_cannot_be_forged_reused_or_moved(sent: Settings) -> None:
    tokens = _tokens(sent)
    at = T0 + timedelta(hours=1)
    with session_scope(sent.storage.store_url) as session:
        c1 = session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.customer_id == "C1")
        ).one()
        # C1's invitation id with C2 as the customer: valid signature, wrong pair.
        c1.customer_id = "C2"
        moved = surveys.sign_link(secret=SECRET, invitation=c1, expires_at=at + timedelta(days=1))
        session.rollback()
    forged = tokens["C1"][:-3] + ("abc" if not tokens["C1"].endswith("abc") else "xyz")
    with session_scope(sent.storage.store_url) as session:
        for token in (forged, moved):
            with pytest.raises(signed_links.BadLink):
                surveys.open_link(session=session, secret=SECRET, token=token, at=at)
        with pytest.raises(signed_links.BadLink):
            surveys.open_link(
                session=session, secret="another-secret-key", token=tokens["C1"], at=at
            )
        with pytest.raises(signed_links.BadLink, match="expired"):
            surveys.open_link(
                session=session, secret=SECRET, token=tokens["C1"], at=at + timedelta(days=31)
            )
        answered = surveys.answer(
            session=session, secret=SECRET, token=tokens["C1"], score=3, comment="slow", at=at
        )
        assert answered.customer_id == "C1"
    with (
        session_scope(sent.storage.store_url) as session,
        pytest.raises(surveys.SurveyError, match="already"),
    ):
        surveys.answer(
            session=session, secret=SECRET, token=tokens["C1"], score=10, comment=None, at=at
        )
    with (
        session_scope(sent.storage.store_url) as session,
        pytest.raises(surveys.SurveyError, match="0-10"),
    ):
        surveys.answer(
            session=session, secret=SECRET, token=tokens["C2"], score=11, comment=None, at=at
        )


def test_answers_reach_survey_response_and_fire_the_detractor_trigger(sent: Settings) -> None:
    tokens = _tokens(sent)
    at = T0 + timedelta(hours=2)
    with session_scope(sent.storage.store_url) as session:
        surveys.answer(
            session=session, secret=SECRET, token=tokens["C1"], score=2, comment="太慢", at=at
        )
        surveys.answer(
            session=session, secret=SECRET, token=tokens["C2"], score=10, comment=None, at=at
        )
        rates = surveys.response_rates(session=session)
    assert rates == [
        {"survey": "nps", "invited": 2, "answered": 2, "reminded": 0, "response_rate": 1.0}
    ]
    backend = connect(sent.storage.resolved_warehouse_url)
    try:
        with session_scope(sent.storage.store_url) as session:
            assert surveys.export_answers(session=session, backend=backend) == 2
        with session_scope(sent.storage.store_url) as session:
            assert surveys.export_answers(session=session, backend=backend) == 0
            fired = triggered(
                trigger=Trigger(event="nps_detractor"),
                backend=backend,
                session=session,
                since=T0,
                until=T0 + timedelta(days=1),
            )
        responses = backend.table("survey_response").execute()
    finally:
        backend.disconnect()
    assert fired["customer_id"].tolist() == ["C1"]
    assert sorted(responses["score"].tolist()) == [2, 10]
    assert set(responses["comment"].dropna()) == {"太慢"}


def test_one_reminder_after_the_delay_only_to_who_has_not_answered(sent: Settings) -> None:
    tokens = _tokens(sent)
    with session_scope(sent.storage.store_url) as session:
        surveys.answer(
            session=session,
            secret=SECRET,
            token=tokens["C2"],
            score=9,
            comment=None,
            at=T0 + timedelta(days=1),
        )
        assert (
            surveys.remind(
                session=session, secret=SECRET, base_url=BASE, now=T0 + timedelta(days=2)
            )
            == 0
        )
        assert (
            surveys.remind(
                session=session, secret=SECRET, base_url=BASE, now=T0 + timedelta(days=3)
            )
            == 1
        )
        assert (
            surveys.remind(
                session=session, secret=SECRET, base_url=BASE, now=T0 + timedelta(days=4)
            )
            == 0
        )
        reminders = session.scalars(
            select(Delivery.customer_id).where(Delivery.template == "survey-reminder")
        ).all()
    assert reminders == ["C1"]


def test_the_worker_runs_recurring_surveys_only_and_registers_the_pass(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "_periodic", {})  # the process's registry: left as found
    import_frame(settings, "customers", customers(3), tmp_path)
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        surveys.create_survey(session=session, name="nps", kind="NPS", now=T0, every_days=90)
        surveys.create_survey(session=session, name="launch", kind="CSAT", now=T0, min_gap_days=0)

    first = schedule.run_recurring(settings)
    again = schedule.run_recurring(settings)

    with session_scope(settings.storage.store_url) as session:
        invited = session.execute(
            select(SurveyInvitation.survey_name, SurveyInvitation.customer_id)
        ).all()
    assert sorted(invited) == [("nps", "C000"), ("nps", "C001"), ("nps", "C002")]
    assert (first.invited, again.invited, again.skipped) == (3, 0, 3)
    register_periodic_jobs(settings)
    assert "surveys" in worker.registered()
