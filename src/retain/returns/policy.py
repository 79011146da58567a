"""The return policy: YAML read into a checked model, and evaluated for one request.

Windows end at midnight in the customer's own time zone: a customer in Shanghai who bought on
1 March may return until the end of 31 March *Shanghai time*, whatever the server's clock says.
Auto-approval rules use the segment rule language (parsed into a tree, never evaluated as
Python) and are evaluated here on the request's facts.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from retain.returns.money import Fee
from retain.sandbox import load_yaml
from retain.segments.rules import (
    All,
    AnyOf,
    Compare,
    Contains,
    IsNull,
    Member,
    Node,
    Not,
    Rule,
    RuleError,
    parse_rule,
    rule_fields,
)

Outcome = Literal["approve", "decline", "review"]
DeclineReason = Literal["final_sale", "window_passed", "other"]
Condition = Literal["unopened", "opened", "used", "damaged"]
# What an auto-approval rule may test, and the type of each.
RULE_FIELDS: dict[str, type] = {
    "value": float,
    "tier": str,
    "first_return": bool,
    "reason": str,
    "resolution": str,
    "orders": int,
    "items": int,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
DEFAULT_POLICY = """\
window_days: 30
reasons: [damaged, wrong_item, wrong_size, not_as_described, changed_mind, other]
accepted_conditions: [unopened, opened, damaged]
fees:
  restocking: {percent: "0"}
  return_shipping: {fixed: "0"}
  waived_for_reasons: [damaged, wrong_item]
store_credit_bonus_percent: "0"
auto_approve: ["value <= 50"]
sla_hours: {requested: 48, approved: 336, in_transit: 240, received: 48, inspected: 48}
"""


class PolicyError(ValueError):
    """A policy that cannot be read; the message names the field."""


class ItemRule(BaseModel):
    """Overrides for one product or category."""

    model_config = ConfigDict(extra="forbid")
    window_days: int | None = Field(default=None, ge=0)
    final_sale: bool = False


class FeeRule(BaseModel):
    """A fee as a percentage of the returned items' value or a fixed amount."""

    model_config = ConfigDict(extra="forbid")
    percent: Decimal | None = Field(default=None, ge=0, le=100)
    fixed: Decimal | None = Field(default=None, ge=0)

    def fee(self) -> Fee:
        if (self.percent is None) == (self.fixed is None):
            raise PolicyError("a fee takes exactly one of percent or fixed")
        if self.percent is not None:
            return Fee(percent=self.percent)
        return Fee(fixed=self.fixed)


class Fees(BaseModel):
    model_config = ConfigDict(extra="forbid")
    restocking: FeeRule = FeeRule(percent=Decimal(0))
    return_shipping: FeeRule = FeeRule(fixed=Decimal(0))
    waived_for_reasons: list[str] = []


class Policy(BaseModel):
    """The whole return policy; see ``DEFAULT_POLICY`` and docs/returns.md."""

    model_config = ConfigDict(extra="forbid")
    window_days: int = Field(default=30, ge=0)
    categories: dict[str, ItemRule] = {}
    products: dict[str, ItemRule] = {}
    reasons: list[str] = Field(default_factory=lambda: ["other"], min_length=1)
    accepted_conditions: list[Condition] = ["unopened", "opened", "damaged"]
    fees: Fees = Fees()
    store_credit_bonus_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    auto_approve: list[str] = []
    sla_hours: dict[str, float] = {}
    expire_approved_after_days: int = Field(default=30, ge=1)

    @field_validator("auto_approve")
    @classmethod
    def _rules_parse(cls, rules: list[str]) -> list[str]:
        for text in rules:
            try:
                unknown = rule_fields(parse_rule(text)) - set(RULE_FIELDS)
            except RuleError as error:
                raise ValueError(error.one_line) from None
            if unknown:
                known = ", ".join(sorted(RULE_FIELDS))
                raise ValueError(f"{text!r} uses {', '.join(sorted(unknown))}; known: {known}")
        return rules

    def parsed_rules(self) -> list[Rule]:
        return [parse_rule(text) for text in self.auto_approve]

    def item_rule(self, product_id: str | None, category: str | None) -> ItemRule:
        """The product's rule, else its category's, else the default window."""
        if product_id is not None and product_id in self.products:
            return self.products[product_id]
        if category is not None and category in self.categories:
            return self.categories[category]
        return ItemRule(window_days=self.window_days)

    def window_days_for(self, product_id: str | None, category: str | None) -> int:
        rule = self.item_rule(product_id, category)
        return self.window_days if rule.window_days is None else rule.window_days

    def final_sale(self, product_id: str | None, category: str | None) -> bool:
        product = self.products.get(product_id or "")
        category_rule = self.categories.get(category or "")
        return bool(
            (product and product.final_sale) or (category_rule and category_rule.final_sale)
        )

    def sla(self, state: str) -> timedelta | None:
        hours = self.sla_hours.get(state)
        return timedelta(hours=hours) if hours is not None else None


def parse_policy(text: str) -> Policy:
    """The policy in YAML ``text``; PolicyError naming the field otherwise."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        raise PolicyError(f"the policy is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise PolicyError("the policy must be a YAML mapping")
    try:
        policy = Policy.model_validate(data)
        policy.fees.restocking.fee()
        policy.fees.return_shipping.fee()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PolicyError(f"policy field {where}: {first['msg']}") from None
    return policy


@dataclass(frozen=True)
class LineFacts:
    """A line the customer wants to return, as the policy sees it."""

    product_id: str | None
    category: str | None
    condition: str
    value: Decimal


@dataclass(frozen=True)
class RequestFacts:
    """Everything the policy decides on."""

    ordered_at: datetime  # naive UTC
    requested_at: datetime  # naive UTC
    time_zone: str | None
    reason: str
    resolution: str
    lines: tuple[LineFacts, ...]
    tier: str | None = None
    first_return: bool = True
    orders: int = 1


@dataclass(frozen=True)
class Decision:
    """What the policy says about a request, and why."""

    outcome: Outcome
    reason: DeclineReason | None = None
    note: str = ""
    matched_rule: str | None = None
    window_ends_at: list[datetime] = field(default_factory=list)


def zone(name: str | None) -> ZoneInfo:
    """The customer's time zone; UTC when unknown or unreadable."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def window_end(ordered_at: datetime, days: int, time_zone: str | None) -> datetime:
    """The instant (naive UTC) the window closes: midnight after the last local day."""
    local = zone(time_zone)
    ordered_local = ordered_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(local)
    last_day = ordered_local.date() + timedelta(days=days)
    closes = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=local)
    return closes.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def evaluate(policy: Policy, facts: RequestFacts, rules: list[Rule] | None = None) -> Decision:
    """Decline (final sale, window passed, condition, reason), auto-approve, or send to review."""
    if facts.reason not in policy.reasons:
        return Decision("decline", "other", f"reason {facts.reason!r} is not offered")
    ends = [
        window_end(
            facts.ordered_at,
            policy.window_days_for(line.product_id, line.category),
            facts.time_zone,
        )
        for line in facts.lines
    ]
    for line in facts.lines:
        if policy.final_sale(line.product_id, line.category):
            return Decision(
                "decline", "final_sale", f"{line.product_id} was a final sale", None, ends
            )
    for line, end in zip(facts.lines, ends, strict=True):
        if facts.requested_at >= end:
            note = f"the return window of {line.product_id} closed at {end:%Y-%m-%d %H:%M} UTC"
            return Decision("decline", "window_passed", note, None, ends)
    for line in facts.lines:
        if line.condition not in policy.accepted_conditions:
            note = f"items in condition {line.condition!r} are not accepted"
            return Decision("decline", "other", note, None, ends)
    values = _rule_values(facts)
    for rule in rules if rules is not None else policy.parsed_rules():
        if matches(rule.root, values):
            return Decision("approve", None, "", rule.text, ends)
    return Decision("review", None, "", None, ends)


def _rule_values(facts: RequestFacts) -> dict[str, object]:
    return {
        "value": float(sum((line.value for line in facts.lines), Decimal(0))),
        "tier": facts.tier,
        "first_return": facts.first_return,
        "reason": facts.reason,
        "resolution": facts.resolution,
        "orders": facts.orders,
        "items": len(facts.lines),
    }


def matches(node: Node, values: Mapping[str, object]) -> bool:
    """Whether ``values`` satisfy the rule tree; a test on a missing value is false."""
    if isinstance(node, Not):
        return not matches(node.operand, values)
    if isinstance(node, All):
        return all(matches(operand, values) for operand in node.operands)
    if isinstance(node, AnyOf):
        return any(matches(operand, values) for operand in node.operands)
    value = values.get(node.field)
    if isinstance(node, IsNull):
        return (value is not None) if node.negated else (value is None)
    if value is None:
        return False
    if isinstance(node, Member):
        found = any(_same(value, literal.value) for literal in node.literals)
        return found != node.negated
    if isinstance(node, Contains):
        return (str(node.literal.value) in str(value)) != node.negated
    assert isinstance(node, Compare)
    try:
        return bool(_COMPARE[node.operator](value, node.literal.value))
    except TypeError:  # a string compared with a number: the test does not hold
        return False


def _same(value: object, literal: object) -> bool:
    return bool(value == literal)
