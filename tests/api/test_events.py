"""POST /api/v1/events: validation, idempotency across retries and restarts, signatures, limits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from retain.api import create_app
from retain.auth.roles import Role
from retain.settings import Settings
from retain.signatures import sign
from tests.api.conftest import auth
from tests.api.shop import shop_batch
from tests.helpers import warehouse_count


def test_a_batch_reaches_the_warehouse_and_the_metrics(
    client: TestClient, tokens: dict[Role, str], environment: Settings
) -> None:
    batch = shop_batch()
    answer = client.post("/api/v1/events", json=batch, headers=auth(tokens[Role.analyst]))
    assert answer.status_code == 200, answer.text
    inserted = {row["kind"]: row["inserted"] for row in answer.json()["results"]}
    assert inserted["customers"] == len(batch["customers"])
    assert inserted["orders"] == len(batch["orders"])
    assert warehouse_count(environment, "order") == len(batch["orders"])
    assert warehouse_count(environment, "usage_event") == len(batch["usage_events"])
    metrics = client.get(
        "/api/v1/metrics",
        params={"from": "2025-10-01", "to": "2026-10-31", "period": "year"},
        headers=auth(tokens[Role.viewer]),
    )
    assert metrics.status_code == 200, metrics.text
    sent_orders = [
        o
        for o in batch["orders"]
        if date(2025, 10, 1) <= date.fromisoformat(o["ordered_at"][:10])
        and date.fromisoformat(o["ordered_at"][:10]) <= date(2026, 10, 31)
    ]
    assert sum(row["orders"] for row in metrics.json()["items"]) == len(sent_orders)


def test_bad_rows_are_named_and_nothing_of_their_kind_is_imported(
    client: TestClient, tokens: dict[Role, str], environment: Settings
) -> None:
    batch = shop_batch(customers=2)
    batch["orders"][1]["amount"] = "twelve"
    batch["orders"][0]["customer_id"] = "NOBODY"
    answer = client.post("/api/v1/events", json=batch, headers=auth(tokens[Role.admin]))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    locations = {error["location"] for error in problem["errors"]}
    assert "body.orders[1].amount" in locations
    assert "nothing of orders was imported" in problem["detail"]
    assert "already applied: customers" in problem["detail"]
    assert warehouse_count(environment, "order") == 0


def test_unknown_fields_and_kinds_are_refused_before_anything_runs(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    answer = client.post(
        "/api/v1/events",
        json={"orders": [{"order_id": "1", "colour": "red"}], "refunds": []},
        headers=auth(tokens[Role.admin]),
    )
    assert answer.status_code == 422
    locations = {error["location"] for error in answer.json()["errors"]}
    assert {"body.orders.0.colour", "body.refunds"} <= locations


@pytest.mark.parametrize(
    ("customer", "reason"),
    [
        ({"customer_id": "C1", "nick\u0000name": "x"}, "NUL character"),
        ({"customer_id": "C1", "name": "\ud800"}, "not valid Unicode"),
    ],
)
def test_text_no_file_could_hold_is_refused_with_its_place(
    client: TestClient,
    tokens: dict[Role, str],
    environment: Settings,
    customer: dict[str, str],
    reason: str,
) -> None:
    answer = client.post(
        "/api/v1/events",
        # json.dumps escapes what httpx's own encoder would refuse to send (a lone surrogate).
        content=json.dumps({"customers": [customer]}),
        headers={**auth(tokens[Role.admin]), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert reason in answer.json()["detail"]
    assert answer.json()["errors"][0]["location"].startswith("body.customers")
    assert warehouse_count(environment, "customer") == 0


def test_a_retry_with_the_same_key_replays_the_first_answer(
    client: TestClient, tokens: dict[Role, str], environment: Settings
) -> None:
    batch = shop_batch(customers=2)
    headers = {**auth(tokens[Role.analyst]), "Idempotency-Key": "batch-1"}
    first = client.post("/api/v1/events", json=batch, headers=headers)
    again = client.post("/api/v1/events", json=batch, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert warehouse_count(environment, "order") == len(batch["orders"])


def test_the_key_survives_a_restart_and_refuses_another_body(
    environment: Settings, tokens: dict[Role, str]
) -> None:
    batch = shop_batch(customers=2)
    headers = {**auth(tokens[Role.analyst]), "Idempotency-Key": "batch-2"}
    with TestClient(create_app()) as first_process:
        first = first_process.post("/api/v1/events", json=batch, headers=headers)
    with TestClient(create_app()) as second_process:
        replay = second_process.post("/api/v1/events", json=batch, headers=headers)
        batch["orders"][0]["amount"] = 99
        changed = second_process.post("/api/v1/events", json=batch, headers=headers)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert changed.status_code == 409
    assert "different body" in changed.json()["detail"]


def test_keys_belong_to_their_caller(client: TestClient, tokens: dict[Role, str]) -> None:
    batch = shop_batch(customers=1)
    for role in (Role.admin, Role.analyst):
        answer = client.post(
            "/api/v1/events",
            json=batch,
            headers={**auth(tokens[role]), "Idempotency-Key": "same"},
        )
        assert "Idempotent-Replayed" not in answer.headers


def test_concurrent_retries_apply_the_batch_once(
    client: TestClient, tokens: dict[Role, str], environment: Settings
) -> None:
    batch = shop_batch(customers=3)
    headers = {**auth(tokens[Role.analyst]), "Idempotency-Key": "racing"}
    statuses: list[int] = []

    def send() -> None:
        statuses.append(client.post("/api/v1/events", json=batch, headers=headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) >= 1
    assert set(statuses) <= {200, 409}
    assert warehouse_count(environment, "order") == len(batch["orders"])
    settled = client.post("/api/v1/events", json=batch, headers=headers)
    assert settled.status_code == 200
    assert settled.headers["Idempotent-Replayed"] == "true"
    assert sum(row["inserted"] for row in settled.json()["results"]) == sum(
        len(rows) for rows in batch.values()
    )


@pytest.fixture
def signed(configure: Callable[..., None]) -> str:
    configure(webhook_secret="whsec-for-tests-only-0123456789")
    return "whsec-for-tests-only-0123456789"


def test_signed_intake_needs_a_fresh_matching_signature(
    signed: str, tokens: dict[Role, str]
) -> None:
    body = json.dumps(shop_batch(customers=1)).encode()
    base = {**auth(tokens[Role.analyst]), "Content-Type": "application/json"}
    now = str(int(time.time()))
    cases = {
        "missing": {},
        "wrong": {"X-Retain-Timestamp": now, "X-Retain-Signature": "sha256=00"},
        "stale": {
            "X-Retain-Timestamp": str(int(time.time()) - 3600),
            "X-Retain-Signature": sign(
                secret=signed, timestamp=str(int(time.time()) - 3600), body=body
            ),
        },
        "other body": {
            "X-Retain-Timestamp": now,
            "X-Retain-Signature": sign(secret=signed, timestamp=now, body=body + b" "),
        },
    }
    with TestClient(create_app()) as client:
        for name, extra in cases.items():
            answer = client.post("/api/v1/events", content=body, headers={**base, **extra})
            assert answer.status_code == 401, name
        good = {
            "X-Retain-Timestamp": now,
            "X-Retain-Signature": sign(secret=signed, timestamp=now, body=body),
        }
        answer = client.post("/api/v1/events", content=body, headers={**base, **good})
        assert answer.status_code == 200, answer.text


def test_intake_is_rate_limited_per_caller(
    tokens: dict[Role, str], configure: Callable[..., None]
) -> None:
    configure(intake_rate_limit="2/minute")
    with TestClient(create_app()) as client:
        answers = [
            client.post("/api/v1/events", json={}, headers=auth(tokens[Role.analyst]))
            for _ in range(3)
        ]
        other = client.post("/api/v1/events", json={}, headers=auth(tokens[Role.admin]))
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert other.status_code == 200
