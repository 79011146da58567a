"""The returns API and the customer portal, end to end over HTTP on a real store and warehouse."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from retain.auth.roles import Role
from retain.returns.models import ReturnRequest
from retain.settings import Settings
from retain.signatures import sign
from retain.store import session_scope
from tests.api.conftest import auth
from tests.returns.helpers import order, profile, store_url, warehouse_orders

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SECRET = "a shop secret of some length"


@pytest.fixture
def shop_order(environment: Settings) -> str:
    url = store_url(environment)
    from datetime import datetime, timedelta

    recent = datetime.now().replace(microsecond=0) - timedelta(days=3)
    warehouse_orders(
        environment,
        order("SO-1", lines=((2, Decimal("60.00")), (1, Decimal("19.99"))), ordered_at=recent),
    )
    profile(url, "C1", time_zone="Asia/Shanghai")
    return "SO-1"


def test_an_agent_takes_a_return_from_request_to_resolution(
    client: TestClient, tokens: dict[Role, str], shop_order: str
) -> None:
    agent = auth(tokens[Role.agent])
    body = {
        "order_id": shop_order,
        "items": [{"line_number": 1, "quantity": 2}],
        "reason": "changed_mind",
        "key": "phone-call-1",
    }
    preview = client.post("/api/v1/returns/preview", json=body, headers=agent)
    assert preview.status_code == 200, preview.text
    assert preview.json()["outcome"] == "review"  # 60.00 > 50: a person decides
    made = client.post("/api/v1/returns", json=body, headers=agent)
    assert made.status_code == 201
    again = client.post("/api/v1/returns", json=body, headers=agent)
    assert again.json()["return_id"] == made.json()["return_id"]
    return_id = made.json()["return_id"]
    path = f"/api/v1/returns/{return_id}"
    assert client.post(f"{path}/receive", headers=agent).status_code == 409  # not approved yet
    assert client.post(f"{path}/approve", headers=agent).json()["state"] == "approved"
    assert client.post(f"{path}/receive", headers=agent).json()["state"] == "received"
    inspected = client.post(f"{path}/transition", json={"to": "inspected"}, headers=agent)
    assert inspected.json()["state"] == "inspected"
    resolved = client.post(f"{path}/resolve", json={"resolution": "credit"}, headers=agent)
    assert resolved.json()["resolution"] == "credited"
    shown = client.get(path, headers=agent).json()
    assert [step["to_state"] for step in shown["history"]] == [
        "requested",
        "approved",
        "received",
        "inspected",
        "resolved",
    ]
    assert shown["history"][1]["actor"].startswith("key:")
    balance = client.get("/api/v1/returns/credit/C1", headers=agent).json()["balance"]
    assert Decimal(balance) == Decimal("60.00")
    listed = client.get("/api/v1/returns?state=resolved", headers=agent).json()
    assert [item["return_id"] for item in listed["items"]] == [return_id]


def test_declines_carry_reason_and_note_and_bad_input_is_named(
    client: TestClient, tokens: dict[Role, str], shop_order: str
) -> None:
    agent = auth(tokens[Role.agent])
    body = {
        "order_id": shop_order,
        "items": [{"line_number": 1, "quantity": 2}],
        "reason": "changed_mind",
        "key": "k",
    }
    return_id = client.post("/api/v1/returns", json=body, headers=agent).json()["return_id"]
    declined = client.post(
        f"/api/v1/returns/{return_id}/decline",
        json={"reason": "other", "note": "worn outside"},
        headers=agent,
    ).json()
    assert (declined["decline_reason"], declined["decline_note"]) == ("other", "worn outside")
    too_many = {**body, "key": "k2", "items": [{"line_number": 2, "quantity": 2}]}
    answer = client.post("/api/v1/returns", json=too_many, headers=agent)
    assert answer.status_code == 422 and "line 2" in answer.json()["detail"]
    missing = client.post(
        "/api/v1/returns", json={**body, "order_id": "NOPE", "key": "k3"}, headers=agent
    )
    assert missing.status_code == 404


def test_admins_set_policy_and_webhook_and_the_shop_confirms(
    client: TestClient, tokens: dict[Role, str], shop_order: str
) -> None:
    admin = auth(tokens[Role.admin])
    bad = client.put("/api/v1/returns/policy", json={"text": "window_days: -3"}, headers=admin)
    assert bad.status_code == 422 and "window_days" in bad.json()["detail"]
    policy = "window_days: 30\nreasons: [damaged]\nauto_approve: ['value < 1000']\n"
    assert (
        client.put("/api/v1/returns/policy", json={"text": policy}, headers=admin).status_code
        == 200
    )
    hook = {"url": "http://127.0.0.1:9/returns", "secret": SECRET}
    assert client.put("/api/v1/returns/webhook", json=hook, headers=admin).json()["configured"]
    body = {
        "order_id": shop_order,
        "items": [{"line_number": 2, "quantity": 1}],
        "reason": "damaged",
        "key": "w",
    }
    return_id = client.post("/api/v1/returns", json=body, headers=admin).json()["return_id"]
    for step in ("in_transit", "received", "inspected"):
        client.post(f"/api/v1/returns/{return_id}/transition", json={"to": step}, headers=admin)
    client.post(f"/api/v1/returns/{return_id}/resolve", json={}, headers=admin)
    key = client.get("/api/v1/returns/instructions", headers=admin).json()["items"][0]["key"]
    payload = json.dumps({"status": "refunded", "reference": "re_123"}).encode()
    stamp = str(int(time.time()))
    route = f"/api/v1/returns/instructions/{key}/confirm"
    forged = client.post(
        route,
        content=payload,
        headers={"X-Retain-Timestamp": stamp, "X-Retain-Signature": "0" * 64},
    )
    assert forged.status_code == 401
    signed = {
        "X-Retain-Timestamp": stamp,
        "X-Retain-Signature": sign(secret=SECRET, timestamp=stamp, body=payload),
    }
    assert client.post(route, content=payload, headers=signed).json() == {
        "confirmed": True,
        "new": True,
    }
    assert client.post(route, content=payload, headers=signed).json()["new"] is False
    found = client.get("/api/v1/returns/instructions?status=confirmed", headers=admin).json()[
        "items"
    ]
    assert [item["key"] for item in found] == [key]


def test_the_portal_finds_the_order_previews_and_submits_once(
    client: TestClient, environment: Settings, shop_order: str
) -> None:
    wrong = client.post("/r/start", data={"order_id": shop_order, "email": "x@example.com"})
    assert wrong.status_code == 404
    found = client.post(
        "/r/start",
        data={"order_id": shop_order, "email": "C1@Example.com", "lang": "zh"},
        follow_redirects=False,
    )
    assert found.status_code == 303
    page = client.get(found.headers["location"])
    assert "退货" in page.text and "SO-1" in page.text
    key = re.search(r'name="key" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {
        "key": key,
        "qty_1": "1",
        "qty_2": "0",
        "condition_1": "opened",
        "reason": "changed_mind",
        "resolution": "refund",
        "action": "preview",
    }
    preview = client.post(found.headers["location"], data=form)
    assert "立即批准" in preview.text and "30.00 EUR" in preview.text
    submitted = client.post(
        found.headers["location"],
        data={**form, "action": "submit"},
        files=[("photos", ("a.png", PNG, "image/png"))],
    )
    assert submitted.status_code == 200 and "您的退货已登记" in submitted.text
    client.post(found.headers["location"], data={**form, "action": "submit"})
    with session_scope(environment.storage.store_url) as session:
        requests = session.query(ReturnRequest).all()
        assert len(requests) == 1 and requests[0].photos.endswith(".png")
    assert (
        environment.storage.data_dir / "returns" / "photos" / requests[0].photos
    ).read_bytes() == PNG
    fake = client.post(
        found.headers["location"],
        data={**form, "key": "other", "action": "submit"},
        files=[("photos", ("a.png", b"<?php echo 1;", "image/png"))],
    )
    assert fake.status_code == 422 and "not a JPEG, PNG or WebP" in fake.text
    assert client.get("/r/not-a-token").status_code == 410


def test_the_order_lookup_is_rate_limited(
    client: TestClient, configure: Callable[..., None], shop_order: str
) -> None:
    configure(returns_start_rate_limit="3/minute")
    answers = [
        client.post("/r/start", data={"order_id": shop_order, "email": "x@example.com"}).status_code
        for _ in range(4)
    ]
    assert answers == [404, 404, 404, 429]
