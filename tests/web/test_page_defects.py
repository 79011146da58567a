"""Defects seen in the browser: error pages, the playbooks, feedback and returns pages."""

from __future__ import annotations

import os
import re
from pathlib import Path
from unittest import mock

import pytest
from fastapi.testclient import TestClient
from jinja2 import Environment, nodes
from playwright.sync_api import Browser, Page, expect

from retain.clock import utcnow
from retain.locales import vocab
from retain.messaging.models import Delivery
from retain.messaging.service import record_holdout
from retain.settings import get_settings
from retain.store import session_scope
from tests.web.conftest import ARTIFACTS
from tests.web.test_dashboard import HEADINGS, chart_option, signed_in

SOURCES = Path(__file__).parents[2] / "src" / "retain"
CJK = re.compile(r"[\u4e00-\u9fff]")
DICT_ATTRIBUTES = frozenset(name for name in dir(dict) if not name.startswith("_"))
LANGUAGES = ("en", "zh-CN")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


# --- errors are pages -------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_show_with_empty_dates_means_no_bound(browser: Browser, server: str, language: str) -> None:
    page = signed_in(browser, server)
    for path in ("/", "/cohorts"):
        page.goto(f"{server}{path}?lang={language}")
        page.locator("form.filters button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"[?&]from=&to="))
        expect(page.locator("h1")).to_have_text(HEADINGS[language][path])
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_value_or_a_missing_page_is_an_error_page_in_the_readers_language(
    browser: Browser, server: str, language: str
) -> None:
    page = signed_in(browser, server)
    answer = page.goto(f"{server}/?from=not-a-date&lang={language}")
    assert answer is not None and answer.status == 422
    assert answer.headers["content-type"].startswith("text/html")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#invalid-fields")).to_have_text("from")
    heading = page.locator("h1").inner_text()
    assert bool(CJK.search(heading)) == (language == "zh-CN"), heading
    shot(page, f"error-422-{language}")
    page.locator("#error a").click()  # the way out: the same page without the bad values
    expect(page.locator("h1")).to_have_text(HEADINGS[language]["/"])

    missing = page.goto(f"{server}/no-such-page?lang={language}")
    assert missing is not None and missing.status == 404
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert bool(CJK.search(page.locator("h1").inner_text())) == (language == "zh-CN")
    page.close()


def test_a_public_page_answers_bad_input_with_a_page_in_the_customers_language(
    browser: Browser, server: str
) -> None:
    page = browser.new_page()
    answer = page.goto(f"{server}/chat?lang=zh&token={'x' * 2001}")
    assert answer is not None and answer.status == 422
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#invalid-fields")).to_have_text("token")
    assert CJK.search(page.locator("h1").inner_text())
    page.close()


def test_the_api_keeps_answering_problem_details(browser: Browser, server: str) -> None:
    page = signed_in(browser, server)
    answer = page.request.get(f"{server}/api/v1/metrics?from=not-a-date")
    assert answer.status == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["location"] == "query.from"
    page.close()


def test_a_crash_is_a_page_for_people_and_a_problem_for_programs() -> None:
    from retain.api import create_app

    app = create_app()

    def crash() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/crash", crash)
    app.add_api_route("/api/v1/crash", crash)
    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/crash", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text and "boom" not in page.text
    program = client.get("/api/v1/crash")
    assert program.status_code == 500
    assert program.headers["content-type"] == "application/problem+json"


# --- templates never print a dict method ---------------------------------------------------


def _uncalled_dict_attributes(source: str) -> list[str]:
    tree = Environment().parse(source)
    called = {id(call.node) for call in tree.find_all(nodes.Call)}
    return [
        f"line {node.lineno}: .{node.attr}"
        for node in tree.find_all(nodes.Getattr)
        if node.attr in DICT_ATTRIBUTES and id(node) not in called
    ]


def test_no_template_reads_a_word_named_like_a_dict_method() -> None:
    # `t.items` finds dict.items before the key "items" and prints "<built-in method ...>".
    found = {
        str(path.relative_to(SOURCES)): problems
        for path in sorted(SOURCES.rglob("*.html"))
        if (problems := _uncalled_dict_attributes(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_template_check_sees_the_mistake() -> None:
    assert _uncalled_dict_attributes("<h2>{{ t.items }}</h2>{{ x.items() }}") == ["line 1: .items"]


# --- retain serve: links follow the served address ---------------------------------------


def test_serve_points_links_at_the_address_it_serves() -> None:
    from retain.api import follow_served_address

    with mock.patch.dict(os.environ):
        os.environ.pop("RETAIN_PUBLIC_BASE_URL", None)
        get_settings.cache_clear()
        follow_served_address(host="0.0.0.0", port=8123)
        assert get_settings().server.public_base_url == "http://127.0.0.1:8123"
        os.environ["RETAIN_PUBLIC_BASE_URL"] = "https://shop.example/retain"
        get_settings.cache_clear()
        follow_served_address(host="127.0.0.1", port=8124)
        assert get_settings().server.public_base_url == "https://shop.example/retain"
    get_settings.cache_clear()


# --- playbooks -----------------------------------------------------------------------------


TEST_STEP = "test-step"


@pytest.fixture(scope="module")
def win_back_sends(server: str) -> str:
    """Two queued messages, one sent and one holdout for the win-back playbook, in a step of
    their own (the demo's past runs have sent win-back messages of the real steps)."""
    with session_scope(get_settings().storage.store_url) as session:
        for index, status in enumerate(("queued", "queued", "sent")):
            session.add(
                Delivery(
                    key=f"test-win-back-{index}",
                    playbook="win-back",
                    step=TEST_STEP,
                    channel="email",
                    customer_id=f"C{index:07d}",
                    context={},
                    status=status,
                    created_at=utcnow(),
                    sent_at=utcnow() if status == "sent" else None,
                )
            )
        record_holdout(
            session=session,
            key="test-win-back-holdout",
            customer_id="C0000009",
            playbook="win-back",
            step="playbook",
        )
    return server


@pytest.mark.parametrize("language", LANGUAGES)
def test_playbook_sends_count_only_what_was_sent_and_list_no_holdout(
    browser: Browser, win_back_sends: str, language: str
) -> None:
    page = signed_in(browser, win_back_sends, viewport={"width": 1280, "height": 900})
    page.goto(f"{win_back_sends}/playbooks?lang={language}")
    name = vocab("win-back", "playbook", language)
    heading = page.get_by_role("heading", name=name, exact=True)
    table = heading.locator("xpath=following-sibling::table[1]")
    steps = table.locator("tbody tr td:first-child").all_inner_texts()
    assert "playbook" not in steps, "the holdout is no step"
    assert steps.count(TEST_STEP) == 1
    headings = table.locator("thead th").all_inner_texts()
    row = table.locator("tbody tr").nth(steps.index(TEST_STEP))
    cells = row.locator("td").all_inner_texts()
    counts = dict(zip(headings[1:], cells[1:], strict=True))
    assert sorted(counts.values()) == ["0", "1", "2"]
    assert counts[headings[1]] == "1", counts  # sent: the queued two wait
    shot(page, f"playbooks-{language}")
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_playbook_heading_is_on_screen(browser: Browser, server: str, language: str) -> None:
    page = signed_in(browser, server, viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/playbooks?lang={language}")
    box = page.locator("#playbook-table").locator("xpath=..").bounding_box()
    assert box is not None
    for heading in page.locator("#playbook-table thead th").all():
        cell = heading.bounding_box()
        assert cell is not None and cell["x"] + cell["width"] <= box["x"] + box["width"] + 0.5
        assert heading.evaluate("th => th.scrollWidth <= th.clientWidth")
    page.close()


# --- feedback ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_nps_interval_is_a_band_on_the_nps_scale(
    browser: Browser, server: str, language: str
) -> None:
    page = signed_in(browser, server, viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/feedback?lang={language}")
    option = chart_option(page, "nps-trend")
    axis = option["yAxis"][0]
    assert axis["min"] >= -100 and axis["max"] <= 100
    series = option["series"]
    drawn = [line for line in series if line.get("lineStyle", {}).get("opacity") != 0]
    assert [line["name"] for line in drawn] == ["NPS"]  # the bounds are no lines of their own
    assert any(line.get("areaStyle") for line in series)
    ticks = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.getElementById("nps-trend"));
            return chart.getModel().getComponent("yAxis").axis.scale.getExtent();
        }"""
    )
    assert ticks[0] >= -100 and ticks[1] <= 100
    shot(page, f"feedback-{language}")
    page.close()


# --- returns -------------------------------------------------------------------------------


def test_the_repurchase_table_repeats_no_row(browser: Browser, server: str) -> None:
    page = signed_in(browser, server)
    page.goto(f"{server}/returns")
    rows = page.locator("#retention-table tbody tr")
    expect(rows.first).to_be_visible()
    figures = [tuple(row.locator("td").all_inner_texts()[2:]) for row in rows.all()]
    assert len(figures) == len(set(figures)), figures
    page.close()
