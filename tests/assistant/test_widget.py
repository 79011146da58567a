"""The chat widget in Debian's Chromium: a question answered; an out-of-scope one handed off."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, expect
from sqlalchemy import select

from retain.settings import get_settings
from retain.store import ensure_store, session_scope
from retain.support.models import Ticket
from tests.web.conftest import ARTIFACTS, browser, serving, use_folder

__all__ = ["browser"]
# Pictographs that only a colour-emoji font draws (a system without one shows boxes).
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


@pytest.fixture(scope="module")
def chat_server(
    tmp_path_factory: pytest.TempPathFactory, demo_model: Path
) -> Iterator[tuple[str, str]]:
    """A server on an empty embedded store with the demo model; yields (URL, store URL)."""
    folder = tmp_path_factory.mktemp("chat")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAIN_ASSISTANT_MODEL", str(demo_model))
        use_folder(patch, folder)
        store_url = get_settings().storage.store_url
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


def test_links_in_answers_lead_back_to_this_server(
    browser: Browser, chat_server: tuple[str, str]
) -> None:
    url, _ = chat_server
    page = browser.new_page()
    page.goto(f"{url}/chat?lang=en")
    page.fill("input[name=text]", "how do I return an item")
    page.click("button[type=submit]")
    link = page.locator(".message.assistant a").first
    expect(link).to_have_attribute("href", f"{url}/r/start")  # not the default port 8000
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    assert page.request.get(link.get_attribute("href") or "").ok
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "chat-link-en.png")


def test_only_web_and_same_site_links_become_links(
    browser: Browser, chat_server: tuple[str, str]
) -> None:
    url, _ = chat_server
    page = browser.new_page()
    written = (
        'javascript:alert(1) <img src=x onerror="window.hacked=1"> //evil.example/x '
        "see https://shop.example/help?a=1. or /help/articles/returns，谢谢"
    )
    reply = {"conversation_id": "c1", "text": written, "resolution": "intent"}
    page.route("**/api/v1/assistant/messages", lambda route: route.fulfill(json=reply))
    page.goto(f"{url}/chat?lang=en")
    page.fill("input[name=text]", "hello")
    page.click("button[type=submit]")
    answer = page.locator(".message.assistant").last
    expect(answer).to_have_text(written)  # every character shown as text
    hrefs = [link.get_attribute("href") for link in answer.locator("a").all()]
    assert hrefs == ["https://shop.example/help?a=1", f"{url}/help/articles/returns"]
    assert answer.locator("img").count() == 0
    assert page.evaluate("window.hacked") is None


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_waiting_shows_typing_and_ratings_need_no_emoji_font(
    browser: Browser, chat_server: tuple[str, str], language: str
) -> None:
    url, _ = chat_server
    page = browser.new_page()
    held: list[Route] = []
    page.set_viewport_size({"width": 360, "height": 640})
    page.route("**/api/v1/assistant/messages", lambda route: held.append(route))
    page.goto(f"{url}/chat?lang={language}")
    page.fill("input[name=text]", "which payment methods do you accept")
    page.click("button[type=submit]")
    typing = page.locator(".typing")
    expect(typing).to_be_visible()
    expect(typing).to_have_attribute("aria-label", re.compile(r"\S"))
    expect(page.locator("#rating")).to_be_hidden()  # nothing to rate yet
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:  # the route handler runs between calls
        page.wait_for_timeout(50)
    assert held, "the message was not sent"
    held[0].continue_()
    expect(page.locator(".message.assistant")).to_have_count(1)
    expect(typing).to_have_count(0)
    # A widget as narrow as a phone never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for button in page.locator("#rating button").all():
        expect(button.locator("svg")).to_have_count(1)
        expect(button).to_have_attribute("aria-label", re.compile(r"\S"))
        assert not EMOJI.search(button.inner_text())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"chat-rating-{language}.png")
