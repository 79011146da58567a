"""Users, keys, sessions, CSRF, sign-in limits and the audit log, through the CLI, API and pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from retain.api import create_app
from retain.auth.models import ApiKey, AuditEntry, User
from retain.auth.roles import Role
from retain.cli import app
from retain.settings import Settings
from retain.store import session_scope
from tests.api.conftest import PASSWORD, auth

runner = CliRunner()


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the CSRF token of the new session's pages."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token[1], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/")
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert found is not None
    return found[1]


def test_cli_creates_users_and_keys_and_stores_no_secret(environment: Settings) -> None:
    created = runner.invoke(
        app,
        ["users", "create", "ana", "--role", "analyst", "--password-stdin"],
        input="correct horse battery\n",
    )
    assert created.exit_code == 0, created.output
    short = runner.invoke(app, ["users", "create", "bo", "--password-stdin"], input="short\n")
    assert short.exit_code == 2
    assert "at least 10 characters" in short.output
    issued = runner.invoke(app, ["keys", "create", "shop", "--role", "analyst"])
    assert issued.exit_code == 0
    token = issued.stdout.strip().splitlines()[-1]
    assert token.startswith("rtn_")
    with session_scope(environment.storage.store_url) as session:
        user = session.scalars(select(User)).one()
        key = session.scalars(select(ApiKey)).one()
        assert "correct horse" not in user.password_hash
        assert user.password_hash.startswith("$argon2")
        assert token not in key.digest and key.digest != token
    with TestClient(create_app()) as client:
        assert client.get("/api/v1/me", headers=auth(token)).json()["role"] == "analyst"
    revoked = runner.invoke(app, ["keys", "revoke", "1"])
    assert revoked.exit_code == 0
    with TestClient(create_app()) as client:
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    listed = runner.invoke(app, ["keys", "list", "--format", "json"])
    assert token not in listed.output and '"revoked"' in listed.output


def test_last_use_of_a_key_is_recorded(
    client: TestClient, tokens: dict[Role, str], environment: Settings
) -> None:
    client.get("/api/v1/me", headers=auth(tokens[Role.agent]))
    with session_scope(environment.storage.store_url) as session:
        used = {key.role: key.last_used_at for key in session.scalars(select(ApiKey))}
    assert used["agent"] is not None
    assert used["viewer"] is None


def test_a_session_cookie_authenticates_and_needs_csrf_for_changes(
    client: TestClient, users: dict[Role, str]
) -> None:
    csrf = sign_in(client, users[Role.admin])
    assert client.get("/api/v1/me").json() == {"kind": "user", "name": "admin", "role": "admin"}
    body = {"name": "from the dashboard", "role": "viewer"}
    refused = client.post("/api/v1/keys", json=body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    accepted = client.post("/api/v1/keys", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201
    assert accepted.json()["token"].startswith("rtn_")


def test_signing_out_ends_the_session_everywhere(
    client: TestClient, users: dict[Role, str]
) -> None:
    csrf = sign_in(client, users[Role.viewer])
    stolen = client.cookies.get("retain_session")
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("retain_session", stolen or "")
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_wrong_passwords_and_forged_forms_do_not_sign_in(
    client: TestClient, users: dict[Role, str], environment: Settings
) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    wrong = client.post(
        "/login", data={"username": "admin", "password": "nope nope nope", "csrf_token": token[1]}
    )
    assert wrong.status_code == 401
    assert "Wrong user name or password" in wrong.text
    forged = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    with session_scope(environment.storage.store_url) as session:
        actions = [entry.action for entry in session.scalars(select(AuditEntry))]
    assert "user.sign_in_failed" in actions


def test_sign_in_attempts_are_limited(
    users: dict[Role, str], configure: Callable[..., None]
) -> None:
    configure(login_rate_limit="3/minute")
    with TestClient(create_app()) as client:
        statuses = [
            client.post(
                "/login", data={"username": "admin", "password": "x" * 12, "csrf_token": "t"}
            ).status_code
            for _ in range(4)
        ]
    assert statuses == [401, 401, 401, 429]


def test_next_never_leaves_the_site(client: TestClient, users: dict[Role, str]) -> None:
    form = client.get("/login?next=//evil.example/x")
    assert 'name="next" value="/"' in form.text


def test_admins_manage_users_and_read_the_audit_log(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    admin = auth(tokens[Role.admin])
    created = client.post(
        "/api/v1/users",
        json={"username": "li", "password": "长密码长密码长密码长密码", "role": "agent"},
        headers=admin,
    )
    assert created.status_code == 201
    again = client.post(
        "/api/v1/users",
        json={"username": "li", "password": "another long one", "role": "agent"},
        headers=admin,
    )
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]
    audit = client.get("/api/v1/audit", params={"limit": 1}, headers=admin).json()
    assert audit["total"] >= 5 and len(audit["items"]) == 1
    assert audit["items"][0]["action"] == "user.create"
    assert audit["items"][0]["actor"].startswith("key:")


def test_a_fresh_store_gets_one_admin_and_passwords_can_change(environment: Settings) -> None:
    from retain.auth.service import authenticate_user, first_admin
    from retain.store import ensure_store

    ensure_store(environment.storage.store_url)
    with session_scope(environment.storage.store_url) as session:
        created = first_admin(session=session, actor="test")
        assert created is not None
        assert first_admin(session=session, actor="test") is None
    name, password = created
    changed = runner.invoke(
        app, ["users", "password", name, "--password-stdin"], input="brand new password\n"
    )
    assert changed.exit_code == 0, changed.output
    with session_scope(environment.storage.store_url) as session:
        assert authenticate_user(session=session, username=name, password=password) is None
        user = authenticate_user(session=session, username=name, password="brand new password")
        assert user is not None and user.role == "admin" and user.session_epoch == 1
    unknown = runner.invoke(
        app, ["users", "password", "nobody", "--password-stdin"], input="x" * 12
    )
    assert unknown.exit_code == 2 and "no user" in unknown.output
