"""What a person sees on the cohort heatmap, the customer-360 page and the lifetime charts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from retain.settings import get_settings
from retain.warehouse import connect
from retain.web.pages.cohorts import MIN_COHORT_SIZE
from tests.web.conftest import ARTIFACTS
from tests.web.test_dashboard import api, chart_option, signed_in

LANGUAGES = ("en", "zh-CN")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Every drawn text of a chart with its box on the canvas (labels, axis names, legends).
DRAWN_TEXTS = """id => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  return chart.getZr().storage.getDisplayList(true)
    .filter((el) => el.style && typeof el.style.text === "string" && !el.invisible)
    .map((el) => {
      const box = el.getBoundingRect().clone();
      if (el.transform) box.applyTransform(el.transform);
      return { text: el.style.text, x: box.x, y: box.y, width: box.width, height: box.height };
    });
}"""
# The box of the whole colour scale (bar, end labels and handles) on the canvas.
COLOUR_SCALE_BOX = """id => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const view = chart.getViewOfComponentModel(chart.getModel().getComponent("visualMap"));
  const box = view.group.getBoundingRect().clone();
  if (view.group.transform) box.applyTransform(view.group.transform);
  return { x: box.x, y: box.y, width: box.width, height: box.height };
}"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def drawn_texts(page: Page, element_id: str) -> list[dict[str, Any]]:
    chart_option(page, element_id)  # waits until the chart is drawn
    return page.evaluate(DRAWN_TEXTS, element_id)  # type: ignore[no-any-return]


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.fixture(scope="module")
def pages(browser: Browser, server: str) -> Iterator[Callable[..., Page]]:
    """New pages of one signed-in session: signing in for each test would meet the rate limit."""
    first = signed_in(browser, server)
    state = first.context.storage_state()
    first.close()
    opened: list[Page] = []

    def new_page(**context: Any) -> Page:
        page = browser.new_page(storage_state=state, **context)
        opened.append(page)
        return page

    yield new_page
    for page in opened:
        page.close()


@pytest.fixture(scope="module")
def demo_facts(server: str) -> Iterator[dict[str, str]]:
    """Customers of the demo that show each defect: stale renewals, many tickets, a CLV."""
    backend = connect(get_settings().storage.resolved_warehouse_url)
    try:
        now = datetime.now(UTC).replace(tzinfo=None)
        changes = backend.table("subscription_change").to_pandas()
        latest = changes.sort_values("changed_at").groupby("subscription_id").tail(1)
        stale = latest[(latest.kind != "churn") & (latest.renews_at < now)]
        tickets = backend.table("ticket_event").to_pandas()
        busiest = tickets.groupby("customer_id").ticket_id.nunique().idxmax()
    finally:
        backend.disconnect()
    assert not stale.empty, "the demo has no active subscription with a renewal date in the past"
    yield {"stale_renewal": str(stale.customer_id.iloc[0]), "many_tickets": str(busiest)}


# --- The cohort heatmap ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_colour_scale_keeps_clear_of_the_axis_title_and_the_cells(
    pages: Callable[..., Page], server: str, language: str
) -> None:
    page = pages(viewport=DESKTOP)
    page.goto(f"{server}/cohorts?lang={language}")
    option = chart_option(page, "heatmap")
    title = option["xAxis"][0]["name"]
    [axis_title] = [text for text in drawn_texts(page, "heatmap") if text["text"] == title]
    scale = page.evaluate(COLOUR_SCALE_BOX, "heatmap")
    assert not overlap(scale, axis_title), (scale, axis_title)
    grid_top = option["grid"][0]["top"]
    assert scale["y"] + scale["height"] <= grid_top, (scale, grid_top)
    shot(page, f"cohorts-heatmap-{language}")


def test_tiny_cohorts_are_grey_off_the_colour_scale_and_the_page_says_so(
    pages: Callable[..., Page], server: str
) -> None:
    page = pages(viewport=DESKTOP)
    page.goto(f"{server}/cohorts")
    rows = api(page, "/api/v1/cohorts")["items"]
    tiny = {row["cohort"][:10] for row in rows if row["cohort_size"] < MIN_COHORT_SIZE}
    assert tiny, "the demo has no cohort under the minimum size"
    option = chart_option(page, "heatmap")
    cohorts = option["yAxis"][0]["data"]
    coloured, grey = (series["data"] for series in option["series"])
    assert option["visualMap"][0]["seriesIndex"] in (0, [0])
    assert {cohorts[cell[1]] for cell in grey} == tiny
    assert not {cohorts[cell[1]] for cell in coloured} & tiny
    # Every cell is drawn once, coloured or grey.
    assert sorted(cell[2] for cell in coloured + grey) == sorted(row["share"] for row in rows)
    # The colour scale spans the coloured cells only: a 1-customer cohort's 100 % is not its top.
    assert option["visualMap"][0]["max"] == max(1.0, *(cell[2] for cell in coloured))
    expect(page.locator("#cohort-note")).to_contain_text(str(MIN_COHORT_SIZE))
    legend = [text["text"] for text in drawn_texts(page, "heatmap")]
    assert any(str(MIN_COHORT_SIZE) in text for text in legend), legend
    muted = page.locator("#cohort-table tbody tr.muted td:first-child")
    assert sorted(muted.all_text_contents()) == sorted(tiny)

    page.goto(f"{server}/cohorts?min_size=1")
    option = chart_option(page, "heatmap")
    assert option["series"][1]["data"] == []
    expect(page.locator("#cohort-table tbody tr.muted")).to_have_count(0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_row_names_its_cohort_size_and_every_cell_its_percentage(
    pages: Callable[..., Page], server: str, language: str
) -> None:
    page = pages(viewport=DESKTOP)
    page.goto(f"{server}/cohorts?lang={language}")
    rows = api(page, "/api/v1/cohorts")["items"]
    texts = drawn_texts(page, "heatmap")
    assert_rows_named(texts, rows)
    assert len(cell_percentages(page, texts)) == len(rows)


def test_percentages_that_do_not_fit_a_phone_are_left_out(
    pages: Callable[..., Page], server: str
) -> None:
    page = pages(viewport=PHONE, is_mobile=True)
    page.goto(f"{server}/cohorts")
    rows = api(page, "/api/v1/cohorts")["items"]
    texts = drawn_texts(page, "heatmap")
    assert_rows_named(texts, rows)
    assert cell_percentages(page, texts) == []
    shot(page, "cohorts-heatmap-phone")


def assert_rows_named(texts: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    drawn = {text["text"] for text in texts}
    sizes = {row["cohort"][:10]: row["cohort_size"] for row in rows}
    for cohort, size in sizes.items():
        assert f"{cohort} · {size:,}" in drawn, (cohort, size)


def cell_percentages(page: Page, texts: list[dict[str, Any]]) -> list[str]:
    """Percentages drawn on the cells (below the colour scale, whose ends read 0 % and 100 %)."""
    grid_top = chart_option(page, "heatmap")["grid"][0]["top"]
    return [
        text["text"]
        for text in texts
        if re.fullmatch(r"\d{1,3}%", text["text"]) and text["y"] >= grid_top
    ]


# --- The customer-360 page ------------------------------------------------------------------


def clipped_boxes(page: Page) -> list[str]:
    """Sections and tables whose content is wider than they are (cut off or scrolled away)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => [...document.querySelectorAll("main section, main .scroll, main td, main th")]
          .filter((el) => el.scrollWidth > el.clientWidth + 1)
          .map((el) => `${el.tagName}#${el.id} ${el.textContent.trim().slice(0, 40)}`)"""
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_customer_page_wraps_instead_of_cutting_text(
    pages: Callable[..., Page],
    server: str,
    demo_facts: dict[str, str],
    viewport: dict[str, int],
    language: str,
) -> None:
    page = pages(viewport=viewport, is_mobile=viewport is PHONE)
    customer = demo_facts["many_tickets"]
    page.goto(f"{server}/customers/{customer}?lang={language}")
    expect(page.locator("#tickets tbody tr").first).to_be_visible()
    assert clipped_boxes(page) == []
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    shot(page, f"customer-{'phone' if viewport is PHONE else 'desktop'}-{language}")


@pytest.mark.parametrize(
    ("language", "label", "average"),
    [("en", "Predicted CLV", "Average"), ("zh-CN", "预测终身价值", "平均")],
)
def test_one_customers_clv_is_called_predicted_not_average(
    pages: Callable[..., Page], server: str, language: str, label: str, average: str
) -> None:
    page = pages(viewport=DESKTOP)
    page.goto(f"{server}/customers?lang={language}")
    expect(page.locator("#customer-table thead")).not_to_contain_text(average)
    page.locator("#customer-table tbody tr a").first.click()
    predictions = page.locator("#predictions")
    expect(predictions).to_contain_text(label)
    expect(predictions).not_to_contain_text(average)
    clv = predictions.locator("tr", has_text=label).locator("td")
    expect(clv).to_contain_text(get_settings().region.reporting_currency)


def test_an_active_subscription_renews_after_today(
    pages: Callable[..., Page], server: str, demo_facts: dict[str, str]
) -> None:
    customer = demo_facts["stale_renewal"]
    page = pages(viewport=DESKTOP)
    page.goto(f"{server}/customers/{customer}?lang=en")
    now = datetime.now(UTC).replace(tzinfo=None)
    view = api(page, f"/api/v1/customers/{customer}")
    active = [s for s in view["subscriptions"] if s["status"] == "active"]
    assert active
    for subscription in active:
        renews_at = datetime.fromisoformat(subscription["renews_at"])
        assert now < renews_at
        # The first renewal after today: the one before it has passed (monthly in the demo).
        assert (renews_at - now).days <= 31
    shown = page.locator("#subscriptions tbody tr", has_text="active").locator("td").nth(3)
    assert datetime.strptime(shown.inner_text(), "%b %d, %Y").date() >= now.date()


# --- The lifetime charts --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_actual_and_predicted_purchases_differ_in_colour_and_line(
    pages: Callable[..., Page], server: str, language: str
) -> None:
    page = pages(viewport=DESKTOP)
    page.goto(f"{server}/lifetime?lang={language}")
    option = chart_option(page, "clv-tracking")
    actual, predicted = option["series"]
    assert actual["color"] != predicted["color"]
    assert actual["lineStyle"].get("type", "solid") == "solid"
    assert predicted["lineStyle"]["type"] == "dashed"
    legend = [text["text"] for text in drawn_texts(page, "clv-tracking")]
    assert actual["name"] in legend and predicted["name"] in legend
    shot(page, f"lifetime-{language}")


def test_the_clv_chart_is_in_the_reporting_currency(
    pages: Callable[..., Page], server: str
) -> None:
    currency = get_settings().region.reporting_currency
    page = pages(viewport=DESKTOP)
    page.goto(f"{server}/lifetime")
    option = chart_option(page, "clv-histogram")
    assert currency in option["xAxis"][0]["name"]
    page.evaluate(
        """id => echarts.getInstanceByDom(document.getElementById(id))
          .dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 0 })""",
        "clv-histogram",
    )
    first_range = option["xAxis"][0]["data"][0]
    expect(page.locator("#clv-histogram")).to_contain_text(f"{first_range} {currency}")
