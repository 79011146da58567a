"""The chat API: signed customer tokens, conversations, CSAT, the rate limit, the summary."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from retain.auth.roles import Role
from retain.settings import Settings
from tests.api.conftest import auth


def test_a_customer_chats_with_a_token_the_business_issued(
    chat_environment: Settings,
    client: TestClient,
    tokens: dict[Role, str],
    configure: Callable[..., None],
) -> None:
    configure()
    issued = client.post(
        "/api/v1/assistant/tokens", json={"customer_id": "C1"}, headers=auth(tokens[Role.agent])
    )
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert issued.json()["chat_url"].endswith(f"/chat?token={token}")
    first = client.post("/api/v1/assistant/messages", json={"text": "hello", "token": token})
    assert first.status_code == 200 and first.json()["intent"] == "greeting"
    conversation = first.json()["conversation_id"]
    # Without the token the same conversation is someone else's.
    stranger = client.post(
        "/api/v1/assistant/messages", json={"text": "hi", "conversation_id": conversation}
    )
    assert stranger.status_code == 404
    forged = client.post(
        "/api/v1/assistant/messages", json={"text": "hello", "token": token[:-3] + "abc"}
    )
    assert forged.status_code == 401
    # A plain customer id is no credential.
    plain = client.post("/api/v1/assistant/messages", json={"text": "hello", "token": "C1"})
    assert plain.status_code == 401
    rated = client.post(
        f"/api/v1/assistant/conversations/{conversation}/rating",
        json={"rating": 5, "token": token},
    )
    assert rated.status_code == 200
    summary = client.get("/api/v1/assistant/summary", headers=auth(tokens[Role.viewer])).json()
    assert (summary["conversations"], summary["csat"], summary["ratings"]) == (1, 5.0, 1)
    assert summary["auto_resolution_rate"] == 1.0


def test_the_chat_is_rate_limited_per_address(
    chat_environment: Settings, client: TestClient, configure: Callable[..., None]
) -> None:
    configure(assistant_rate_limit="2/minute")
    answers = [
        client.post("/api/v1/assistant/messages", json={"text": "hello"}).status_code
        for _ in range(3)
    ]
    assert answers == [200, 200, 429]


def test_bad_messages_are_refused(
    chat_environment: Settings, client: TestClient, configure: Callable[..., None]
) -> None:
    configure()
    assert client.post("/api/v1/assistant/messages", json={"text": ""}).status_code == 422
    bad_email = client.post("/api/v1/assistant/messages", json={"text": "hi", "email": "nope"})
    assert bad_email.status_code == 422
    assert bad_email.headers["content-type"].startswith("application/problem+json")
