"""Every API route's role matrix: anonymous callers, each role, revoked keys."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from retain.api import create_app
from retain.auth.roles import Role
from tests.api.conftest import auth

ALL = frozenset(Role)
STAFF = frozenset({Role.admin, Role.analyst, Role.agent})
ANALYSTS = frozenset({Role.admin, Role.analyst})
ADMINS = frozenset({Role.admin})
# Written out by hand: a route added without an entry here fails the coverage test below.
MATRIX: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/me"): ALL,
    ("GET", "/api/v1/metrics"): ALL,
    ("GET", "/api/v1/cohorts"): ALL,
    ("GET", "/api/v1/customers"): STAFF,
    ("GET", "/api/v1/customers/{customer_id}"): STAFF,
    ("GET", "/api/v1/customers/{customer_id}/prediction"): STAFF,
    ("GET", "/api/v1/clv/fit"): ANALYSTS,
    ("POST", "/api/v1/events"): ANALYSTS,
    ("GET", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users"): ADMINS,
    ("GET", "/api/v1/keys"): ADMINS,
    ("POST", "/api/v1/keys"): ADMINS,
    ("DELETE", "/api/v1/keys/{key_id}"): ADMINS,
    ("GET", "/api/v1/audit"): ADMINS,
    ("GET", "/api/v1/churn/scores"): STAFF,
    ("GET", "/api/v1/customers/{customer_id}/churn"): STAFF,
    ("GET", "/api/v1/churn/alerts"): STAFF,
    ("GET", "/api/v1/health-scores"): STAFF,
    ("GET", "/api/v1/customers/{customer_id}/health"): STAFF,
    ("GET", "/api/v1/renewals"): STAFF,
    ("GET", "/api/v1/tasks"): STAFF,
    ("POST", "/api/v1/tasks/{task_id}/close"): STAFF,
    ("GET", "/api/v1/loyalty/members"): STAFF,
    ("POST", "/api/v1/loyalty/members"): STAFF,
    ("GET", "/api/v1/loyalty/members/{customer_id}/balance"): STAFF,
    ("GET", "/api/v1/loyalty/members/{customer_id}/entries"): STAFF,
    ("POST", "/api/v1/loyalty/members/{customer_id}/events"): STAFF,
    ("POST", "/api/v1/loyalty/members/{customer_id}/adjustments"): STAFF,
    ("POST", "/api/v1/loyalty/members/{customer_id}/redemptions"): STAFF,
    ("GET", "/api/v1/loyalty/redemptions"): STAFF,
    ("POST", "/api/v1/loyalty/redemptions/{code}/confirm"): STAFF,
    ("POST", "/api/v1/loyalty/redemptions/{code}/release"): STAFF,
    ("GET", "/api/v1/loyalty/coupons/{code}"): STAFF,
    ("POST", "/api/v1/loyalty/coupons/{code}/use"): STAFF,
    ("GET", "/api/v1/loyalty/rules"): STAFF,
    ("PUT", "/api/v1/loyalty/rules"): ANALYSTS,
    ("POST", "/api/v1/loyalty/referrals"): STAFF,
    ("GET", "/api/v1/loyalty/referrals"): STAFF,
    ("POST", "/api/v1/loyalty/referrals/{referral_id}/approve"): ANALYSTS,
    ("GET", "/api/v1/loyalty/tiers/history"): STAFF,
    ("GET", "/api/v1/loyalty/summary"): STAFF,
    ("POST", "/api/v1/loyalty/members/{customer_id}/link"): STAFF,
    ("GET", "/api/v1/segments"): STAFF,
    ("PUT", "/api/v1/segments/{name}"): ANALYSTS,
    ("DELETE", "/api/v1/segments/{name}"): ANALYSTS,
    ("GET", "/api/v1/segments/{name}/members"): STAFF,
    ("POST", "/api/v1/segments/refresh"): ANALYSTS,
    ("GET", "/api/v1/messages"): STAFF,
    ("GET", "/api/v1/templates"): ALL,
    ("GET", "/api/v1/templates/{name}"): ALL,
    ("PUT", "/api/v1/templates/{name}"): ANALYSTS,
    ("DELETE", "/api/v1/templates/{name}"): ANALYSTS,
    ("POST", "/api/v1/templates/{name}/preview"): STAFF,
    ("GET", "/api/v1/customers/{customer_id}/consent"): STAFF,
    ("PUT", "/api/v1/customers/{customer_id}/consent"): STAFF,
    ("GET", "/api/v1/playbooks"): ALL,
    ("POST", "/api/v1/playbooks/shipped"): ANALYSTS,
    ("POST", "/api/v1/playbooks/validate"): ANALYSTS,
    ("GET", "/api/v1/playbooks/stats"): ALL,
    ("POST", "/api/v1/playbooks/run"): ANALYSTS,
    ("GET", "/api/v1/playbooks/{name}"): ALL,
    ("PUT", "/api/v1/playbooks/{name}"): ANALYSTS,
    ("PATCH", "/api/v1/playbooks/{name}"): ANALYSTS,
    ("DELETE", "/api/v1/playbooks/{name}"): ANALYSTS,
    ("GET", "/api/v1/playbooks/{name}/stats"): ALL,
    ("POST", "/api/v1/feedback/items"): ANALYSTS,
    ("GET", "/api/v1/feedback/items"): STAFF,
    ("POST", "/api/v1/feedback/analyze"): ANALYSTS,
    ("POST", "/api/v1/feedback/evaluate"): ANALYSTS,
    ("GET", "/api/v1/feedback/scores"): ALL,
    ("GET", "/api/v1/feedback/topics"): ALL,
    ("GET", "/api/v1/feedback/retention"): ALL,
    ("GET", "/api/v1/surveys"): STAFF,
    ("POST", "/api/v1/surveys"): ANALYSTS,
    ("POST", "/api/v1/surveys/{name}/send"): ANALYSTS,
    ("GET", "/api/v1/surveys/results"): ALL,
    ("GET", "/api/v1/products/regret"): ALL,
    ("GET", "/api/v1/returns"): STAFF,
    ("POST", "/api/v1/returns"): STAFF,
    ("POST", "/api/v1/returns/preview"): STAFF,
    ("GET", "/api/v1/returns/policy"): STAFF,
    ("PUT", "/api/v1/returns/policy"): ADMINS,
    ("GET", "/api/v1/returns/webhook"): ADMINS,
    ("PUT", "/api/v1/returns/webhook"): ADMINS,
    ("GET", "/api/v1/returns/instructions"): STAFF,
    ("GET", "/api/v1/returns/report"): ANALYSTS,
    ("GET", "/api/v1/returns/credit/{customer_id}"): STAFF,
    ("GET", "/api/v1/returns/{return_id}"): STAFF,
    ("POST", "/api/v1/returns/{return_id}/approve"): STAFF,
    ("POST", "/api/v1/returns/{return_id}/receive"): STAFF,
    ("POST", "/api/v1/returns/{return_id}/transition"): STAFF,
    ("POST", "/api/v1/returns/{return_id}/decline"): STAFF,
    ("POST", "/api/v1/returns/{return_id}/resolve"): STAFF,
    ("GET", "/api/v1/tickets"): STAFF,
    ("POST", "/api/v1/tickets"): STAFF,
    ("GET", "/api/v1/tickets/{ticket_id}"): STAFF,
    ("PATCH", "/api/v1/tickets/{ticket_id}"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id}/status"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id}/assignment"): STAFF,
    ("GET", "/api/v1/teams"): STAFF,
    ("POST", "/api/v1/teams"): ANALYSTS,
    ("GET", "/api/v1/canned-replies"): STAFF,
    ("PUT", "/api/v1/canned-replies"): STAFF,
    ("GET", "/api/v1/sla/policy"): ALL,
    ("GET", "/api/v1/sla/tickets"): STAFF,
    ("GET", "/api/v1/support/csat"): ALL,
    ("GET", "/api/v1/kb/articles"): STAFF,
    ("POST", "/api/v1/kb/articles"): STAFF,
    ("GET", "/api/v1/kb/articles/{article_id}"): STAFF,
    ("PATCH", "/api/v1/kb/articles/{article_id}"): STAFF,
    ("GET", "/api/v1/kb/search"): ALL,
    ("GET", "/api/v1/kb/deflection"): ALL,
    ("POST", "/api/v1/assistant/tokens"): STAFF,
    ("GET", "/api/v1/assistant/summary"): ALL,
}
# Open to anyone: the health check, the customer's own loyalty and message pages, which a signed
# token or a referral code opens, and the mail provider's bounce webhook, which its HMAC
# signature authenticates.
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/loyalty/member/{token}"),
    ("GET", "/loyalty/r/{code}"),
    ("GET", "/m/unsubscribe/{token}"),
    ("POST", "/m/unsubscribe/{token}"),
    ("GET", "/m/preferences/{token}"),
    ("POST", "/m/preferences/{token}"),
    ("POST", "/api/v1/messages/bounces"),
    ("GET", "/e/reorder/{token}"),
    ("GET", "/s/{token}"),
    ("POST", "/s/{token}"),
    # The return portal (a signed link, or order number and e-mail) and the shop's signed
    # confirmation of a refund or exchange instruction.
    ("GET", "/r/start"),
    ("POST", "/r/start"),
    ("GET", "/r/{token}"),
    ("POST", "/r/{token}"),
    ("POST", "/api/v1/returns/instructions/{key}/confirm"),
    # The help centre: articles, search, feedback and the contact form are for anyone; a CSAT
    # rating page opens with its signed token.
    ("GET", "/help"),
    ("GET", "/help/articles/{slug}"),
    ("POST", "/help/articles/{slug}/feedback"),
    ("GET", "/help/contact"),
    ("POST", "/help/contact"),
    ("GET", "/help/rate/{token}"),
    ("POST", "/help/rate/{token}"),
    ("POST", "/api/v1/assistant/messages"),
    ("POST", "/api/v1/assistant/conversations/{conversation_id}/rating"),
    ("GET", "/chat"),
}


def _url(path: str) -> str:
    for name, value in {
        "customer_id": "C-1",
        "key_id": "999",
        "task_id": "999",
        "referral_id": "999",
        "code": "NO-SUCH-CODE",
        "name": "no-such-name",
        "return_id": "R-NONE",
        "ticket_id": "999",
        "article_id": "999",
    }.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_the_matrix_covers_every_route() -> None:
    schema = create_app().openapi()
    routes = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }
    assert routes - PUBLIC == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_anonymous_callers_get_401_with_a_challenge(
    client: TestClient, method: str, path: str
) -> None:
    answer = client.request(method, _url(path))
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_each_role_gets_exactly_its_routes(client: TestClient, tokens: dict[Role, str]) -> None:
    for (method, path), admitted in MATRIX.items():
        for role, token in tokens.items():
            answer = client.request(method, _url(path), headers=auth(token))
            if role in admitted:
                assert answer.status_code not in (401, 403), (method, path, role, answer.text)
            else:
                assert answer.status_code == 403, (method, path, role)
                assert role.value in answer.json()["detail"]


def test_wrong_and_revoked_keys_are_refused(client: TestClient, tokens: dict[Role, str]) -> None:
    viewer = tokens[Role.viewer]
    assert client.get("/api/v1/me", headers=auth(viewer)).json()["role"] == "viewer"
    tampered = viewer[:-2] + ("AA" if not viewer.endswith("AA") else "BB")
    assert client.get("/api/v1/me", headers=auth(tampered)).status_code == 401
    assert client.get("/api/v1/me", headers=auth("not-a-key")).status_code == 401
    keys = client.get("/api/v1/keys", headers=auth(tokens[Role.admin])).json()["items"]
    viewer_key = next(key for key in keys if key["role"] == "viewer")
    revoked = client.delete(f"/api/v1/keys/{viewer_key['id']}", headers=auth(tokens[Role.admin]))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers={"X-API-Key": viewer}).status_code == 401
