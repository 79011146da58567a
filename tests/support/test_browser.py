"""The help centre and the support dashboard in the real browser (Debian's Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from retain.auth.roles import Role
from retain.auth.service import create_user
from retain.clock import utcnow
from retain.settings import get_settings
from retain.store import ensure_store, session_scope
from retain.support import knowledge, service
from retain.support.deadlines import calendar_for
from tests.web.conftest import PASSWORD, browser, serving

__all__ = ["browser"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with articles in both languages, one ticket close to its SLA, an analyst."""
    folder = tmp_path_factory.mktemp("help")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAIN_DATA_DIR", str(folder))
        patch.setenv("RETAIN_RATE_LIMIT_STORAGE", f"memory://?browser={folder}")
        get_settings.cache_clear()
        settings = get_settings()
        ensure_store(settings.storage.store_url)
        now = utcnow()
        with session_scope(settings.storage.store_url) as session:
            for slug, title, body, language in (
                ("reset-password", "Reset your password", "Use the forgot password link.", "en"),
                (
                    "chong-zhi-mi-ma",
                    "如何重置密码",
                    "在登录页点击“忘记密码”即可重置密码。",
                    "zh-CN",
                ),
                ("ship-times", "Shipping times", "Orders ship within two days.", "en"),
            ):
                knowledge.create_article(
                    session,
                    slug=slug,
                    title=title,
                    body=body,
                    language=language,
                    category="account",
                    status="published",
                )
            # Opened long enough ago that every target is breached: it must show on /support.
            service.open_ticket(
                session=session,
                customer_id="C1",
                requester_email=None,
                subject="Cannot sign in",
                body="help",
                channel="api",
                priority="urgent",
                at=now - timedelta(days=30),
                calendar=calendar_for(settings),
            )
            create_user(
                session=session,
                username="analyst",
                password=PASSWORD,
                role=Role.analyst,
                actor="test",
            )
        with serving() as url:
            yield url
    get_settings.cache_clear()


def test_a_visitor_searches_in_chinese_reads_votes_and_writes(
    browser: Browser, server: str
) -> None:
    page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page.goto(f"{server}/help")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.fill("#search-box", "忘记密码了怎么办")
    page.click("#search-button")
    expect(page.locator("#results a").first).to_have_text("如何重置密码")
    page.locator("#results a").first.click()
    expect(page.locator("#article-title")).to_have_text("如何重置密码")
    page.click("#helpful-yes")
    expect(page.locator("#thanks")).to_be_visible()
    page.click("#language-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("#contact-link")
    page.fill("#email", "li@example.com")
    page.fill("#subject", "Password")
    page.fill("#message", "The reset email never arrives.")
    page.click("#send")
    expect(page.locator("#sent")).to_contain_text(re.compile(r"#\d+"))
    page.close()


def test_an_english_search_and_the_support_dashboard(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(f"{server}/help?lang=en")
    page.fill("#search-box", "how long does shipping take")
    page.click("#search-button")
    expect(page.locator("#results a").first).to_have_text("Shipping times")
    page.goto(f"{server}/login?next=/support")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Support")
    expect(page.locator("#sla-table")).to_contain_text("Cannot sign in")
    expect(page.locator("#sla-table")).to_contain_text("Breached")
    expect(page.locator("#tickets-by-state canvas").first).to_be_visible()
    page.close()
