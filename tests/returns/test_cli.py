"""``retain returns``: the same workflow from the command line; bad input exits with code 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from retain.cli import app
from retain.returns.service import ItemRequest
from retain.settings import Settings
from tests.returns.helpers import ask, order, store_url

runner = CliRunner()


def _run(*arguments: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["returns", *arguments], input=stdin)
    return result.exit_code, result.output


def test_the_workflow_from_the_command_line(environment: Settings, tmp_path: Path) -> None:
    url = store_url(environment)
    request = ask(url, order(), [ItemRequest(1, 2)], key="cli")  # 60.00: under review
    code, output = _run("list", "--state", "requested", "--format", "json")
    assert code == 0 and [row["return_id"] for row in json.loads(output)] == [request.return_id]
    assert _run("receive", request.return_id)[0] == 2  # not approved yet: refused, not crashed
    for command in ("approve", "receive"):
        assert _run(command, request.return_id, "--actor", "ann")[0] == 0
    assert _run("move", request.return_id, "inspected")[0] == 0
    code, output = _run("resolve", request.return_id, "--resolution", "credit", "--format", "json")
    assert code == 0 and json.loads(output)[0]["resolution"] == "credited"
    code, output = _run("show", request.return_id, "--format", "json")
    assert code == 0 and '"actor": "ann"' in output
    code, output = _run("credit", "C1", "--format", "json")
    assert code == 0 and json.loads(output)[0]["amount"] == "60.00"


def test_policy_and_webhook_refuse_bad_input(environment: Settings, tmp_path: Path) -> None:
    store_url(environment)
    bad = tmp_path / "policy.yaml"
    bad.write_text("window_days: thirty\n")
    code, output = _run("policy", "--load", str(bad))
    assert code == 2 and "policy.yaml" in output and "window_days" in output
    good = tmp_path / "good.yaml"
    good.write_text("window_days: 14\nreasons: [damaged]\n")
    code, output = _run("policy", "--load", str(good))
    assert code == 0 and "window_days: 14" in output
    assert _run("webhook", "--url", "https://shop.example/returns")[0] == 2
    code, output = _run(
        "webhook", "--url", "https://shop.example/returns", "--secret-stdin", stdin="short\n"
    )
    assert code == 2 and "16 characters" in output
    code, output = _run(
        "webhook", "--url", "https://shop.example/r", "--secret-stdin", stdin="x" * 20 + "\n"
    )
    assert code == 0 and "https://shop.example/r" in output and "x" * 20 not in output
