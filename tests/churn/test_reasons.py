"""Each reason's wording in English and Chinese, and which drivers become reasons."""

from __future__ import annotations

import pandas as pd
import pytest

from retain.churn.features import FEATURES
from retain.churn.reasons import WORDINGS, describe, top_reasons

CASES = [
    (
        "usage_change_30d",
        -0.62,
        "usage fell 62% vs their 90-day baseline",
        "使用量较其90天基线下降62%",
    ),
    ("usage_change_7d", 0.25, "usage up 25% vs their 90-day baseline", "使用量较其90天基线上升25%"),
    (
        "usage_change_90d",
        -0.1,
        "usage fell 10% vs their 90-day baseline",
        "使用量较其90天基线下降10%",
    ),
    ("days_since_usage", 21.4, "no product usage for 21 days", "已21天未使用产品"),
    ("usage_7d", 2, "2 uses in the last 7 days", "近7天使用2次"),
    ("usage_30d", 0, "0 uses in the last 30 days", "近30天使用0次"),
    ("usage_90d", 40, "40 uses in the last 90 days", "近90天使用40次"),
    ("active_days_30d", 3, "active on 3 days in the last 30", "近30天活跃3天"),
    ("active_days_90d", 12, "active on 12 days in the last 90", "近90天活跃12天"),
    ("usage_trend_90d", -0.5, "usage falling over the last 90 days", "近90天使用量持续下降"),
    ("open_tickets", 2, "2 unresolved tickets", "2个未解决的工单"),
    ("open_tickets", 1, "1 unresolved ticket", "1个未解决的工单"),
    ("tickets_90d", 5, "5 support tickets in the last 90 days", "近90天提交5个工单"),
    ("ticket_satisfaction", 2.0, "ticket satisfaction 2.0 of 5", "工单满意度为2.0分（满分5分）"),
    ("last_nps", 3, "last NPS score 3", "最近一次NPS评分为3"),
    ("last_csat", 2, "last CSAT score 2 of 5", "最近一次CSAT评分为2分（满分5分）"),
    ("mrr_change_90d", -50, "MRR down 50 in the last 90 days", "近90天MRR减少50"),
    ("mrr", 1234.5, "MRR of 1,234", "MRR为1,234"),
    ("contractions_180d", 2, "2 downgrades in the last 180 days", "近180天降级2次"),
    ("expansions_180d", 0, "0 upgrades in the last 180 days", "近180天升级0次"),
    ("tenure_days", 45, "a customer for 45 days", "成为客户45天"),
    ("days_since_order", 120, "no order for 120 days", "已120天未下单"),
    ("days_since_order", 9999, "has never ordered", "从未下单"),
    ("orders_90d", 0, "0 orders in the last 90 days", "近90天下单0次"),
    ("orders_365d", 7, "7 orders in the last year", "近一年下单7次"),
    ("spend_90d", 80, "spent 80 in the last 90 days", "近90天消费80"),
    ("spend_trend_90d", -0.4, "spend down vs the 90 days before", "消费较前90天下降"),
    ("returns_180d", 3, "3 returns in the last 180 days", "近180天退货3次"),
    (
        "discount_share_365d",
        0.6,
        "60% of orders discounted in the last year",
        "近一年60%的订单使用了折扣",
    ),
]


@pytest.mark.parametrize(("feature", "value", "english", "chinese"), CASES)
def test_each_feature_has_plain_words_in_both_languages(
    feature: str, value: float, english: str, chinese: str
) -> None:
    assert describe(feature, value) == (english, chinese)


def test_every_model_feature_has_its_own_wording() -> None:
    assert set(FEATURES) <= set(WORDINGS)
    assert set(FEATURES) <= {case[0] for case in CASES}


def test_columns_of_a_bring_your_own_table_are_named_in_words_not_keys() -> None:
    assert describe("plan_tier", "Basic") == ("Plan tier is Basic", "Plan tier为Basic")
    assert describe("seats", 3.5) == ("Seats is 3.5", "Seats为3.5")
    assert describe("seats", float("nan")) == ("Seats unknown", "Seats未知")


def test_a_categorical_value_is_said_in_each_language_not_as_its_key() -> None:
    english, chinese = describe("plan", "team")
    assert english == "plan is Team"
    assert "team" not in chinese
    assert chinese.endswith("团队版")


def test_only_drivers_that_raise_the_risk_become_reasons_largest_first() -> None:
    contributions = pd.DataFrame(
        {"open_tickets": [0.9, -0.2], "last_nps": [0.3, -0.1], "usage_change_30d": [1.2, -0.5]}
    )
    values = pd.DataFrame(
        {"open_tickets": [2, 0], "last_nps": [3, 9], "usage_change_30d": [-0.62, 0.1]}
    )

    first, second = top_reasons(contributions, values, count=2)

    assert [reason["en"] for reason in first] == [
        "usage fell 62% vs their 90-day baseline",
        "2 unresolved tickets",
    ]
    assert first[0]["zh-CN"] == "使用量较其90天基线下降62%"
    assert first[0]["contribution"] == pytest.approx(1.2)
    assert second == []
