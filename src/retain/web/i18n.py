"""Numbers, shares and dates written as the reader's locale writes them."""

from __future__ import annotations

import math
from datetime import date, datetime

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from jinja2 import Undefined

from retain.locales import Language

_LOCALES = {"en": "en_US", "zh-CN": "zh_Hans_CN"}


def _missing(value: object) -> bool:
    # NaN is pandas' "no value" (a metric without a denominator); Undefined, a template's
    # (a figure the shop's data cannot give, such as NDR without subscriptions).
    return isinstance(value, Undefined) or (isinstance(value, float) and math.isnan(value))


class Formatter:
    """Numbers, shares and dates written as the reader's locale writes them."""

    def __init__(self, language: Language) -> None:
        self.locale = _LOCALES[language]

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None or _missing(value):
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None or _missing(value):
            return "–"
        return format_percent(value, format="#,##0." + "0" * digits + "%", locale=self.locale)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return "–"
        return format_date(value, format="medium", locale=self.locale)
