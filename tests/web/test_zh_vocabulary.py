"""A Chinese browser sees every page in Chinese: no English vocabulary value, no snake_case key.

Signs in with a zh-CN browser (no ``?lang=``: the language must follow the browser), opens every
dashboard page and every public page, and reads the text a person sees. A vocabulary value shows
through when a whole fragment of that text (a cell, a list item, a phrase between Chinese words)
is an English catalogue word or a raw key; ids, e-mail addresses, numbers and people's own words
(names, subjects, comments) are fragments of their own and pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from retain.auth.roles import Role
from retain.auth.service import create_user, get_user
from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.customers.models import CustomerProfile
from retain.feedback import surveys
from retain.feedback.models import SurveyInvitation
from retain.locales import CATALOGUES
from retain.loyalty import member_page as loyalty_page
from retain.loyalty import service as loyalty_service
from retain.loyalty.ledger import NotAMember
from retain.messaging.consent import PREFERENCES, UNSUBSCRIBE, sign_customer_link
from retain.settings import Settings, get_settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.web.conftest import ARTIFACTS, PASSWORD

DASHBOARD = (
    "/",
    "/cohorts",
    "/customers",
    "/at-risk",
    "/lifetime",
    "/playbooks",
    "/feedback",
    "/feedback?q=%E8%B4%A8%E9%87%8F",
    "/feedback?q=delivery",
    "/returns",
    "/support",
    "/assistant",
)
SURVEY = "zh-vocabulary"
ZH = {"locale": "zh-CN"}
EN = {"locale": "en-US"}
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
KEBAB_KEY = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
# People's addresses and links are data, not words of the page.
EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|/\S*")
# A fragment is what lies between cells, punctuation and Chinese words.
FRAGMENT_BOUNDARY = re.compile(r"[\t\n;,·:：；，、。（）()\[\]【】|“”\"—–]+|[\u3400-\u9fff]+")
LOYALTY_RULES = """
points_per_unit: {USD: 1, CNY: 0.15}
tiers:
  - {name: silver, threshold: 500, multiplier: 1.25}
  - {name: gold, threshold: 2000, multiplier: 1.5, free_shipping: true}
rewards:
  - {name: ten-off, kind: coupon, cost: 1000, value: 10, currency: USD}
  - {name: credit-5, kind: store_credit, cost: 500, value: 5, currency: USD}
"""


def english_words() -> set[str]:
    """Every key and English word of the catalogue that Chinese does not share."""
    words: set[str] = set()
    for kind, english in CATALOGUES["en"].items():
        chinese = CATALOGUES["zh-CN"][kind]
        for key, word in english.items():
            if chinese[key] != word:
                words.update({key, word})
    return words


ENGLISH = english_words()


def untranslated(text: str) -> list[str]:
    """The fragments of ``text`` that are an English vocabulary word or a raw key."""
    text = EMAIL_OR_URL.sub(" ", text)
    found = []
    for fragment in FRAGMENT_BOUNDARY.split(text):
        fragment = fragment.strip()
        if fragment in ENGLISH or fragment.lower() in ENGLISH or KEBAB_KEY.match(fragment):
            found.append(fragment)
        else:
            found.extend(SNAKE_CASE.findall(fragment))
    return found


def visible_text(page: Page) -> str:
    """What a person reads, without the language switch (which names the other language) and
    without names marked ``translate="no"`` (the signed-in user's)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const copy = document.body.cloneNode(true);
            const hidden = '[hreflang], [translate=no], script, style';
            copy.querySelectorAll(hidden).forEach(element => element.remove());
            document.body.after(copy);
            const text = copy.innerText;
            copy.remove();
            return text;
        }"""
    )


def assert_chinese(page: Page, label: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    found = untranslated(visible_text(page))
    if found:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"zh-vocabulary-{len(found)}.png", full_page=True)
    assert found == [], f"{label} ({page.url}) shows untranslated values: {sorted(set(found))}"


def sign_in(context: BrowserContext, server: str, username: str = "analyst") -> Page:
    page = context.new_page()
    page.goto(f"{server}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server}/")
    return page


@pytest.fixture(scope="module")
def settings(server: str) -> Settings:
    """The settings of the running server (its environment holds while the module runs)."""
    return get_settings()


@pytest.fixture(scope="module")
def chinese_customer(settings: Settings) -> dict[str, Any]:
    """A Chinese-speaking customer with an e-mail address and their latest order."""
    backend = connect(settings.storage.resolved_warehouse_url, create_tables=False)
    orders = backend.table("order")
    latest = orders.group_by("customer_id").aggregate(
        order_id=orders.order_id.argmax(orders.ordered_at), ordered_at=orders.ordered_at.max()
    )
    candidates = latest.order_by(latest.ordered_at.desc()).limit(200).to_pyarrow().to_pylist()
    with session_scope(settings.storage.store_url) as session:
        for row in candidates:
            profile = session.get(CustomerProfile, row["customer_id"])
            if profile and profile.email and (profile.language or "").startswith("zh"):
                return {**row, "email": profile.email}
    pytest.fail("the demo has no Chinese-speaking customer with an order and an e-mail")


@pytest.fixture(scope="module")
def english_user(settings: Settings) -> str:
    """A user who chose English for the dashboard."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        if get_user(session=session, username="english") is None:
            create_user(
                session=session,
                username="english",
                password=PASSWORD,
                role=Role.analyst,
                actor="test",
                language="en",
            )
    return "english"


@pytest.fixture
def zh(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**ZH)
    yield context
    context.close()


def test_every_dashboard_page_says_its_vocabulary_in_chinese(
    zh: BrowserContext, server: str
) -> None:
    page = sign_in(zh, server)
    for path in DASHBOARD:
        page.goto(f"{server}{path}")
        assert_chinese(page, path)
    # Customer pages: the riskiest customers have subscriptions, tickets and feedback.
    page.goto(f"{server}/at-risk")
    customers = page.locator("#risk-table a, #customer-table a").evaluate_all(
        "links => links.slice(0, 3).map(link => link.getAttribute('href'))"
    )
    page.goto(f"{server}/customers")
    customers += page.locator("#customer-table a").evaluate_all(
        "links => links.slice(0, 2).map(link => link.getAttribute('href'))"
    )
    assert customers, "no customer page to check"
    for path in customers:
        page.goto(f"{server}{path}")
        assert_chinese(page, path)


def test_every_public_page_says_its_vocabulary_in_chinese(
    zh: BrowserContext, server: str, settings: Settings, chinese_customer: dict[str, Any]
) -> None:
    page = zh.new_page()
    for path in ("/login", "/help", "/help?q=%E9%80%80%E8%B4%A7", "/help/contact", "/chat"):
        page.goto(f"{server}{path}")
        assert_chinese(page, path)
    articles = page.goto(f"{server}/help") and page.locator("ul.articles a").evaluate_all(
        "links => links.slice(0, 3).map(link => link.getAttribute('href'))"
    )
    for path in articles or []:
        page.goto(f"{server}{path}")
        assert_chinese(page, path)
    _return_an_item(page, server, chinese_customer)
    for path in _signed_pages(settings, chinese_customer["customer_id"]):
        page.goto(f"{server}{path}")
        assert_chinese(page, path)


def _return_an_item(page: Page, server: str, customer: dict[str, Any]) -> None:
    """Each step of the return portal: find the order, the form, the preview, the receipt."""
    page.goto(f"{server}/r/start")
    assert_chinese(page, "return portal start")
    page.locator("#order_id").fill(customer["order_id"])
    page.locator("#email").fill(customer["email"])
    page.get_by_role("button", name="继续").click()
    expect(page).to_have_url(re.compile(r"/r/(?!start)"))
    assert_chinese(page, "return form")
    if page.locator("#qty_1").count() == 0:
        return  # every item of the order has been returned already
    page.locator("#qty_1").select_option("1")
    page.get_by_role("button", name="预览").click()
    expect(page.locator("#preview")).to_be_visible()
    assert_chinese(page, "return preview")
    page.get_by_role("button", name="提交退货").click()
    expect(page.locator("[data-return-id], .error").first).to_be_visible()
    assert_chinese(page, "return receipt")


def _signed_pages(settings: Settings, customer_id: str) -> list[str]:
    """Links a customer gets by message: survey, loyalty member page, preferences, unsubscribe."""
    secret, at = signing_key(settings), utcnow()
    with session_scope(settings.storage.store_url) as session:
        loyalty_service.save_rules(session=session, text=LOYALTY_RULES, at=at)
        try:
            loyalty_service.get_member(session=session, customer_id=customer_id)
        except NotAMember:
            loyalty_service.enroll(
                session=session, customer_id=customer_id, enrolled_at=at, language="zh-CN"
            )
        member = loyalty_page.sign_link(
            secret=secret, customer_id=customer_id, language="zh-CN", expires_at=at + timedelta(1)
        )
        try:
            survey = surveys.get_survey(session=session, name=SURVEY)
        except surveys.SurveyError:
            survey = surveys.create_survey(session=session, name=SURVEY, kind="NPS", now=at)
        # Invitations made before BCP 47 tags say "zh": their pages must still be Chinese.
        invitation = SurveyInvitation(
            survey_name=survey.name, customer_id=customer_id, language="zh", sent_at=at
        )
        session.add(invitation)
        session.flush()
        answer = surveys.sign_link(
            secret=secret, invitation=invitation, expires_at=at + timedelta(1)
        )
    links = {
        purpose: sign_customer_link(
            secret=secret,
            purpose=purpose,
            customer_id=customer_id,
            channel="email",
            language="zh-CN",
            at=at,
        )
        for purpose in (PREFERENCES, UNSUBSCRIBE)
    }
    return [
        f"/s/{answer}",
        f"/loyalty/member/{member}",
        f"/m/preferences/{links[PREFERENCES]}",
        f"/m/unsubscribe/{links[UNSUBSCRIBE]}",
    ]


def test_a_chinese_browser_stays_chinese_through_sign_in_and_sign_out(
    zh: BrowserContext, server: str
) -> None:
    page = zh.new_page()
    page.goto(f"{server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.close()
    page = sign_in(zh, server)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("概览")
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("form.login h1")).to_have_text("登录")


def test_the_switcher_wins_over_the_browser_until_changed_again(
    zh: BrowserContext, server: str
) -> None:
    page = sign_in(zh, server)
    page.locator("#language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{server}/support")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#ticket-state-table")).to_contain_text("Pending")
    page.locator("#language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#ticket-state-table")).to_contain_text("等待客户")


def test_a_language_the_user_chose_wins_over_the_browser_but_not_after_sign_out(
    zh: BrowserContext, server: str, english_user: str
) -> None:
    page = sign_in(zh, server, username=english_user)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_an_english_browser_gets_english_words(browser: Browser, server: str) -> None:
    context = browser.new_context(**EN)
    page = sign_in(context, server)
    page.goto(f"{server}/playbooks")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#playbook-table")).to_contain_text("Win-back")
    assert SNAKE_CASE.findall(visible_text(page)) == []
    context.close()


def test_the_check_itself_catches_raw_values() -> None:
    assert untranslated("状态\tpaid\t客户") == ["paid"]
    assert untranslated("触发条件\tinactive_days") == ["inactive_days"]
    assert untranslated("会员等级 silver") == ["silver"]
    assert untranslated("奖励\nten-off — 1000 积分") == ["ten-off"]
    assert untranslated("分群: champions, loyal") == ["champions", "loyal"]
    assert untranslated("审核中 Refunded") == ["Refunded"]
    assert untranslated("C0000081 liam.evans_1@example.org SKU-0042 2026-12-03 12.5%") == []
    assert untranslated("Green tea\tLiam Evans\tUpdate my account details") == []
