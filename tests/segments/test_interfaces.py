"""``retain segments`` and ``/api/v1/segments`` on the hand-made shop."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from retain.api import create_app
from retain.auth.roles import Role
from retain.auth.service import create_user
from retain.cli import app
from retain.settings import Settings
from retain.store import session_scope
from tests.api.conftest import PASSWORD
from tests.helpers import signed_in_client

RISKY = 'churn_risk > 0.6 and clv > 500 and country in ["CN","SG"]'


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def test_cli_defines_refreshes_lists_and_shows(shop: Settings) -> None:
    assert run("segments", "define", "risky", RISKY, "--description", "save them")[0] == 0
    code, out, err = run("segments", "refresh", "--at", "2026-06-01", "--format", "json")
    assert code == 0, err
    refreshed = {row["segment"]: row for row in json.loads(out)}
    assert refreshed["risky"] == {"segment": "risky", "members": 3, "entered": 3, "exited": 0}
    assert len(refreshed) == 9
    code, out, _ = run(
        "segments", "refresh", "--name", "risky", "--at", "2026-06-01", "--format", "csv"
    )
    assert out.splitlines() == ["segment,members,entered,exited", "risky,3,0,0"]
    listed = json.loads(run("segments", "list", "--format", "json")[1])
    assert [row["name"] for row in listed][-1] == "risky"
    assert sum(row["built_in"] for row in listed) == 8
    (shown,) = json.loads(run("segments", "show", "risky", "--format", "json")[1])
    assert shown["total"] == 3
    assert [member["customer_id"] for member in shown["members"]] == ["C0", "C5", "C9"]
    code, out, _ = run("segments", "show", "risky")
    assert code == 0 and "C5" in out


def test_cli_refuses_bad_input_with_exit_code_2(shop: Settings) -> None:
    code, _, err = run("segments", "define", "typo", "churn_risk > 0.6 and cuntry = 'CN'")
    assert code == 2
    reason, shown, caret = err.splitlines()
    assert "unknown field 'cuntry'" in reason and "(column 22)" in reason
    assert caret.index("^") == shown.index("cuntry")
    code, _, err = run("segments", "refresh", "--name", "nobody")
    assert code == 2 and "no segment 'nobody'" in err
    code, _, err = run("segments", "delete", "rfm:lost")
    assert code == 2 and "built in" in err


def test_api_defines_refreshes_pages_and_deletes(shop: Settings) -> None:
    client = signed_in_client(shop, "analyst")
    bad = client.put("/api/v1/segments/risky", json={"rule": "churn_risk >> 1"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"] == [
        {"location": "body.rule.column.13", "message": bad.json()["errors"][0]["message"]}
    ]
    assert "(column 13)" in bad.json()["detail"]
    made = client.put("/api/v1/segments/risky", json={"rule": RISKY})
    assert made.status_code == 200 and made.json()["built_in"] is False
    refreshed = client.post(
        "/api/v1/segments/refresh", json={"names": ["risky"], "at": "2026-06-01T00:00:00Z"}
    )
    assert refreshed.status_code == 200
    assert refreshed.json()[0] | {"at": None} == {
        "name": "risky",
        "at": None,
        "members": 3,
        "entered": 3,
        "exited": 0,
    }
    page = client.get("/api/v1/segments/risky/members", params={"limit": 2, "offset": 1}).json()
    assert (page["total"], [m["customer_id"] for m in page["items"]]) == (3, ["C5", "C9"])
    customer = client.get("/api/v1/customers/C5").json()
    assert customer["segments"] == ["risky"]
    names = [segment["name"] for segment in client.get("/api/v1/segments").json()["items"]]
    assert "rfm:champions" in names and "risky" in names
    assert client.delete("/api/v1/segments/rfm:lost").status_code == 409
    assert client.delete("/api/v1/segments/risky").status_code == 204
    assert client.get("/api/v1/segments/risky/members").status_code == 404
    assert client.get("/api/v1/customers/C5").json()["segments"] == []


def test_api_refresh_refuses_moving_back_in_time(shop: Settings) -> None:
    client = signed_in_client(shop, "admin")
    assert client.post("/api/v1/segments/refresh", json={"at": "2026-06-02T00:00:00"}).is_success
    late = client.post("/api/v1/segments/refresh", json={"at": "2026-06-01T00:00:00"})
    assert late.status_code == 409 and "refreshed at" in late.json()["detail"]


def test_the_customer_page_lists_the_segments(shop: Settings) -> None:
    with session_scope(shop.storage.store_url) as session:
        create_user(
            session=session, username="analyst", password=PASSWORD, role=Role.analyst, actor="test"
        )
    assert run("segments", "define", "risky", RISKY)[0] == 0
    assert run("segments", "refresh", "--name", "risky", "--at", "2026-06-01")[0] == 0
    with TestClient(create_app()) as client:
        _sign_in(client, "analyst")
        page = client.get("/customers/C5")
        other = client.get("/customers/C2")
    assert page.status_code == 200
    # A segment of the business's own naming is shown humanised, never as a raw key.
    assert '<p id="segments"><strong>Segments</strong>: Risky</p>' in page.text
    assert 'id="segments"' not in other.text


def _sign_in(client: TestClient, username: str) -> None:
    # Not tests.api.test_auth.sign_in: it opens the overview, which raises on this shop
    # (a metric missing from the latest period): a separate bug, reported.
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token[1], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
