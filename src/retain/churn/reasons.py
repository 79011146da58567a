"""A customer's top risk drivers, from tree SHAP contributions, in words of each language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from retain.locales import LANGUAGES, ui_text, vocab

REASONS_PER_CUSTOMER = 3
# Categorical features whose values are vocabulary words (``team`` is the Team plan).
VALUE_VOCABULARY = {"plan": "plan", "channel": "channel", "segment": "segment", "tier": "tier"}
# A feature's value -> the key of its sentence in the ``churn_reasons`` text and the blanks.
Wording = Callable[[float], tuple[str, dict[str, Any]]]
# Days since the first order stand in for "never" beyond this many.
NEVER_ORDERED_DAYS = 9_000


def _count(value: float) -> int:
    return int(round(value))


def _counted(key: str, *, singular: bool = False) -> Wording:
    """A count of things; with ``singular``, one thing has its own sentence (``1 ticket``)."""

    def wording(value: float) -> tuple[str, dict[str, Any]]:
        count = _count(value)
        return (f"{key}_one" if singular and count == 1 else key), {"count": count}

    return wording


def _usage_change(value: float) -> tuple[str, dict[str, Any]]:
    if value < 0:
        return "usage_fell", {"percent": round(-value * 100)}
    return "usage_rose", {"percent": round(value * 100)}


def _direction(falling: str, rising: str, **blanks: Callable[[float], Any]) -> Wording:
    """One sentence for a fall, another for a rise, each blank computed from the value."""
    return lambda value: (
        falling if value < 0 else rising,
        {name: blank(value) for name, blank in blanks.items()},
    )


def _days_since_order(value: float) -> tuple[str, dict[str, Any]]:
    if value < NEVER_ORDERED_DAYS:
        return "days_since_order", {"count": _count(value)}
    return "never_ordered", {}


WORDINGS: dict[str, Wording] = {
    "usage_change_7d": _usage_change,
    "usage_change_30d": _usage_change,
    "usage_change_90d": _usage_change,
    "days_since_usage": _counted("days_since_usage"),
    "usage_7d": _counted("usage_7d"),
    "usage_30d": _counted("usage_30d"),
    "active_days_30d": _counted("active_days_30d"),
    "active_days_90d": _counted("active_days_90d"),
    "usage_trend_90d": _direction("usage_falling", "usage_rising"),
    "usage_90d": _counted("usage_90d"),
    "open_tickets": _counted("open_tickets", singular=True),
    "tickets_90d": _counted("tickets_90d", singular=True),
    "ticket_satisfaction": lambda value: ("ticket_satisfaction", {"score": value}),
    "last_nps": _counted("last_nps"),
    "last_csat": _counted("last_csat"),
    "mrr_change_90d": _direction("mrr_down", "mrr_up", amount=abs),
    "mrr": lambda value: ("mrr", {"amount": value}),
    "contractions_180d": _counted("contractions_180d", singular=True),
    "expansions_180d": _counted("expansions_180d"),
    "tenure_days": _counted("tenure_days"),
    "days_since_order": _days_since_order,
    "orders_90d": _counted("orders_90d"),
    "orders_365d": _counted("orders_365d"),
    "spend_90d": lambda value: ("spend_90d", {"amount": value}),
    "spend_trend_90d": _direction("spend_down", "spend_up"),
    "returns_180d": _counted("returns_180d", singular=True),
    "discount_share_365d": lambda value: ("discount_share_365d", {"percent": round(value * 100)}),
}


def _sentence(feature: str, value: Any, language: str) -> str:
    words = ui_text("churn_reasons", language)
    name = vocab(feature, "churn_feature", language)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return words["unknown"].format(feature=name)
    wording = WORDINGS.get(feature)
    if wording is not None and isinstance(value, int | float | np.number):
        key, blanks = wording(float(value))
        return words[key].format(**blanks)
    if feature in VALUE_VOCABULARY:
        shown = vocab(value, VALUE_VOCABULARY[feature], language)
    else:
        shown = f"{value:g}" if isinstance(value, float) else str(value)
    return words["is"].format(feature=name, value=shown)


def describe(feature: str, value: Any) -> tuple[str, ...]:
    """One feature's value in words of each language (``LANGUAGES`` order); a column of a
    table brought by the shop is named in readable words, never as its snake_case key."""
    return tuple(_sentence(feature, value, language) for language in LANGUAGES)


def top_reasons(
    contributions: pd.DataFrame, values: pd.DataFrame, *, count: int = REASONS_PER_CUSTOMER
) -> list[list[dict[str, Any]]]:
    """Per row, the ``count`` inputs that raise the risk most, with their words in each
    language under its tag (``en``, ``zh-CN``)."""
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
            reason: dict[str, Any] = {
                "feature": str(names[column]),
                "contribution": round(float(matrix[row, column]), 4),
            }
            reason.update(
                zip(LANGUAGES, describe(reason["feature"], records[row, column]), strict=True)
            )
            reasons.append(reason)
        found.append(reasons)
    return found
