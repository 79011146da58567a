"""``retain loyalty``/``retain referrals`` and ``/api/v1/loyalty`` on imported orders; the page."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from retain.cli import app
from retain.clock import utcnow
from retain.loyalty.member_page import sign_link
from retain.settings import Settings, get_settings
from retain.warehouse import connect
from tests.helpers import signed_in_client

SECRET = "a-long-random-test-secret-0123456789"
RULES = """
points_per_unit: {USD: 1}
return_window_days: 0
events: {review: 50}
campaigns:
  - {name: weekend, multiplier: 2, weekdays: [sat, sun]}
tiers:
  - {name: silver, threshold: 100}
rewards:
  - {name: ten-off, kind: coupon, cost: 100, value: 10, currency: USD}
"""


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def _json(*arguments: str) -> list[dict[str, object]]:
    code, out, err = run(*arguments, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def shop(environment: Settings, tmp_path: Path) -> Settings:
    """Ten customers with two orders each (a Monday and a Saturday), C9's second refunded."""
    customers = pd.DataFrame(
        {"customer_id": [f"C{n}" for n in range(10)], "signup_at": "2025-01-01T00:00:00Z"}
    )
    orders = pd.DataFrame(
        [
            (f"C{n}-{k}", f"C{n}", day, "120.50", "USD", status)
            for n in range(10)
            for k, (day, status) in enumerate(
                [
                    ("2025-03-03T10:00:00Z", "paid"),
                    ("2025-03-08T10:00:00Z", "refunded" if n == 9 else "paid"),
                ]
            )
        ],
        columns=["order_id", "customer_id", "ordered_at", "amount", "currency", "status"],
    )
    customers.to_csv(tmp_path / "customers.csv", index=False)
    orders.to_csv(tmp_path / "orders.csv", index=False)
    for kind in ("customers", "orders"):
        code, _, err = run("ingest", kind, str(tmp_path / f"{kind}.csv"))
        assert code == 0, err
    (tmp_path / "rules.yaml").write_text(RULES)
    assert run("loyalty", "rules", "load", str(tmp_path / "rules.yaml"))[0] == 0
    return environment


def test_cli_earns_orders_once_and_reverses_refunds(shop: Settings, tmp_path: Path) -> None:
    for customer in ("C1", "C9"):
        assert run("loyalty", "enroll", customer, "--at", "2025-02-01")[0] == 0

    (first,) = _json("loyalty", "earn")
    (again,) = _json("loyalty", "earn")
    (c1,) = _json("loyalty", "balance", "C1")
    (c9,) = _json("loyalty", "balance", "C9")

    # 120 on Monday; 120 + a 120 weekend bonus on Saturday; C9's refunded order earns nothing.
    assert (first["orders"], first["entries"], first["points"]) == (4, 4, 480)
    assert again["entries"] == 0
    assert c1["available"] == 360 and c9["available"] == 120
    history = _json("loyalty", "history", "C1", "--limit", "2")
    assert len(history) == 2 and history[0]["source"] == "order"


def test_cli_redeem_coupon_tiers_export_report(shop: Settings) -> None:
    run("loyalty", "enroll", "C1", "--at", "2025-02-01")
    _json("loyalty", "earn")

    (redeemed,) = _json("loyalty", "redeem", "C1", "ten-off", "--key", "checkout-1")
    (coupon,) = _json("loyalty", "coupon", redeemed["code"])
    changes = _json("loyalty", "tiers", "evaluate", "--at", "2025-06-01")
    code, out, _ = run("loyalty", "export")
    code_again, out_again, _ = run("loyalty", "export")
    (summary,) = _json("loyalty", "report")
    preview = _json("loyalty", "rules", "preview")

    assert redeemed["status"] == "confirmed" and coupon["valid"] is True
    assert [change["to_tier"] for change in changes] == ["silver"]
    assert (code, out.strip()) == (0, "4 loyalty events added to the warehouse")
    assert out_again.strip() == "0 loyalty events added to the warehouse" and code_again == 0
    backend = connect(shop.storage.resolved_warehouse_url)
    try:
        events = backend.table("loyalty_event").to_pandas()
    finally:
        backend.disconnect()
    assert sorted(events["kind"]) == ["earn", "earn", "earn", "redeem"]
    assert events["points"].sum() == 260
    assert summary["points_outstanding"] == 260 and summary["redemption_rate"] == round(
        100 / 360, 4
    )
    assert [row["month"] for row in preview] == ["2025-03"]
    # Every customer as a member: 10 Monday orders, 9 paid Saturday ones with the bonus.
    assert preview[0]["points"] == 120 * 10 + 240 * 9


def test_cli_errors_exit_2_with_a_reason(shop: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tiers: [{name: gold, threshold: -5}]")
    code, _, err = run("loyalty", "rules", "load", str(bad))
    assert code == 2 and "tiers.0.threshold" in err
    code, _, err = run("loyalty", "balance", "NOBODY")
    assert code == 2 and "not a loyalty member" in err
    run("loyalty", "enroll", "C1")
    code, _, err = run("loyalty", "redeem", "C1", "ten-off", "--key", "k")
    assert code == 2 and "0 points available" in err


def test_cli_referrals_and_retention(shop: Settings) -> None:
    run("loyalty", "enroll", "C1", "--at", "2025-02-01")
    code, out, _ = run("referrals", "link", "C1")
    referral_code, link = out.split()
    assert code == 0 and link.endswith(referral_code)
    code, out, _ = run("referrals", "visit", referral_code, "C2", "--at", "2025-02-02")
    assert (code, out.strip()) == (0, "referral 1: pending")
    (earned,) = _json("loyalty", "earn")
    assert earned["referrals_qualified"] == 1
    code, out, _ = run("referrals", "reward", "--at", "2025-04-01")
    assert (code, out.strip()) == (0, "1 referrals rewarded, 0 cancelled")
    (listed,) = _json("referrals", "list")
    assert listed["status"] == "rewarded"
    (compared,) = _json("loyalty", "retention", "--window-days", "30")
    assert compared["members"] == 2 and "upper bound" in compared["note"]


@pytest.fixture
def client(environment: Settings, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("RETAIN_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    return signed_in_client(environment)  # type: ignore[no-any-return]


def test_api_members_points_rewards_coupons(client: TestClient) -> None:
    base = "/api/v1/loyalty"
    assert client.put(f"{base}/rules", json={"yaml": RULES}).status_code == 200
    assert client.post(f"{base}/members", json={"customer_id": "C1"}).status_code == 201
    assert client.post(f"{base}/members", json={"customer_id": "C2"}).status_code == 201
    event = client.post(f"{base}/members/C1/events", json={"event": "review", "key": "R1"})
    adjusted = client.post(
        f"{base}/members/C1/adjustments", json={"points": 70, "key": "goodwill", "note": "late"}
    )
    balance = client.get(f"{base}/members/C1/balance").json()
    reserved = client.post(
        f"{base}/members/C1/redemptions", json={"reward": "ten-off", "key": "cart-1"}
    ).json()
    before = client.get(f"{base}/coupons/{reserved['code']}").json()
    confirmed = client.post(f"{base}/redemptions/{reserved['code']}/confirm").json()
    used = client.post(f"{base}/coupons/{reserved['code']}/use", params={"customer_id": "C1"})
    reused = client.post(f"{base}/coupons/{reserved['code']}/use").json()
    short = client.post(f"{base}/members/C2/redemptions", json={"reward": "ten-off", "key": "x"})

    assert event.status_code == 201 and event.json()["points"] == 50
    assert adjusted.json()["kind"] == "adjust"
    assert balance == {"customer_id": "C1", "available": 120, "pending": 0}
    assert (before["valid"], before["reason"]) == (False, "not confirmed yet")
    assert confirmed["status"] == "confirmed" and used.json()["valid"] is True
    assert reused["reason"] == "already used"
    assert short.status_code == 409 and "0 points available" in short.json()["detail"]
    entries = client.get(f"{base}/members/C1/entries", params={"limit": 2, "offset": 1}).json()[
        "items"
    ]
    assert [entry["kind"] for entry in entries] == ["adjust", "earn"]
    assert [
        m["customer_id"]
        for m in client.get(f"{base}/members", params={"offset": 1}).json()["items"]
    ] == ["C2"]
    assert client.get(f"{base}/members/NOBODY/balance").status_code == 404
    assert client.get(f"{base}/summary").json()["points_redeemed"] == 100
    listed = client.get(f"{base}/redemptions", params={"customer_id": "C1"}).json()["items"]
    assert [(item["code"], item["status"]) for item in listed] == [(reserved["code"], "used")]
    assert client.get(f"{base}/redemptions", params={"customer_id": "C2"}).json()["items"] == []


def test_api_rules_and_referrals(client: TestClient) -> None:
    base = "/api/v1/loyalty"
    bad = client.put(f"{base}/rules", json={"yaml": "expiry: {policy: weekly}"})
    assert bad.status_code == 422 and "expiry.policy" in bad.json()["detail"]
    member = client.post(f"{base}/members", json={"customer_id": "C1", "ip": "1.2.3.4"}).json()
    flagged = client.post(
        f"{base}/referrals",
        json={"code": member["referral_code"], "friend_id": "F1", "ip": "1.2.3.4"},
    ).json()
    assert (flagged["status"], flagged["findings"]) == ("review", "same_ip")
    waiting = client.get(f"{base}/referrals", params={"status": "review"}).json()["items"]
    assert [item["id"] for item in waiting] == [flagged["id"]]
    approved = client.post(f"{base}/referrals/{flagged['id']}/approve").json()
    assert approved["status"] == "pending"
    assert client.get(f"{base}/tiers/history").json()["items"] == []


def _page(client: TestClient, language: str) -> str:
    link = client.post(
        "/api/v1/loyalty/members/C1/link", json={"language": language, "days": 7}
    ).json()
    response = client.get(link["path"])
    assert response.status_code == 200
    return response.text


def test_member_page_in_english_and_chinese(client: TestClient) -> None:
    base = "/api/v1/loyalty"
    client.put(f"{base}/rules", json={"yaml": RULES})
    client.post(f"{base}/members", json={"customer_id": "C1"})
    client.post(f"{base}/members/C1/events", json={"event": "review", "key": "R1"})

    english, chinese = _page(client, "en"), _page(client, "zh")

    assert "Your rewards" in english and 'id="available">50<' in english
    assert "To reach Silver: 50 more" in english and "10 off" in english
    assert "https://shop.example/r/" in english
    assert "我的积分" in chinese and "距离 银卡会员 还差 50" in chinese and "获得" in chinese
    assert "silver" not in chinese and "ten-off" not in chinese


def test_member_links_refuse_tampering_and_expiry(client: TestClient) -> None:
    client.post("/api/v1/loyalty/members", json={"customer_id": "C1"})
    client.post("/api/v1/loyalty/members", json={"customer_id": "C2"})
    good = sign_link(
        secret=SECRET, customer_id="C1", language="en", expires_at=utcnow() + timedelta(days=1)
    )
    forged = sign_link(
        secret="another-secret-entirely-000000", customer_id="C2", language="en",
        expires_at=utcnow() + timedelta(days=1),
    )  # fmt: skip
    body, signature = good.split(".")
    other_body = forged.split(".")[0]
    expired = sign_link(
        secret=SECRET, customer_id="C1", language="en", expires_at=datetime(2020, 1, 1)
    )
    assert client.get(f"/loyalty/member/{good}").status_code == 200
    for token in (f"{other_body}.{signature}", forged, expired, body, f"{body}.x", ".\u0080"):
        response = client.get(f"/loyalty/member/{token}")
        assert response.status_code == 403, token


def test_member_links_without_a_configured_secret_use_the_kept_one(
    environment: Settings,
) -> None:
    client = signed_in_client(environment)
    client.post("/api/v1/loyalty/members", json={"customer_id": "C1"})
    response = client.post("/api/v1/loyalty/members/C1/link", json={})
    assert response.status_code == 200, response.text
    assert (environment.storage.data_dir / "secret.key").stat().st_mode & 0o077 == 0
    assert client.get(response.json()["path"]).status_code == 200


def test_referral_landing_page_in_both_languages(client: TestClient) -> None:
    client.put(
        "/api/v1/loyalty/rules", json={"yaml": "referral: {friend_points: 250, minimum_order: 30}"}
    )
    code = client.post("/api/v1/loyalty/members", json={"customer_id": "C1"}).json()[
        "referral_code"
    ]

    english = client.get(f"/loyalty/r/{code.lower()}")
    chinese = client.get(f"/loyalty/r/{code}", params={"language": "zh"})

    assert english.status_code == 200 and "Get 250 points with your first order" in english.text
    assert "at least 30" in english.text and code in english.text and "C1" not in english.text
    assert "首单即可获得 250 积分" in chinese.text
    assert client.get("/loyalty/r/NOSUCHCODE").status_code == 404
