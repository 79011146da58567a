"""The demo's workflow steps fill every workflow page's store, once, on base dependencies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from retain.assistant.models import AssistantConversation, AssistantEvaluation
from retain.clock import utcnow
from retain.demo.steps import DemoContext
from retain.demo.workflow_returns import PATHS
from retain.demo.workflows import WORKFLOW_STEPS
from retain.feedback.models import FeedbackItem, SurveyAnswer
from retain.ingest.demo import DEMO_KINDS, generate_demo
from retain.ingest.service import ingest_file
from retain.loyalty.models import (
    LoyaltyEntry,
    LoyaltyMember,
    LoyaltyRedemption,
    LoyaltyReferral,
    LoyaltyTierChange,
)
from retain.returns.models import ReturnRequest
from retain.settings import Settings, get_settings
from retain.store import Base, session_scope
from retain.support.deadlines import calendar_for, sla_board
from retain.support.models import Article, Ticket
from retain.support.service import counts_by_state
from retain.warehouse import connect

SEED = 11


@dataclass(frozen=True)
class Demo:
    settings: Settings
    context: DemoContext
    lines: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A 300-customer demo imported into its own folder, with every workflow step run once."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAIN_DATA_DIR", str(folder))
        patch.setenv("RETAIN_DATABASE_URL", f"sqlite:///{folder / 'retain.db'}")
        patch.setenv("RETAIN_WAREHOUSE_URL", f"duckdb:///{folder / 'warehouse.duckdb'}")
        get_settings.cache_clear()
        business = generate_demo(out_dir=folder / "demo", customers=300, seed=SEED)
        for kind in DEMO_KINDS:
            ingest_file(kind=kind, path=business.files[kind])
        settings = get_settings()
        context = DemoContext(settings=settings, demo_dir=folder / "demo", seed=SEED)
        lines = {step.label: step.run(context) for step in WORKFLOW_STEPS}
        yield Demo(settings=settings, context=context, lines=lines)
    get_settings.cache_clear()


def _count(settings: Settings, *criteria: object, of: type) -> int:
    with session_scope(settings.storage.store_url) as session:
        query = select(func.count()).select_from(of)
        for criterion in criteria:
            query = query.where(criterion)  # type: ignore[arg-type]
        return int(session.scalar(query) or 0)


def _values(settings: Settings, column: object) -> set[object]:
    with session_scope(settings.storage.store_url) as session:
        return set(session.scalars(select(column).distinct()))  # type: ignore[call-overload]


def test_help_centre_has_published_articles_in_both_languages(demo: Demo) -> None:
    published = Article.status == "published"
    for language in ("en", "zh-CN"):
        assert _count(demo.settings, published, Article.language == language, of=Article) >= 5
    # The assistant's intents cite these slugs.
    slugs = _values(demo.settings, Article.slug)
    assert {"reset-password", "cancel-subscription"} <= slugs


def test_assistant_was_evaluated_and_chatted_with(demo: Demo) -> None:
    assert _count(demo.settings, of=AssistantEvaluation) == 1
    assert _count(demo.settings, of=AssistantConversation) > 0
    handed_off = AssistantConversation.ticket_id.is_not(None)
    assert _count(demo.settings, handed_off, of=AssistantConversation) > 0
    assert _count(demo.settings, Ticket.channel == "assistant", of=Ticket) > 0


def test_bare_install_is_told_how_to_add_the_encoder(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    import retain.demo.workflow_assistant as assistant

    monkeypatch.setattr(assistant, "encoder_available", lambda: False)
    line = assistant.prepare_assistant(
        demo.settings, assistant.DemoData(demo.context.demo_dir), SEED
    )
    assert "pip install 'retain[assistant]'" in line


def test_support_queue_has_every_state_and_sla_condition(demo: Demo) -> None:
    assert {"new", "open", "pending", "solved", "closed"} <= _values(demo.settings, Ticket.status)
    with session_scope(demo.settings.storage.store_url) as session:
        waiting = sum(sum(row.values()) for row in counts_by_state(session=session).values())
        board = sla_board(
            session,
            calendar=calendar_for(demo.settings),
            warning=timedelta(hours=demo.settings.support.warning_hours),
            at=utcnow(),
        )
        on_board = {item.ticket_id for item in board}
        on_time = [
            ticket
            for ticket in session.scalars(select(Ticket).where(Ticket.status == "new"))
            if ticket.first_response_due_at is not None and ticket.id not in on_board
        ]
    assert waiting > 0  # the Support page's chart counts these
    assert {"at_risk", "breached"} <= {item.state for item in board}
    assert on_time
    assert _count(demo.settings, Ticket.satisfaction.is_not(None), of=Ticket) > 0


def test_loyalty_programme_has_members_points_tiers_and_referrals(demo: Demo) -> None:
    assert _count(demo.settings, of=LoyaltyMember) > 0
    assert _count(demo.settings, LoyaltyEntry.source == "order", of=LoyaltyEntry) > 0
    assert _count(demo.settings, LoyaltyMember.tier.is_not(None), of=LoyaltyMember) > 0
    assert _count(demo.settings, of=LoyaltyTierChange) > 0
    assert "rewarded" in _values(demo.settings, LoyaltyReferral.status)
    assert _count(demo.settings, LoyaltyEntry.source == "referral", of=LoyaltyEntry) > 0
    assert _count(demo.settings, of=LoyaltyRedemption) > 0


def test_returns_are_in_every_state(demo: Demo) -> None:
    wanted = {path.final for path in PATHS}
    assert wanted <= _values(demo.settings, ReturnRequest.state)
    assert {"requested", "approved", "received", "declined", "expired"} <= wanted
    assert "refunded" in _values(demo.settings, ReturnRequest.resolution)


def test_surveys_are_answered_and_reviews_analysed_in_both_languages(demo: Demo) -> None:
    assert _count(demo.settings, of=SurveyAnswer) > 0
    assert _values(demo.settings, SurveyAnswer.kind) == {"NPS", "CSAT"}
    assert _count(demo.settings, FeedbackItem.analyzed_at.is_(None), of=FeedbackItem) == 0
    assert {"en", "zh"} <= _values(demo.settings, FeedbackItem.language)
    assert {"positive", "negative"} <= _values(demo.settings, FeedbackItem.sentiment)
    # Product regret counts the complaints of reviews that name a product.
    assert _count(demo.settings, FeedbackItem.product_id.is_not(None), of=FeedbackItem) > 0
    with session_scope(demo.settings.storage.store_url) as session:
        found = [item.aspects for item in session.scalars(select(FeedbackItem))]
    assert sum(bool(aspects) for aspects in found) > len(found) / 2


def test_survey_answers_reach_the_warehouse_the_feedback_page_reads(demo: Demo) -> None:
    backend = connect(demo.settings.storage.resolved_warehouse_url)
    try:
        response = backend.table("survey_response")
        answers = response.filter(response.response_id.startswith("survey:")).count().execute()
    finally:
        backend.disconnect()
    assert answers == _count(demo.settings, of=SurveyAnswer)


def test_running_the_steps_again_adds_nothing(demo: Demo) -> None:
    before = _row_counts(demo.settings)
    for step in WORKFLOW_STEPS:
        step.run(demo.context)
    assert _row_counts(demo.settings) == before


def _row_counts(settings: Settings) -> dict[str, int]:
    with session_scope(settings.storage.store_url) as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def test_what_the_steps_choose_follows_the_seed(demo: Demo) -> None:
    from retain.demo.workflow_data import DemoData
    from retain.demo.workflow_feedback import _reviews
    from retain.demo.workflow_returns import _choose_orders

    data = DemoData(demo.context.demo_dir)
    again = DemoData(demo.context.demo_dir)
    assert _reviews(data, SEED) == _reviews(again, SEED)
    assert _choose_orders(data, SEED, 30) == _choose_orders(again, SEED, 30)
    assert _reviews(data, SEED + 1) != _reviews(data, SEED)
    assert _choose_orders(data, SEED + 1, 30) != _choose_orders(data, SEED, 30)
