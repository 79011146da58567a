"""The support API and the public help centre, end to end over HTTP on both stores."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from retain.auth.roles import Role
from retain.messaging.models import Delivery
from retain.settings import Settings
from retain.store import session_scope
from tests.api.conftest import auth

ARTICLES = [
    {
        "slug": "refunds",
        "title": "Refunds",
        "body": "Refunds reach your card in 5 days.",
        "language": "en",
        "category": "billing",
        "status": "published",
    },
    {
        "slug": "tui-kuan",
        "title": "退款说明",
        "body": "退款将在五天内退回您的银行卡。",
        "language": "zh-CN",
        "category": "billing",
        "status": "published",
    },
]


def test_a_ticket_from_open_to_rated(
    client: TestClient, tokens: dict[Role, str], environment: Settings
) -> None:
    agent = auth(tokens[Role.agent])
    created = client.post(
        "/api/v1/tickets",
        headers=agent,
        json={"customer_id": "C1", "subject": "Refund", "body": "Where is it?", "tags": ["Refund"]},
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["customer_url"] == "/customers/C1"
    assert ticket["first_response_due_at"] is not None  # the default calendar sets targets
    tid = ticket["id"]
    put = client.put(
        "/api/v1/canned-replies",
        headers=agent,
        json={"name": "refund", "body": "About request #{{ ticket.id }}: refunds take 5 days."},
    )
    assert put.status_code == 200
    bad = client.put(
        "/api/v1/canned-replies", headers=agent, json={"name": "x", "body": "{{ nope.field }}"}
    )
    assert bad.status_code == 422
    reply = client.post(f"/api/v1/tickets/{tid}/messages", headers=agent, json={"canned": "refund"})
    assert reply.json()["body"] == f"About request #{tid}: refunds take 5 days."
    note = {"author_kind": "note", "body": "checked the payment"}
    assert (
        client.post(f"/api/v1/tickets/{tid}/messages", headers=agent, json=note).status_code == 201
    )
    illegal = client.post(f"/api/v1/tickets/{tid}/status", headers=agent, json={"status": "closed"})
    assert illegal.status_code == 409
    assert "application/problem+json" in illegal.headers["content-type"]
    solved = client.post(f"/api/v1/tickets/{tid}/status", headers=agent, json={"status": "solved"})
    assert solved.json()["status"] == "solved"
    detail = client.get(f"/api/v1/tickets/{tid}", headers=agent).json()
    assert [m["author_kind"] for m in detail["messages"]] == ["customer", "agent", "note"]

    with session_scope(environment.storage.store_url) as session:
        [delivery] = session.scalars(select(Delivery).where(Delivery.template == "ticket-csat"))
        link = delivery.context["rate_url_2"]
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and 'value="2" checked' in page.text
    assert client.post("/" + path.split("?")[0], data={"score": "2"}).status_code == 200
    assert client.get(f"/api/v1/tickets/{tid}", headers=agent).json()["satisfaction"] == 2
    forged = client.post(
        "/help/rate/" + "x" + path.split("/")[-1].split("?")[0], data={"score": "5"}
    )
    assert forged.status_code == 403
    report = client.get("/api/v1/support/csat", headers=auth(tokens[Role.viewer])).json()["items"]
    assert {(row["group"], row["ratings"]) for row in report} == {("agent", 1), ("team", 1)}


def test_the_help_centre_searches_both_languages_and_takes_feedback(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    for article in ARTICLES:
        made = client.post("/api/v1/kb/articles", headers=auth(tokens[Role.agent]), json=article)
        assert made.status_code == 201, made.text
    english = client.get("/help", params={"q": "refund to my card", "lang": "en"})
    assert 'href="/help/articles/refunds?lang=en"' in english.text
    chinese = client.get("/help", params={"q": "我的退款什么时候到", "lang": "zh-CN"})
    assert "/help/articles/tui-kuan" in chinese.text and "帮助中心" in chinese.text
    assert "retain_visitor" in english.cookies
    page = client.get("/help/articles/tui-kuan")
    assert "这篇文章对您有帮助吗" in page.text
    voted = client.post("/help/articles/tui-kuan/feedback", data={"helpful": "yes"})
    assert 'id="thanks"' in voted.text
    assert client.get("/help/articles/no-such").status_code == 404
    api = client.get("/api/v1/kb/search", params={"q": "退款"}, headers=auth(tokens[Role.viewer]))
    assert [hit["article"]["slug"] for hit in api.json()] == ["tui-kuan"]


def test_the_contact_form_opens_a_ticket_and_is_rate_limited(
    client: TestClient, tokens: dict[Role, str], configure: Callable[..., None]
) -> None:
    configure(help_contact_rate_limit="2/hour")
    form = {"email": "ann@example.com", "subject": "Help", "message": "My order is late"}
    sent = client.post("/help/contact", data=form)
    assert sent.status_code == 200
    ticket_id = int(re.search(r"#(\d+)", sent.text).group(1))  # type: ignore[union-attr]
    ticket = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth(tokens[Role.agent])).json()
    assert (ticket["channel"], ticket["requester_email"]) == ("web", "ann@example.com")
    assert client.post("/help/contact", data={**form, "email": "nobody"}).status_code == 422
    assert client.post("/help/contact", data=form).status_code == 429
