"""A customer's top risk drivers, from tree SHAP contributions, in plain English and Chinese."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from retain.locales import vocab

REASONS_PER_CUSTOMER = 3
# Categorical features whose values are vocabulary words (``team`` is the Team plan).
VALUE_VOCABULARY = {"plan": "plan", "channel": "channel", "segment": "segment", "tier": "tier"}
Wording = Callable[[float], tuple[str, str]]


def _percent_fall(value: float, window: str, window_zh: str) -> tuple[str, str]:
    if value < 0:
        fall = round(-value * 100)
        return (
            f"usage fell {fall}% vs their {window} baseline",
            f"使用量较其{window_zh}基线下降{fall}%",
        )
    rise = round(value * 100)
    return f"usage up {rise}% vs their {window} baseline", f"使用量较其{window_zh}基线上升{rise}%"


def _count(value: float) -> int:
    return int(round(value))


WORDINGS: dict[str, Wording] = {
    "usage_change_7d": lambda v: _percent_fall(v, "90-day", "90天"),
    "usage_change_30d": lambda v: _percent_fall(v, "90-day", "90天"),
    "usage_change_90d": lambda v: _percent_fall(v, "90-day", "90天"),
    "days_since_usage": lambda v: (
        f"no product usage for {_count(v)} days",
        f"已{_count(v)}天未使用产品",
    ),
    "usage_7d": lambda v: (f"{_count(v)} uses in the last 7 days", f"近7天使用{_count(v)}次"),
    "usage_30d": lambda v: (f"{_count(v)} uses in the last 30 days", f"近30天使用{_count(v)}次"),
    "active_days_30d": lambda v: (
        f"active on {_count(v)} days in the last 30",
        f"近30天活跃{_count(v)}天",
    ),
    "active_days_90d": lambda v: (
        f"active on {_count(v)} days in the last 90",
        f"近90天活跃{_count(v)}天",
    ),
    "usage_trend_90d": lambda v: (
        f"usage {'falling' if v < 0 else 'rising'} over the last 90 days",
        f"近90天使用量持续{'下降' if v < 0 else '上升'}",
    ),
    "usage_90d": lambda v: (f"{_count(v)} uses in the last 90 days", f"近90天使用{_count(v)}次"),
    "open_tickets": lambda v: (
        f"{_count(v)} unresolved ticket{'s' if _count(v) != 1 else ''}",
        f"{_count(v)}个未解决的工单",
    ),
    "tickets_90d": lambda v: (
        f"{_count(v)} support ticket{'s' if _count(v) != 1 else ''} in the last 90 days",
        f"近90天提交{_count(v)}个工单",
    ),
    "ticket_satisfaction": lambda v: (
        f"ticket satisfaction {v:.1f} of 5",
        f"工单满意度为{v:.1f}分（满分5分）",
    ),
    "last_nps": lambda v: (f"last NPS score {_count(v)}", f"最近一次NPS评分为{_count(v)}"),
    "last_csat": lambda v: (
        f"last CSAT score {_count(v)} of 5",
        f"最近一次CSAT评分为{_count(v)}分（满分5分）",
    ),
    "mrr_change_90d": lambda v: (
        f"MRR {'down' if v < 0 else 'up'} {abs(v):,.0f} in the last 90 days",
        f"近90天MRR{'减少' if v < 0 else '增加'}{abs(v):,.0f}",
    ),
    "mrr": lambda v: (f"MRR of {v:,.0f}", f"MRR为{v:,.0f}"),
    "contractions_180d": lambda v: (
        f"{_count(v)} downgrade{'s' if _count(v) != 1 else ''} in the last 180 days",
        f"近180天降级{_count(v)}次",
    ),
    "expansions_180d": lambda v: (
        f"{_count(v)} upgrades in the last 180 days",
        f"近180天升级{_count(v)}次",
    ),
    "tenure_days": lambda v: (
        f"a customer for {_count(v)} days",
        f"成为客户{_count(v)}天",
    ),
    "days_since_order": lambda v: (
        f"no order for {_count(v)} days" if v < 9_000 else "has never ordered",
        f"已{_count(v)}天未下单" if v < 9_000 else "从未下单",
    ),
    "orders_90d": lambda v: (f"{_count(v)} orders in the last 90 days", f"近90天下单{_count(v)}次"),
    "orders_365d": lambda v: (f"{_count(v)} orders in the last year", f"近一年下单{_count(v)}次"),
    "spend_90d": lambda v: (f"spent {v:,.0f} in the last 90 days", f"近90天消费{v:,.0f}"),
    "spend_trend_90d": lambda v: (
        f"spend {'down' if v < 0 else 'up'} vs the 90 days before",
        f"消费较前90天{'下降' if v < 0 else '上升'}",
    ),
    "returns_180d": lambda v: (
        f"{_count(v)} return{'s' if _count(v) != 1 else ''} in the last 180 days",
        f"近180天退货{_count(v)}次",
    ),
    "discount_share_365d": lambda v: (
        f"{round(v * 100)}% of orders discounted in the last year",
        f"近一年{round(v * 100)}%的订单使用了折扣",
    ),
}


def describe(feature: str, value: Any) -> tuple[str, str]:
    """The English and Chinese words for one feature's value; a column of a table brought by
    the shop is named in readable words, never as its snake_case key."""
    english, chinese = (
        vocab(feature, "churn_feature", "en"),
        vocab(feature, "churn_feature", "zh-CN"),
    )
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"{english} unknown", f"{chinese}未知"
    wording = WORDINGS.get(feature)
    if wording is not None and isinstance(value, int | float | np.number):
        return wording(float(value))
    if feature in VALUE_VOCABULARY:
        kind = VALUE_VOCABULARY[feature]
        return (
            f"{english} is {vocab(value, kind, 'en')}",
            f"{chinese}为{vocab(value, kind, 'zh-CN')}",
        )
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{english} is {shown}", f"{chinese}为{shown}"


def top_reasons(
    contributions: pd.DataFrame, values: pd.DataFrame, *, count: int = REASONS_PER_CUSTOMER
) -> list[list[dict[str, Any]]]:
    """Per row, the ``count`` inputs that raise the risk most, with their words."""
    matrix = contributions.to_numpy()
    order = np.argsort(-matrix, axis=1, kind="stable")[:, :count]
    names = np.asarray(contributions.columns)
    records = values[list(contributions.columns)].to_numpy(dtype=object)
    found: list[list[dict[str, Any]]] = []
    for row, chosen in enumerate(order):
        reasons = []
        for column in chosen:
            if matrix[row, column] <= 0:
                break
            english, chinese = describe(str(names[column]), records[row, column])
            reasons.append(
                {
                    "feature": str(names[column]),
                    "contribution": round(float(matrix[row, column]), 4),
                    "en": english,
                    "zh": chinese,
                }
            )
        found.append(reasons)
    return found
