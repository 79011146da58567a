"""The policy rules one by one: windows in the customer's time zone, final sale, fees, rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from retain.returns.policy import (
    LineFacts,
    PolicyError,
    RequestFacts,
    evaluate,
    parse_policy,
    window_end,
)


def facts(
    *,
    requested_at: datetime,
    ordered_at: datetime = datetime(2026, 1, 1, 20, 0),
    time_zone: str | None = None,
    value: str = "30",
    product_id: str = "P1",
    category: str = "tea",
    condition: str = "unopened",
    reason: str = "changed_mind",
    tier: str | None = None,
    first_return: bool = True,
) -> RequestFacts:
    return RequestFacts(
        ordered_at=ordered_at,
        requested_at=requested_at,
        time_zone=time_zone,
        reason=reason,
        resolution="refund",
        lines=(LineFacts(product_id, category, condition, Decimal(value)),),
        tier=tier,
        first_return=first_return,
    )


BASE = """
window_days: 30
reasons: [changed_mind, damaged]
categories:
  shoes: {window_days: 60}
  clearance: {final_sale: true}
products:
  P-LAST: {window_days: 7}
"""


def test_the_window_ends_at_midnight_in_the_customers_time_zone() -> None:
    policy = parse_policy(BASE)
    # 20:00 UTC on 1 January is 04:00 on 2 January in Shanghai: the window runs to 1 February
    # inclusive there, i.e. until 16:00 UTC on 1 February.
    assert window_end(datetime(2026, 1, 1, 20), 30, "Asia/Shanghai") == datetime(2026, 2, 1, 16)
    last_moment = facts(requested_at=datetime(2026, 2, 1, 15, 59), time_zone="Asia/Shanghai")
    too_late = facts(requested_at=datetime(2026, 2, 1, 16, 0), time_zone="Asia/Shanghai")
    assert evaluate(policy, last_moment).outcome != "decline"
    declined = evaluate(policy, too_late)
    assert (declined.outcome, declined.reason) == ("decline", "window_passed")
    # The same instants in UTC: the order was on 1 January, the window runs to 31 January.
    in_utc = facts(requested_at=datetime(2026, 2, 1, 0, 0), time_zone="UTC")
    assert evaluate(policy, in_utc).reason == "window_passed"
    assert evaluate(policy, facts(requested_at=datetime(2026, 1, 31, 23, 59))).outcome != "decline"


def test_windows_per_product_and_category() -> None:
    policy = parse_policy(BASE)
    day_45 = datetime(2026, 2, 15, 12)
    assert evaluate(policy, facts(requested_at=day_45, category="shoes")).outcome != "decline"
    assert evaluate(policy, facts(requested_at=day_45, category="tea")).reason == "window_passed"
    day_9 = datetime(2026, 1, 10, 12)
    last = facts(requested_at=day_9, product_id="P-LAST", category="shoes")
    assert evaluate(policy, last).reason == "window_passed"  # the product's rule wins


def test_final_sale_items_are_declined_with_that_reason() -> None:
    decision = evaluate(
        parse_policy(BASE), facts(requested_at=datetime(2026, 1, 3), category="clearance")
    )
    assert (decision.outcome, decision.reason) == ("decline", "final_sale")
    assert "final sale" in decision.note


def test_item_condition_and_reason_must_be_accepted() -> None:
    policy = parse_policy(BASE + "accepted_conditions: [unopened]\n")
    used = evaluate(policy, facts(requested_at=datetime(2026, 1, 3), condition="used"))
    assert (used.outcome, used.reason) == ("decline", "other") and "used" in used.note
    odd = evaluate(policy, facts(requested_at=datetime(2026, 1, 3), reason="bored"))
    assert (odd.outcome, odd.reason) == ("decline", "other")


@pytest.mark.parametrize(
    ("rule", "kwargs", "approved"),
    [
        ("value <= 50", {"value": "50"}, True),
        ("value <= 50", {"value": "50.01"}, False),
        ("tier in ['gold', 'platinum']", {"tier": "gold"}, True),
        ("tier in ['gold', 'platinum']", {"tier": None}, False),
        ("first_return = true", {"first_return": True}, True),
        ("first_return = true", {"first_return": False}, False),
        ("value < 100 and not (reason = 'damaged')", {"value": "99"}, True),
        ("value < 100 and not (reason = 'damaged')", {"reason": "damaged"}, False),
    ],
)
def test_auto_approval_rules_one_by_one(
    rule: str, kwargs: dict[str, object], approved: bool
) -> None:
    policy = parse_policy(BASE + f'auto_approve: ["{rule}"]\n')
    decision = evaluate(policy, facts(requested_at=datetime(2026, 1, 3), **kwargs))  # type: ignore[arg-type]
    assert decision.outcome == ("approve" if approved else "review")
    assert decision.matched_rule == (rule if approved else None)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("window_days: -1", "window_days"),
        ("fees: {restocking: {percent: '120'}}", "fees.restocking.percent"),
        ("fees: {restocking: {percent: '5', fixed: '1'}}", "a fee takes exactly one"),
        ("auto_approve: [\"__import__('os').system('id')\"]", "auto_approve"),
        ("auto_approve: ['balance > 3']", "balance"),
        ("colour: red", "colour"),
        ("- a list", "mapping"),
    ],
)
def test_bad_policies_are_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(PolicyError, match=field.replace("(", r"\(")):
        parse_policy(text)
