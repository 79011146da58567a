"""``retain tickets`` and ``retain kb`` on both stores: the commands a support lead runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from retain.cli import app
from retain.settings import Settings
from tests.helpers import warehouse_count

ARTICLES = """
- {slug: shipping-times, title: Shipping times, body: "Orders ship within 2 days.", language: en,
   category: shipping, status: published}
- {slug: fa-huo, title: 发货时间, body: 订单将在两天内发货。, language: zh-CN, category: shipping,
   status: published}
- {slug: secret-draft, title: Coming soon, body: "Not yet.", language: en}
"""


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def _json(*arguments: str) -> list[dict[str, object]]:
    code, out, err = run(*arguments, "--format", "json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_kb_import_is_idempotent_and_search_is_bilingual(
    environment: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "articles.yaml"
    path.write_text(ARTICLES, encoding="utf-8")
    first, again = run("kb", "import", str(path)), run("kb", "import", str(path))
    assert first[1].strip() == "3 articles added, 0 updated, 0 unchanged"
    assert again[1].strip() == "0 articles added, 0 updated, 3 unchanged"
    assert _json("kb", "search", "when will my order ship")[0]["slug"] == "shipping-times"
    assert _json("kb", "search", "什么时候发货", "--language", "zh-CN")[0]["slug"] == "fa-huo"
    assert _json("kb", "search", "coming soon") == []
    assert run("kb", "publish", "secret-draft")[0] == 0
    assert _json("kb", "search", "coming soon")[0]["slug"] == "secret-draft"
    path.write_text("- {slug: x, title: T, body: B, language: fr}\n", encoding="utf-8")
    code, _, err = run("kb", "import", str(path))
    assert code == 2 and "row 1: language" in err


def test_tickets_from_open_to_warehouse(environment: Settings) -> None:
    [opened] = _json(
        "tickets",
        "open",
        "Late parcel",
        "Where is it?",
        "--customer",
        "C1",
        "--priority",
        "high",
        "--tag",
        "shipping",
    )
    tid = str(opened["id"])
    assert opened["first_response_due_at"] is not None
    assert run("tickets", "reply", tid, "--note", "carrier says tomorrow")[0] == 0
    assert run("tickets", "reply", tid, "On its way")[1].strip() == f"ticket {tid}: replied (open)"
    code, _, err = run("tickets", "status", tid, "closed")
    assert code == 2 and "open" in err and "not closed" in err
    assert run("tickets", "status", tid, "solved")[0] == 0
    kinds = [m["author_kind"] for m in _json("tickets", "show", tid)]
    assert kinds == ["customer", "note", "agent"]
    assert _json("tickets", "list", "--status", "solved")[0]["id"] == opened["id"]
    code, out, _ = run("tickets", "run")
    assert code == 0 and "0 asked for a rating" in out  # asked when solved
    exported = int(re.search(r"(\d+) events exported", out).group(1))  # type: ignore[union-attr]
    assert exported == warehouse_count(environment, "ticket_event") > 0
