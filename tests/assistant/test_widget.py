"""The chat widget in Debian's Chromium: a question answered; an out-of-scope one handed off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from retain.settings import get_settings
from retain.store import ensure_store, session_scope
from retain.support.models import Ticket
from tests.web.conftest import browser, serving, use_folder

__all__ = ["browser"]


@pytest.fixture(scope="module")
def chat_server(
    tmp_path_factory: pytest.TempPathFactory, demo_model: Path
) -> Iterator[tuple[str, str]]:
    """A server on an empty embedded store with the demo model; yields (URL, store URL)."""
    folder = tmp_path_factory.mktemp("chat")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAIN_ASSISTANT_MODEL", str(demo_model))
        use_folder(patch, folder)
        store_url = get_settings().store_url
        ensure_store(store_url)
        with serving() as url:
            yield url, store_url
    get_settings.cache_clear()


def _tickets(store_url: str) -> list[tuple[int, str]]:
    with session_scope(store_url) as session:
        return [(t.id, t.channel) for t in session.scalars(select(Ticket))]


def test_the_widget_answers_and_hands_off_once(
    browser: Browser, chat_server: tuple[str, str]
) -> None:
    url, store_url = chat_server
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/chat?lang=en")
    page.fill("input[name=email]", "ann@example.com")
    page.fill("input[name=text]", "which payment methods do you accept")
    page.click("button[type=submit]")
    answer = page.locator(".message.assistant").last
    expect(answer).to_contain_text("PayPal")
    expect(answer).to_have_attribute("data-resolution", "intent")
    assert _tickets(store_url) == []

    for replies, question in enumerate(("what is the capital of france", "tell me a joke"), 2):
        page.fill("input[name=text]", question)
        page.click("button[type=submit]")
        expect(page.locator(".message.assistant")).to_have_count(replies)
    expect(page.locator(".message.assistant").nth(1)).to_contain_text("person will reply")
    expect(page.locator(".message.assistant").nth(2)).to_have_attribute(
        "data-resolution", "handoff"
    )
    tickets = _tickets(store_url)
    assert len(tickets) == 1 and tickets[0][1] == "assistant"

    page.click("button[data-rating='5']")
    expect(page.locator("#rated")).to_be_visible()
    assert errors == []


def test_the_widget_speaks_chinese(browser: Browser, chat_server: tuple[str, str]) -> None:
    url, _ = chat_server
    page = browser.new_page()
    page.goto(f"{url}/chat?lang=zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.fill("input[name=text]", "发货要多久")
    page.click("button[type=submit]")
    expect(page.locator(".message.assistant").last).to_contain_text("工作日")
