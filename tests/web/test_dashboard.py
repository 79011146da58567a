"""The dashboard in a real browser: sign in, every page in both languages, charts = API numbers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import ARTIFACTS, PASSWORD

PAGES = (
    "/",
    "/cohorts",
    "/customers",
    "/at-risk",
    "/lifetime",
    "/playbooks",
    "/feedback",
    "/returns",
    "/support",
    "/assistant",
)
HEADINGS = {
    "en": {
        "/": "Overview",
        "/cohorts": "Retention by acquisition cohort",
        "/customers": "Customers",
        "/at-risk": "At risk",
        "/lifetime": "Lifetime value",
        "/playbooks": "Playbooks",
        "/feedback": "Feedback",
        "/returns": "Returns",
        "/support": "Support",
        "/assistant": "Assistant",
    },
    "zh-CN": {
        "/": "概览",
        "/cohorts": "按获客同期群的留存",
        "/customers": "客户",
        "/at-risk": "流失风险",
        "/lifetime": "客户终身价值",
        "/playbooks": "营销剧本",
        "/feedback": "客户反馈",
        "/returns": "退货",
        "/support": "客服",
        "/assistant": "智能助手",
    },
}


def signed_in(browser: Browser, server: str, username: str = "analyst", **context: Any) -> Page:
    page = browser.new_page(**context)
    page.goto(f"{server}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server}/")
    return page


def chart_option(page: Page, element_id: str) -> dict[str, Any]:
    page.wait_for_function(
        "id => window.echarts && echarts.getInstanceByDom(document.getElementById(id))",
        arg=element_id,
    )
    return page.evaluate(  # type: ignore[no-any-return]
        "id => echarts.getInstanceByDom(document.getElementById(id)).getOption()", element_id
    )


def api(page: Page, path: str) -> Any:
    answer = page.request.get(page.url.split("/", 3)[0] + "//" + page.url.split("/")[2] + path)
    assert answer.ok, answer.text()
    return answer.json()


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_page_renders_its_charts_in_both_languages(
    browser: Browser, server: str, language: str
) -> None:
    page = signed_in(browser, server, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/?lang={language}")
    for path in PAGES:
        page.goto(f"{server}{path}")
        expect(page.locator("h1")).to_have_text(HEADINGS[language][path])
        expect(page.locator("html")).to_have_attribute("lang", language)
        for chart in page.locator(".chart").all():
            expect(chart.locator("canvas").first).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = path.strip("/") or "overview"
        page.screenshot(path=ARTIFACTS / f"{name}-{language}.png", full_page=True)
    assert errors == []


def test_charts_show_the_numbers_the_api_gives(browser: Browser, server: str) -> None:
    page = signed_in(browser, server)
    metrics = api(page, "/api/v1/metrics")["items"]
    trend = chart_option(page, "trend")
    assert trend["series"][0]["data"] == [row["crr"] for row in metrics]
    assert trend["xAxis"][0]["data"] == [row["period_start"][:10] for row in metrics]
    page.goto(f"{server}/cohorts")
    cohorts = api(page, "/api/v1/cohorts")["items"]
    heatmap = chart_option(page, "heatmap")
    cells = [cell for series in heatmap["series"] for cell in series["data"]]
    assert sorted(cell[2] for cell in cells) == sorted(row["share"] for row in cohorts)
    rows = page.locator("#cohort-table tbody tr")
    assert rows.count() == len({row["cohort"] for row in cohorts})


def test_a_customer_is_found_and_followed_to_the_360_page(browser: Browser, server: str) -> None:
    page = signed_in(browser, server)
    page.goto(f"{server}/customers")
    first = page.locator("#customer-table tbody tr").first
    name = first.locator("td").nth(1).inner_text()
    page.fill("#customer-search", name)
    expect(page.locator("#customer-table tbody tr").first.locator("td").nth(1)).to_have_text(name)
    customer_id = page.locator("#customer-table tbody tr a").first.inner_text()
    page.locator("#customer-table tbody tr a").first.click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.locator("h1")).to_contain_text(name)
    view = api(page, f"/api/v1/customers/{customer_id}")
    expect(page.locator("#orders tbody tr")).to_have_count(len(view["orders"]["recent"]))
    usage = chart_option(page, "usage")
    assert usage["series"][0]["data"] == [week["events"] for week in view["usage_weekly"]]


def test_the_language_choice_is_remembered_and_dates_follow_it(
    browser: Browser, server: str
) -> None:
    page = signed_in(browser, server)
    page.click("#language-switch")
    expect(page.locator("h1")).to_have_text("概览")
    page.goto(f"{server}/customers")
    expect(page.locator("h1")).to_have_text("客户")
    signup = page.locator("#customer-table tbody tr").first.locator("td").nth(4).inner_text()
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", signup), signup


def test_pages_fit_a_phone_screen(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, viewport={"width": 390, "height": 844}, is_mobile=True)
    for path in PAGES:
        page.goto(f"{server}{path}")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, (path, overflow)
    page.screenshot(path=ARTIFACTS / "overview-phone.png", full_page=True)


def test_viewers_do_not_see_customers(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, username="viewer")
    expect(page.locator("nav a[href='/customers']")).to_have_count(0)
    answer = page.goto(f"{server}/customers")
    assert answer is not None and answer.status == 403


def test_the_riskiest_customer_is_followed_to_the_360_page(browser: Browser, server: str) -> None:
    page = signed_in(browser, server)
    page.goto(f"{server}/at-risk")
    scores = api(page, "/api/v1/churn/scores?limit=50")["items"]
    rows = page.locator("#risk-table tbody tr")
    expect(rows).to_have_count(len(scores))
    first = scores[0]
    expect(rows.first.locator("td").nth(2)).to_contain_text(first["reasons"][0]["en"])
    histogram = chart_option(page, "risk-histogram")
    assert sum(histogram["series"][0]["data"]) >= len(scores)
    rows.first.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/customers/{first['customer_id']}$"))
    expect(page.locator("#churn")).to_contain_text(first["reasons"][0]["en"])
