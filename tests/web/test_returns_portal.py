"""The return portal driven in Chromium on a phone-sized screen, in English and Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, expect

from retain.locales import ui_text
from retain.settings import Settings, get_settings
from tests.returns.helpers import order, profile, store_url, warehouse_orders
from tests.web.conftest import ARTIFACTS, serving, use_folder

PHONE = {"width": 390, "height": 844}
RETURN_ID = re.compile(r"R-[0-9A-F]{10}")
TEXT = {
    "en": {
        "find": "Continue",
        "preview": "Preview",
        "approved": "Approved at once",
        "submit": "Submit return",
        "done": "Your return is registered",
    },
    "zh": {
        "find": "继续",
        "preview": "预览",
        "approved": "立即批准",
        "submit": "提交退货",
        "done": "您的退货已登记",
    },
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose warehouse holds two recent orders of a customer in Shanghai."""
    folder = tmp_path_factory.mktemp("portal")
    with pytest.MonkeyPatch.context() as patch:
        use_folder(patch, folder)
        settings: Settings = get_settings()
        recent = datetime.now().replace(microsecond=0) - timedelta(days=2)
        for order_id in ("SO-EN", "SO-ZH"):
            lines = ((2, Decimal("60.00")), (1, Decimal("19.99")))
            warehouse_orders(settings, order(order_id, lines=lines, ordered_at=recent))
        profile(store_url(settings), "C1", time_zone="Asia/Shanghai")
        with serving() as url:
            yield url
    get_settings.cache_clear()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_customer_returns_an_item_on_a_phone(browser: Browser, shop: str, language: str) -> None:
    text = TEXT[language]
    page = browser.new_page(viewport=PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{shop}/r/start?lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if language == "zh" else "en")
    page.locator("#order_id").fill(f"SO-{language.upper()}")
    page.locator("#email").fill("c1@example.com")
    page.get_by_role("button", name=text["find"]).click()
    portal_language = "zh-CN" if language == "zh" else "en"  # old links still say lang=zh
    heading = ui_text("return_portal", portal_language)["pick_items"]
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("h2", has_text="built-in method")).to_have_count(0)
    page.locator("#qty_1").select_option("1")
    page.locator("#condition_1").select_option("opened")
    page.locator("#comment").fill("too small" if language == "en" else "太小了")
    page.get_by_role("button", name=text["preview"]).click()
    expect(page.locator("#preview h2")).to_contain_text(text["approved"])
    expect(page.locator("[data-refund]")).to_have_text("30.00 EUR")
    # The page fits a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name=text["submit"]).click()
    expect(page.locator(".notice")).to_have_text(text["done"])
    expect(page.locator("[data-return-id]")).to_have_text(RETURN_ID)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"return-portal-{language}.png", full_page=True)
    assert errors == []
    page.close()
