"""A NUL character anywhere in a request is bad input, located, never a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from retain.auth.roles import Role
from tests.api.conftest import auth


def test_a_nul_in_a_json_field_is_located(client: TestClient, tokens: dict[Role, str]) -> None:
    answer = client.post(
        "/api/v1/events",
        json={"orders": [{"order_id": "O\u00001", "customer_id": "C1"}]},
        headers=auth(tokens[Role.admin]),
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["location"] == "body.orders.0.order_id"
    assert "NUL" in answer.json()["detail"]


def test_the_anonymous_assistant_refuses_a_nul(client: TestClient) -> None:
    answer = client.post("/api/v1/assistant/messages", json={"text": "hello\u0000"})

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["location"] == "body.text"


def test_the_contact_form_answers_a_nul_with_a_page(client: TestClient) -> None:
    answer = client.post(
        "/help/contact",
        data={"email": "ann@example.org", "subject": "Hi\u0000", "body": "text"},
        headers={"Accept": "text/html"},
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("query", ["q=%00", "q%00=1"])
def test_a_nul_in_the_query_is_refused(
    client: TestClient, tokens: dict[Role, str], query: str
) -> None:
    answer = client.get(f"/api/v1/feedback/items?{query}", headers=auth(tokens[Role.admin]))

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["location"].startswith("query.q")


def test_text_that_only_mentions_percent_zero_zero_is_accepted(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    answer = client.get(
        "/api/v1/feedback/items", params={"q": "100%00"}, headers=auth(tokens[Role.admin])
    )

    assert answer.status_code == 200, answer.text
