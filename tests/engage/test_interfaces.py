"""``retain playbooks`` and ``/api/v1/playbooks`` on an imported shop."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from retain.cli import app
from retain.settings import Settings
from tests.engage.shop import FIRST_ORDERS_AT, customers, import_frame, orders
from tests.helpers import signed_in_client

THANKS = """
name: thanks
trigger: {event: first_order}
steps: [{id: hello, send: {channel: email, template: onboarding-welcome}}]
holdout: 0.5
"""


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def _shop(settings: Settings, folder: Path) -> None:
    import_frame(settings, "customers", customers(10), folder)
    first = [(f"O{n}", f"C{n:03d}", FIRST_ORDERS_AT, 20.0) for n in range(10)]
    import_frame(settings, "orders", orders(first), folder)


def test_cli_installs_validates_runs_and_reports(environment: Settings, tmp_path: Path) -> None:
    _shop(environment, tmp_path)
    assert run("playbooks", "install")[0] == 0
    code, out, _ = run("playbooks", "list", "--format", "json")
    listed = {row["name"]: row for row in json.loads(out)}
    assert code == 0 and len(listed) == 11 and not listed["win-back"]["enabled"]

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntrigger: {event: birthday}\nsteps: [{wait: {days: 1}}]")
    code, _, err = run("playbooks", "validate", str(bad))
    assert code == 2 and "trigger.event" in err

    good = tmp_path / "thanks.yaml"
    good.write_text(THANKS)
    assert run("playbooks", "save", str(good))[0] == 0
    at = (FIRST_ORDERS_AT + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    code, out, _ = run("playbooks", "run", "thanks", "--at", at, "--format", "json")
    summary = json.loads(out)[0]
    assert code == 0 and summary["entered"] == 10 and 0 < summary["held_out"] < 10
    code, out, _ = run("playbooks", "stats", "thanks", "--format", "json")
    outcomes = {row["outcome"] for row in json.loads(out)}
    assert code == 0 and {"repurchase_30", "incremental_revenue_90"} <= outcomes
    assert run("playbooks", "run", "no-such")[0] == 2


def test_api_saves_switches_runs_and_measures(environment: Settings, tmp_path: Path) -> None:
    _shop(environment, tmp_path)
    client = signed_in_client(environment, "analyst")
    assert client.put("/api/v1/playbooks/thanks", json={"yaml": THANKS}).status_code == 200
    wrong = client.put("/api/v1/playbooks/other", json={"yaml": THANKS})
    assert wrong.status_code == 422 and "another playbook" in wrong.json()["detail"]
    invalid = client.post("/api/v1/playbooks/validate", json={"yaml": "name: x\nsteps: []"})
    assert invalid.status_code == 422 and "trigger" in invalid.json()["detail"]
    assert (
        client.patch("/api/v1/playbooks/thanks", json={"enabled": False}).json()["enabled"] is False
    )
    at = (FIRST_ORDERS_AT + timedelta(hours=1)).isoformat()
    ran = client.post("/api/v1/playbooks/run", json={"at": at, "names": ["thanks"]})
    assert ran.status_code == 200 and ran.json()[0]["entered"] == 10
    stats = client.get("/api/v1/playbooks/thanks/stats").json()
    assert stats["entered"] == 10 and stats["treated"] + stats["held_out"] == 10
    assert stats["sends"]["hello"]["queued"] == stats["treated"]
    assert client.get("/api/v1/playbooks/nothing").status_code == 404
    assert client.get("/api/v1/playbooks/stats").status_code == 200
