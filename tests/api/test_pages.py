"""Dashboard pages and their CSV downloads over HTTP (the browser suite draws them)."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from retain.auth.roles import Role
from tests.api.conftest import auth
from tests.api.shop import shop_batch
from tests.api.test_auth import sign_in


def rows_of(answer_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer_text)))


def test_csv_downloads_hold_the_api_numbers(
    client: TestClient, tokens: dict[Role, str], users: dict[Role, str]
) -> None:
    batch = shop_batch()
    assert client.post("/api/v1/events", json=batch, headers=auth(tokens[Role.admin])).is_success
    sign_in(client, users[Role.analyst])
    metrics = client.get("/api/v1/metrics").json()["items"]
    download = client.get("/overview.csv")
    assert download.headers["content-type"].startswith("text/csv")
    table = rows_of(download.text)
    assert [row["period_start"][:10] for row in table] == [m["period_start"][:10] for m in metrics]
    assert [float(row["crr"]) for row in table if row["crr"]] == [
        m["crr"] for m in metrics if m["crr"] is not None
    ]
    cohorts = client.get("/api/v1/cohorts").json()["items"]
    assert len(rows_of(client.get("/cohorts.csv").text)) == len(cohorts)
    customer = batch["customers"][5]["customer_id"]
    view = client.get(f"/api/v1/customers/{customer}").json()
    usage = rows_of(client.get(f"/customers/{customer}/usage.csv").text)
    assert [int(row["events"]) for row in usage] == [w["events"] for w in view["usage_weekly"]]


def test_pages_without_a_session_redirect_to_sign_in(client: TestClient) -> None:
    for path in ("/", "/cohorts", "/customers", "/at-risk", "/lifetime", "/overview.csv"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=")


def test_an_api_key_does_not_open_pages(client: TestClient, tokens: dict[Role, str]) -> None:
    answer = client.get("/", headers=auth(tokens[Role.admin]), follow_redirects=False)
    assert answer.status_code == 303


def test_the_overview_of_a_shop_without_subscriptions_shows_dashes(
    client: TestClient, tokens: dict[Role, str], users: dict[Role, str]
) -> None:
    batch = {key: shop_batch()[key] for key in ("customers", "orders")}
    assert client.post("/api/v1/events", json=batch, headers=auth(tokens[Role.admin])).is_success
    sign_in(client, users[Role.viewer])
    page = client.get("/?from=2025-12-01&to=2026-10-31")
    assert page.status_code == 200, page.text
    assert 'id="card-ndr"' in page.text


def test_the_playbooks_page_lists_each_playbook(
    client: TestClient, tokens: dict[Role, str], users: dict[Role, str]
) -> None:
    answer = client.post("/api/v1/playbooks/shipped", headers=auth(tokens[Role.analyst]))
    assert answer.status_code == 201
    sign_in(client, users[Role.viewer])
    english = client.get("/playbooks?lang=en")
    chinese = client.get("/playbooks?lang=zh-CN")
    assert english.status_code == 200 and "Win-back" in english.text
    assert "营销剧本" in chinese.text and "not measured yet" in english.text
    assert "流失召回" in chinese.text and "win-back" not in chinese.text
    download = rows_of(client.get("/playbooks.csv").text)
    assert {row["playbook"] for row in download} >= {"onboarding", "renewal-7"}
