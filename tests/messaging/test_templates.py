"""Templates: sandbox, English fallback, overrides through the API, previews with real context."""

from __future__ import annotations

import pandas as pd
import pytest

from retain.messaging import templates
from retain.messaging.templates import TemplateProblem, parse_template, render_spec
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.helpers import signed_in_client
from tests.messaging.helpers import add_customer

ENGLISH_ONLY = """
languages:
  en:
    subject: "Hi {{ customer.name }}"
    text: "Plain {{ note }}"
    html: "<p>{{ note }}</p>"
"""


def test_html_is_escaped_and_text_is_not() -> None:
    spec = parse_template(ENGLISH_ONLY)
    rendered = render_spec(
        spec, name="t", language="en", context={"customer": {"name": "A&B"}, "note": "<b>"}
    )
    assert rendered.subject == "Hi A&B" and rendered.text == "Plain <b>"
    assert rendered.html == "<p>&lt;b&gt;</p>"


def test_a_missing_language_falls_back_to_english() -> None:
    rendered = render_spec(
        parse_template(ENGLISH_ONLY), name="t", language="zh", context={"customer": {}}
    )
    assert rendered.language == "en"


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customer.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ],
)
def test_the_sandbox_refuses_python_internals(attack: str) -> None:
    source = f'languages:\n  en:\n    subject: s\n    text: "{attack}"\n'
    with pytest.raises(TemplateProblem, match="unsafe"):
        render_spec(parse_template(source), name="t", language="en", context={"customer": {}})


def test_shipped_templates_have_both_languages() -> None:
    names = templates.shipped_names()
    assert {"generic-news", "generic-reminder", "generic-offer"} <= set(names)
    for name in names:
        spec = parse_template((templates.TEMPLATES / f"{name}.yaml").read_text())
        assert {"en", "zh-CN"} <= set(spec["languages"]), name


def test_an_override_saved_with_the_old_zh_key_is_read_as_zh_cn() -> None:
    source = ENGLISH_ONLY + '  zh:\n    subject: "你好"\n    text: "正文"\n'
    spec = parse_template(source)
    assert set(spec["languages"]) == {"en", "zh-CN"}
    rendered = render_spec(spec, name="t", language="zh", context={"customer": {}})
    assert rendered.language == "zh-CN" and rendered.subject == "你好"


def test_a_language_written_twice_or_unknown_is_refused() -> None:
    twice = (
        ENGLISH_ONLY + "  zh:\n    subject: a\n    text: b\n  zh-CN:\n    subject: a\n    text: b\n"
    )
    with pytest.raises(TemplateProblem, match="twice"):
        parse_template(twice)
    with pytest.raises(TemplateProblem, match="not one of en, zh-CN"):
        parse_template(ENGLISH_ONLY + "  fr:\n    subject: a\n    text: b\n")


def _orders(settings: Settings) -> None:
    backend = connect(settings.storage.resolved_warehouse_url)
    day = pd.Timestamp("2026-01-01")
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "customer_id": ["C1", "C2", "C2", "C3"],
            "ordered_at": [day, day, day, day],
            "amount": [10.0, 20.0, 30.0, 5.0],
            "currency": ["USD"] * 4,
            "status": ["paid"] * 4,
            "discount": [0.0] * 4,
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "line_number": [1, 1, 1, 1],
            "product_id": ["tea-green", "tea-oolong", "tea-black", "mug"],
            "product_name": ["Green tea", "Oolong tea", "Black tea", "Mug"],
            "category": ["tea", "tea", "tea", "kitchen"],
            "quantity": [1, 5, 2, 1],
            "unit_price": [10.0, 4.0, 15.0, 5.0],
            "amount": [10.0, 20.0, 30.0, 5.0],
        }
    )
    try:
        backend.insert("order", orders)
        backend.insert("order_line", lines)
    finally:
        backend.disconnect()


def test_preview_and_override_through_the_api(environment: Settings) -> None:
    add_customer(environment, "C1", name="Ann", language="zh")
    _orders(environment)
    analyst = signed_in_client(environment, "analyst")

    preview = analyst.post("/api/v1/templates/generic-news/preview", json={"customer_id": "C1"})
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["language"] == "zh-CN" and body["subject"] == "Ann，我们有新消息"
    # C1 bought green tea: the best sellers of tea they have not bought come first.
    assert "Oolong tea、Black tea" in body["text"]

    edited = ENGLISH_ONLY.replace("Plain", "Edited")
    assert analyst.put("/api/v1/templates/generic-news", json={"source": edited}).status_code == 200
    again = analyst.post("/api/v1/templates/generic-news/preview", json={"customer_id": "C1"})
    assert again.json()["text"].startswith("Edited") and again.json()["language"] == "en"
    listed = {row["name"]: row for row in analyst.get("/api/v1/templates").json()["items"]}
    assert listed["generic-news"]["overridden"] is True
    broken = analyst.put("/api/v1/templates/x", json={"source": "languages: {en: {subject: '{{'}}"})
    assert broken.status_code == 422
    assert analyst.get("/api/v1/templates/no-such").status_code == 404


def test_a_stored_override_wins_over_the_file(environment: Settings) -> None:
    ensure_store(environment.storage.store_url)
    with session_scope(environment.storage.store_url) as session:
        templates.save_override(
            session=session, name="generic-news", source=ENGLISH_ONLY, at=pd.Timestamp.now()
        )
        rendered = templates.render(
            session=session,
            template="generic-news",
            language="en",
            context={"note": "x", "customer": {}},
        )
    assert rendered.text == "Plain x"
