"""Named regressions from an attack on the API: each answered as bad input or once, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from retain.auth.roles import Role
from retain.cli import app
from retain.engage.service import shipped_playbooks
from tests.api.conftest import auth
from tests.helpers import race


def test_two_installs_of_the_shipped_playbooks_at_once_install_them_once(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    answers: list[tuple[int, list[str]]] = []

    def install(_: int) -> None:
        answer = client.post("/api/v1/playbooks/shipped", headers=auth(tokens[Role.analyst]))
        answers.append((answer.status_code, answer.json()))

    assert race(install, threads=2) == []

    assert [status for status, _ in answers] == [201, 201]
    installed = [name for _, names in answers for name in names]
    assert sorted(installed) == sorted(shipped_playbooks())


def test_a_loyalty_adjustment_too_large_to_store_is_refused(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    answer = client.post(
        "/api/v1/loyalty/members/C1/adjustments",
        json={"points": 10**23, "key": "k", "note": "n"},
        headers=auth(tokens[Role.admin]),
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["location"] == "body.points"


def test_a_saved_playbook_and_an_edited_template_can_be_deleted(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    headers = auth(tokens[Role.analyst])
    assert client.post("/api/v1/playbooks/shipped", headers=headers).status_code == 201
    shipped = client.get("/api/v1/templates/winback-miss-you", headers=headers).json()
    edited = "languages: {en: {subject: 'Edited', text: 'Come back'}}"
    put = client.put("/api/v1/templates/winback-miss-you", json={"source": edited}, headers=headers)
    assert put.status_code == 200, put.text

    assert client.delete("/api/v1/playbooks/win-back", headers=headers).status_code == 204
    assert client.get("/api/v1/playbooks/win-back", headers=headers).status_code == 404
    assert client.delete("/api/v1/playbooks/win-back", headers=headers).status_code == 404
    deleted = client.delete("/api/v1/templates/winback-miss-you", headers=headers)
    assert deleted.status_code == 204
    assert client.get("/api/v1/templates/winback-miss-you", headers=headers).json() == shipped
    again = client.delete("/api/v1/templates/winback-miss-you", headers=headers)
    assert again.status_code == 404


def test_the_commands_delete_a_playbook_and_reset_a_template(environment: object) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["playbooks", "install"]).exit_code == 0

    deleted = runner.invoke(app, ["playbooks", "delete", "win-back"])
    unknown = runner.invoke(app, ["templates", "reset", "winback-miss-you"])

    assert deleted.exit_code == 0, deleted.output
    assert "win-back" not in runner.invoke(app, ["playbooks", "list", "--format", "csv"]).output
    assert unknown.exit_code == 2 and "no edited template" in unknown.output
