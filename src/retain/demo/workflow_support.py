"""The help centre's articles and a live support queue for the demo.

The imported ticket events are history: they live in the warehouse (where churn features and
the customer page read them) and every one of those tickets was closed long ago. The Support
page shows the store's queue of tickets not yet closed, so the demo opens a queue through the
support service: tickets in every state, some on time, some close to their SLA target and some
past it, as the SLA calendar in force measures them now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from retain.demo.workflow_data import ZH, DemoData, chance, now_minute, scaled
from retain.demo.workflow_texts import AGENT_QUESTION, AGENT_REPLY, AGENT_SOLVED, CUSTOMER_DETAIL
from retain.ingest.demo.vocabulary import SUBJECTS
from retain.locales import LANGUAGES
from retain.settings import Settings
from retain.store import migrated_session
from retain.support import csat, knowledge, service
from retain.support.deadlines import calendar_for, check_deadlines
from retain.support.importing import import_articles
from retain.support.models import Article, Ticket
from retain.support.sla import BusinessCalendar

ARTICLES = Path(__file__).parent / "help-centre.yaml"
DEMO_TAG = "demo"
TEAMS = ("shop-desk", "subscription-desk")
AGENT = "demo-agent"
# Deflection is judged a week after a view; views spread over eight such windows.
READ_WINDOW = timedelta(days=knowledge.DEFLECTION_DAYS)


def load_help_centre(settings: Settings, data: DemoData, seed: int) -> str:
    """Import the bilingual help-centre articles and customers' reading of them, once."""
    now = now_minute()
    with migrated_session(settings.storage.store_url) as session:
        result = import_articles(session, path=ARTICLES)
        published = knowledge.published_articles(session)
        read_before = knowledge.deflecting_articles(session, at=now + READ_WINDOW, limit=1)
        views = 0 if read_before else _read_articles(session, data, seed, published, now)
    by_language: dict[str, int] = {
        language: sum(article.language == language for article in published)
        for language in LANGUAGES
    }
    return (
        f"{by_language['en']} English and {by_language[ZH]} Chinese help-centre articles "
        f"({result.created} new), {views} article views"
    )


def _read_articles(
    session: Session, data: DemoData, seed: int, published: list[Article], now: datetime
) -> int:
    """Customers reading articles of their language over two months; some vote on them."""
    readers = data.pick_customers(
        seed, "articles", scaled(len(data.customers), per=8, low=60, high=800)
    )
    for customer_id in readers:
        draw = chance(seed, "article", customer_id)
        language = data.language_by_customer[customer_id]
        article = draw.choice([a for a in published if a.language == language])
        at = now - timedelta(days=draw.uniform(0, READ_WINDOW.days * 8))
        knowledge.record_article_use(
            session, article_id=article.id, source="help_centre", visitor=customer_id, at=at
        )
        if draw.random() < 0.3:
            knowledge.record_article_feedback(
                session,
                article_id=article.id,
                visitor=customer_id,
                helpful=draw.random() < 0.8,
                at=at,
            )
    return len(readers)


@dataclass(frozen=True)
class Scenario:
    """Where a demo ticket stands: its state and how it fares against its SLA targets."""

    name: str
    priority: str
    build: Callable[[Session, Ticket, datetime, str], None]
    # Business hours of its first-response target already used when the step runs, as a share
    # of the target: below 1 is on time, above 1 breached. None: opened ``age`` ago.
    used_share: float | None = None
    age: timedelta = timedelta(hours=2)


def _reply(session: Session, ticket: Ticket, at: datetime, language: str) -> None:
    service.add_message(
        session=session,
        ticket=ticket,
        author_kind="agent",
        author=AGENT,
        body=AGENT_REPLY[language],
        at=at,
    )


def _untouched(session: Session, ticket: Ticket, at: datetime, language: str) -> None:
    """A new ticket nobody has answered yet."""


def _open(session: Session, ticket: Ticket, at: datetime, language: str) -> None:
    _reply(session, ticket, at, language)


def agent_answers(
    session: Session, ticket: Ticket, *, body: str, status: str, at: datetime
) -> None:
    """An agent's message on ``ticket`` and the status it leaves the ticket in."""
    service.add_message(
        session=session, ticket=ticket, author_kind="agent", author=AGENT, body=body, at=at
    )
    service.change_status(session=session, ticket=ticket, status=status, actor=AGENT, at=at)


def _pending(session: Session, ticket: Ticket, at: datetime, language: str) -> None:
    _reply(session, ticket, at, language)
    asked = at + timedelta(minutes=5)
    agent_answers(session, ticket, body=AGENT_QUESTION[language], status="pending", at=asked)


def _solved(session: Session, ticket: Ticket, at: datetime, language: str) -> None:
    _reply(session, ticket, at, language)
    done = at + timedelta(hours=3)
    agent_answers(session, ticket, body=AGENT_SOLVED[language], status="solved", at=done)


def _closed(session: Session, ticket: Ticket, at: datetime, language: str) -> None:
    _solved(session, ticket, at, language)
    service.change_status(
        session=session, ticket=ticket, status="closed", actor=AGENT, at=at + timedelta(days=3)
    )


# Ages are real time; the answers come a fifth of the way in, so a late one stays late.
SCENARIOS = (
    Scenario("new, on time", "low", _untouched, used_share=0.1),
    # About 48 business minutes left, inside the default one-hour warning.
    Scenario("new, due soon", "urgent", _untouched, used_share=0.2),
    Scenario("new, due soon", "high", _untouched, used_share=0.8),
    Scenario("new, breached", "normal", _untouched, used_share=1.5),
    Scenario("open, on time", "normal", _open, used_share=0.3),
    Scenario("open, answered late", "high", _open, used_share=2.0),
    Scenario("pending", "normal", _pending, age=timedelta(days=2)),
    Scenario("solved", "normal", _solved, age=timedelta(days=2)),
    Scenario("solved", "low", _solved, age=timedelta(days=6)),
    Scenario("closed", "normal", _closed, age=timedelta(days=9)),
    Scenario("closed", "high", _closed, age=timedelta(days=16)),
)


def open_support_queue(settings: Settings, data: DemoData, seed: int) -> str:
    """Open the demo's tickets once (a second run finds them and adds nothing)."""
    calendar = calendar_for(settings)
    warning = timedelta(hours=settings.support.warning_hours)
    now = now_minute()
    count = scaled(len(data.customers), per=40, low=len(SCENARIOS) * 3, high=160)
    with migrated_session(settings.storage.store_url) as session:
        existing = service.list_tickets(session=session, tag=DEMO_TAG, limit=1)[1]
        if existing:
            return f"{existing} demo tickets already open"
        for team in TEAMS:
            service.create_team(session=session, name=team)
        customers = data.pick_customers(seed, "tickets", count)
        for number, customer_id in enumerate(customers):
            scenario = SCENARIOS[number % len(SCENARIOS)]
            _open_demo_ticket(session, data, seed, customer_id, scenario, calendar, now)
        session.flush()
        check_deadlines(session, calendar=calendar, warning=warning, at=now)
        states = service.counts_by_state(session=session)
    waiting = {state: sum(row.values()) for state, row in states.items()}
    shown = ", ".join(f"{count} {state}" for state, count in waiting.items() if count)
    return f"{len(customers)} tickets ({shown}, the rest closed)"


def _open_demo_ticket(
    session: Session,
    data: DemoData,
    seed: int,
    customer_id: str,
    scenario: Scenario,
    calendar: BusinessCalendar,
    now: datetime,
) -> None:
    draw = chance(seed, "ticket", customer_id)
    language = data.language_by_customer[customer_id]
    topic = draw.randrange(2)
    subject = draw.choice(SUBJECTS[(int(language == ZH), topic)])
    opened_at = _opened_at(calendar, scenario, now)
    ticket = service.open_ticket(
        session=session,
        customer_id=customer_id,
        requester_email=data.email_by_customer[customer_id],
        subject=subject,
        body=CUSTOMER_DETAIL[language].format(subject=subject),
        channel=draw.choice(("email", "web", "api")),
        priority=scenario.priority,
        tags=(DEMO_TAG, "shop" if topic == 0 else "subscription"),
        language=language,
        at=opened_at,
        calendar=calendar,
    )
    session.flush()
    service.assign(session=session, ticket=ticket, team=TEAMS[topic], at=opened_at)
    answered_at = opened_at + (now - opened_at) / 5
    scenario.build(session, ticket, answered_at, language)
    if ticket.status in ("solved", "closed") and draw.random() < 0.7:
        score = min(5, max(1, round(draw.gauss(4.1, 1.0))))
        csat.rate(session, ticket=ticket, score=score, at=answered_at + timedelta(hours=5))


def _opened_at(calendar: BusinessCalendar, scenario: Scenario, now: datetime) -> datetime:
    """When to open the ticket so that the share of its target used by ``now`` is as asked."""
    target = calendar.target(scenario.priority)
    if scenario.used_share is None or target is None:
        return now - scenario.age
    return _business_hours_before(calendar, now, target.first_response * scenario.used_share)


def _business_hours_before(
    calendar: BusinessCalendar, end: datetime, business: timedelta
) -> datetime:
    """The latest instant from which ``business`` time of the calendar has passed by ``end``.

    Business time elapsed up to ``end`` only grows as the start moves back, so a bisection on
    the start (to the minute, over at most a year) finds it.
    """
    earliest, latest = end - timedelta(days=366), end
    while latest - earliest > timedelta(minutes=1):
        middle = earliest + (latest - earliest) / 2
        if calendar.elapsed(middle, end) >= business:
            earliest = middle
        else:
            latest = middle
    return earliest.replace(microsecond=0)
