"""CSAT links (bound to their ticket, unforgeable), the rating report, the warehouse export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from retain import signed_links
from retain.auth.models import User
from retain.auth.sessions import signing_key
from retain.messaging.models import Delivery
from retain.settings import Settings
from retain.store import session_scope
from retain.support import csat, service
from retain.support.events import export_events, warehouse_kind
from retain.support.service import SupportError
from retain.warehouse import connect
from tests.support.helpers import T0, store_url, ticket_in


def _token(url: str) -> str:
    return url.split("/help/rate/", 1)[1].split("?", 1)[0]


def test_solved_tickets_are_asked_once_with_links_bound_to_them(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session:
        solved = ticket_in(session, "solved", customer_id="C1")
        other = ticket_in(session, "solved", customer_id="C2")
        ticket_in(session, "open", customer_id="C3")
        assert csat.ask_for_ratings(session, settings=settings, at=T0) == 2
        assert csat.ask_for_ratings(session, settings=settings, at=T0) == 0
        deliveries = {d.customer_id: d for d in session.scalars(select(Delivery))}
        assert set(deliveries) == {"C1", "C2"}
        token = _token(deliveries["C1"].context["rate_url_5"])
        assert deliveries["C1"].template == "ticket-csat"
        assert csat.read_rating_token(settings, token=token, at=T0) == solved.id
        other_token = _token(deliveries["C2"].context["rate_url_1"])
        assert csat.read_rating_token(settings, token=other_token, at=T0) == other.id


def test_a_rating_link_cannot_be_forged_or_moved(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session:
        ticket = ticket_in(session, "solved")
        token = csat.rating_token(settings, ticket=ticket, at=T0)
        # The same claims for another ticket, signed without the key, or for another purpose.
        forged = signed_links.sign(
            secret="guess",
            purpose="csat",
            claims={"t": ticket.id + 1},
            expires_at=T0 + timedelta(days=1),
        )
        other_purpose = signed_links.sign(
            secret=signing_key(settings),
            purpose="unsubscribe",
            claims={"t": ticket.id + 1},
            expires_at=T0 + timedelta(days=1),
        )
        for bad in (forged, other_purpose, token[:-3] + "abc"):
            with pytest.raises(signed_links.BadLink):
                csat.read_rating_token(settings, token=bad, at=T0)
        expired = T0 + timedelta(days=settings.support.csat_link_days + 1)
        with pytest.raises(signed_links.BadLink, match="expired"):
            csat.read_rating_token(settings, token=token, at=expired)


def test_ratings_are_reported_by_agent_and_team(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session:
        agents = [User(username=n, password_hash="x", role="agent", created_at=T0) for n in "ab"]
        session.add_all(agents)
        session.flush()
        service.create_team(session=session, name="care", member_ids=[a.id for a in agents])
        for agent, score in ((agents[0], 5), (agents[0], 2), (agents[1], 4)):
            ticket = ticket_in(session, "open")
            service.assign(session=session, ticket=ticket, assignee_id=agent.id, team="care", at=T0)
            service.change_status(session=session, ticket=ticket, status="solved", at=T0)
            csat.rate(session, ticket=ticket, score=score, at=T0)
        with pytest.raises(SupportError, match="once solved"):
            csat.rate(session, ticket=ticket_in(session, "open"), score=5, at=T0)
        with pytest.raises(SupportError, match="1 to 5"):
            csat.rate(session, ticket=ticket, score=6, at=T0)
        rows = {(r.group, r.name): r for r in csat.csat_report(session)}
        assert (rows["agent", "a"].ratings, rows["agent", "a"].average) == (2, 3.5)
        assert rows["agent", "a"].satisfied_share == 0.5
        assert (rows["team", "care"].ratings, rows["team", "care"].satisfied_share) == (3, 0.667)


def test_ticket_events_reach_the_warehouse_exactly_once(settings: Settings) -> None:
    url = store_url(settings)
    with session_scope(url) as session:
        known = ticket_in(session, "solved", customer_id="C1")
        csat.rate(session, ticket=known, score=4, at=T0)
        service.open_ticket(
            session=session,
            customer_id=None,
            requester_email="x@example.com",
            subject="s",
            body="b",
            channel="web",
            at=T0,
        )
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        first = export_events(store_url=url, backend=backend)
        again = export_events(store_url=url, backend=backend)
        events = backend.table("ticket_event").to_pandas().sort_values("event_id")
    finally:
        backend.disconnect()
    # opened, resolved, and the rating (a resolved row with its score); new → open and the
    # visitor's ticket stay in the store.
    assert (first, again) == (3, 0)
    assert set(events["customer_id"]) == {"C1"}
    assert events["kind"].tolist() == ["opened", "resolved", "resolved"]
    assert events["satisfaction"].dropna().tolist() == [4]
    assert events["ticket_id"].unique().tolist() == [f"RT-{known.id}"]


@pytest.mark.parametrize(
    ("kind", "detail", "expected"),
    [
        ("created", {}, "opened"),
        ("replied", {"author_kind": "agent"}, "replied"),
        ("status", {"from": "new", "to": "open"}, None),
        ("status", {"from": "open", "to": "pending"}, None),
        ("status", {"from": "open", "to": "solved"}, "resolved"),
        ("status", {"from": "solved", "to": "open"}, "reopened"),
        ("status", {"from": "solved", "to": "closed"}, "closed"),
        ("rated", {"score": 5, "status": "closed"}, "closed"),
        ("note", {}, None),
        ("sla_breach", {"target": "resolution"}, None),
    ],
)
def test_store_events_map_to_the_warehouse_vocabulary(
    kind: str, detail: dict[str, object], expected: str | None
) -> None:
    assert warehouse_kind(kind, detail) == expected
