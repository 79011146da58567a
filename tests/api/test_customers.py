"""The customer list and the customer-360 view, on data sent through the intake."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from retain.auth.roles import Role
from retain.customer360.schemas import Customer360
from retain.customer360.service import customer_360
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import connect
from tests.api.conftest import auth
from tests.api.shop import NOW, shop_batch


def view_of(environment: Settings, customer_id: str) -> Customer360:
    """The customer-360 view as of the shop's NOW, straight from the service."""
    backend = connect(environment.storage.resolved_warehouse_url)
    try:
        with session_scope(environment.storage.store_url) as session:
            view = customer_360(
                session=session, backend=backend, customer_id=customer_id, as_of=NOW
            )
    finally:
        backend.disconnect()
    assert view is not None
    return view


@pytest.fixture
def shop(client: TestClient, tokens: dict[Role, str]) -> dict[str, list[dict]]:
    batch = shop_batch()
    answer = client.post("/api/v1/events", json=batch, headers=auth(tokens[Role.admin]))
    assert answer.status_code == 200, answer.text
    return batch


def test_the_360_view_holds_what_was_sent(
    environment: Settings, tokens: dict[Role, str], shop: dict[str, list[dict]]
) -> None:
    customer = shop["customers"][0]["customer_id"]
    view = view_of(environment, customer)
    assert view.profile.email == shop["customers"][0]["email"]
    assert view.profile.attributes == {"loyalty_tier": "gold"}
    mine = [o for o in shop["orders"] if o["customer_id"] == customer]
    assert [o.order_id for o in view.orders.recent] == [
        o["order_id"] for o in sorted(mine, key=lambda o: o["ordered_at"], reverse=True)
    ]
    assert view.orders.totals[0].amount == sum(Decimal(str(o["amount"])) for o in mine)
    [subscription] = view.subscriptions
    assert (subscription.plan, subscription.status, subscription.mrr) == ("pro", "active", 49)
    [ticket] = view.tickets
    assert (ticket.state, ticket.subject) == ("resolved", "Where is my parcel?")
    assert [f.score for f in view.feedback] == [9]
    assert [r.return_id for r in view.returns] == ["RET-1"]
    assert len(view.usage_weekly) == 13
    assert all(week.week.weekday() == 0 for week in view.usage_weekly)


def test_weekly_usage_counts_each_week_and_fills_quiet_ones(
    environment: Settings, shop: dict[str, list[dict]]
) -> None:
    customer = shop["customers"][5]["customer_id"]
    sent = [e for e in shop["usage_events"] if e["customer_id"] == customer]
    view = view_of(environment, customer)
    weeks = {w.week.date(): w.events for w in view.usage_weekly}
    expected: dict = {}
    for event in sent:
        day = datetime.fromisoformat(event["occurred_at"]).date()
        monday = day - timedelta(days=day.weekday())
        expected[monday] = expected.get(monday, 0) + 1
    assert {week: count for week, count in weeks.items() if count} == expected
    assert sum(weeks.values()) == len(sent)


def test_the_route_answers_404_for_strangers(
    client: TestClient, tokens: dict[Role, str], shop: dict[str, list[dict]]
) -> None:
    agent = auth(tokens[Role.agent])
    found = client.get(f"/api/v1/customers/{shop['customers'][1]['customer_id']}", headers=agent)
    assert found.status_code == 200
    assert found.json()["profile"]["name"] == shop["customers"][1]["name"]
    missing = client.get("/api/v1/customers/NOBODY", headers=agent)
    assert missing.status_code == 404
    assert "NOBODY" in missing.json()["detail"]


def test_the_list_searches_filters_sorts_and_pages(
    client: TestClient, tokens: dict[Role, str], shop: dict[str, list[dict]]
) -> None:
    agent = auth(tokens[Role.agent])
    everyone = client.get("/api/v1/customers", params={"limit": 4}, headers=agent).json()
    assert everyone["total"] == len(shop["customers"])
    assert len(everyone["items"]) == 4
    rest = client.get("/api/v1/customers", params={"limit": 4, "offset": 4}, headers=agent).json()
    ids = [c["customer_id"] for c in everyone["items"] + rest["items"]]
    assert ids == sorted(c["customer_id"] for c in shop["customers"])
    chinese = client.get("/api/v1/customers", params={"q": "客户"}, headers=agent).json()
    assert {c["customer_id"] for c in chinese["items"]} == {
        c["customer_id"] for c in shop["customers"] if c["name"].startswith("客户")
    }
    cn = client.get("/api/v1/customers", params={"country": "cn"}, headers=agent).json()
    assert cn["total"] == sum(1 for c in shop["customers"] if c["country"] == "CN")
    newest = client.get("/api/v1/customers", params={"sort": "-signup_at"}, headers=agent).json()
    signups = [c["signup_at"] for c in newest["items"]]
    assert signups == sorted(signups, reverse=True)
    wildcard = client.get("/api/v1/customers", params={"q": "%"}, headers=agent).json()
    assert wildcard["total"] == 0
    bad = client.get("/api/v1/customers", params={"limit": 0, "sort": "name"}, headers=agent)
    assert bad.status_code == 422
    assert {e["location"] for e in bad.json()["errors"]} == {"query.limit", "query.sort"}


def test_customer_indexes_are_made_once_and_change_no_answer(
    client: TestClient,
    tokens: dict[Role, str],
    shop: dict[str, list[dict]],
    environment: Settings,
) -> None:
    from typer.testing import CliRunner

    from retain.cli import app

    agent = auth(tokens[Role.agent])
    customer = shop["customers"][0]["customer_id"]
    before = client.get(f"/api/v1/customers/{customer}", headers=agent).json()
    for _ in range(2):
        made = CliRunner().invoke(app, ["warehouse", "index"])
        assert made.exit_code == 0, made.output
    backend = connect(environment.storage.resolved_warehouse_url)
    try:
        sql = (
            "SELECT index_name FROM duckdb_indexes()"
            if backend.name == "duckdb"
            else "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        )
        names = {row[0] for row in backend.raw_sql(sql).fetchall()}
    finally:
        backend.disconnect()
    assert {"order_customer_id", "usage_event_customer_id", "customer_customer_id"} <= names
    after = client.get(f"/api/v1/customers/{customer}", headers=agent).json()
    assert after == before


def test_the_360_view_shows_consent_given_through_the_api(
    environment: Settings, client: TestClient, tokens: dict[Role, str], shop: dict[str, list[dict]]
) -> None:
    customer = shop["customers"][0]["customer_id"]
    assert view_of(environment, customer).consent == []
    answer = client.put(
        f"/api/v1/customers/{customer}/consent",
        json={"channel": "sms", "granted": False, "source": "call centre"},
        headers=auth(tokens[Role.agent]),
    )
    assert answer.status_code == 200, answer.text
    [consent] = view_of(environment, customer).consent
    assert (consent.channel, consent.granted, consent.source) == ("sms", False, "call centre")


def test_an_active_subscription_shows_its_next_renewal_not_a_past_one(
    environment: Settings, shop: dict[str, list[dict]]
) -> None:
    # The shop's subscription started 90 days before NOW and first renews 30 days after it
    # (a four-month period); 60 days after NOW that date has passed without a logged renewal.
    later = NOW + timedelta(days=60)
    backend = connect(environment.storage.resolved_warehouse_url)
    try:
        with session_scope(environment.storage.store_url) as session:
            view = customer_360(
                session=session,
                backend=backend,
                customer_id=shop["customers"][0]["customer_id"],
                as_of=later,
            )
    finally:
        backend.disconnect()
    assert view is not None
    [subscription] = view.subscriptions
    assert subscription.renews_at == datetime(2027, 4, 20, 12, 0)
