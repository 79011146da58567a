"""The programme's rules, declared in YAML and validated by Pydantic (data only, never code)."""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from retain.sandbox import load_yaml

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Outcome = Literal["block", "flag", "off"]
Event = Literal["review", "survey", "profile", "birthday"]
EVENTS: tuple[Event, ...] = ("review", "survey", "profile", "birthday")


class RulesError(ValueError):
    """Rules that do not parse or validate; the message names each offending field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expiry(_Strict):
    """When earned points expire: N days after they become available, month end, or never."""

    policy: Literal["days", "end_of_month", "never"] = "never"
    days: int = Field(default=365, ge=1)
    # end_of_month: the end of the month this many months after the points became available.
    months: int = Field(default=12, ge=0)

    def expires_at(self, available_at: datetime) -> datetime | None:
        """The instant points available at ``available_at`` expire, or None."""
        if self.policy == "never":
            return None
        if self.policy == "days":
            return available_at + timedelta(days=self.days)
        month_index = available_at.year * 12 + available_at.month - 1 + self.months
        year, month = divmod(month_index, 12)
        last_day = calendar.monthrange(year, month + 1)[1]
        return datetime(year, month + 1, last_day) + timedelta(days=1)


class Campaign(_Strict):
    """Bonus points on orders: a multiplier on some days, dates or categories, with a budget."""

    name: str = Field(min_length=1, max_length=64)
    multiplier: float = Field(gt=1)
    weekdays: list[Weekday] = Field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    categories: list[str] = Field(default_factory=list)
    budget: int | None = Field(default=None, ge=1)
    per_member_limit: int | None = Field(default=None, ge=1)

    def applies(self, ordered_at: datetime) -> bool:
        """Whether an order placed at ``ordered_at`` falls in the campaign's days and dates."""
        day = ordered_at.date()
        if self.weekdays and WEEKDAYS[day.weekday()] not in self.weekdays:
            return False
        if self.starts_on is not None and day < self.starts_on:
            return False
        return self.ends_on is None or day <= self.ends_on


class Tier(_Strict):
    """A tier, reached by points earned or money spent over the rolling 12 months."""

    name: str = Field(min_length=1, max_length=64)
    threshold: Decimal = Field(ge=0)
    multiplier: float = Field(default=1.0, ge=1)
    free_shipping: bool = False


class Downgrade(_Strict):
    """What happens when a member no longer qualifies for their tier."""

    policy: Literal["none", "automatic", "reevaluate"] = "automatic"
    every_days: int = Field(default=365, ge=1)
    grace_days: int = Field(default=0, ge=0)


class Reward(_Strict):
    """An item of the catalogue: a coupon, store credit or a free product, priced in points."""

    name: str = Field(min_length=1, max_length=64)
    kind: Literal["coupon", "store_credit", "free_product"]
    cost: int = Field(ge=1)
    value: Decimal = Field(default=Decimal(0), ge=0)
    currency: str | None = Field(default=None, pattern="^[A-Z]{3}$")
    product_id: str | None = None
    per_member_limit: int | None = Field(default=None, ge=1)
    tier: str | None = None  # only members of this tier or above may redeem it
    valid_days: int = Field(default=90, ge=1)


class ReferralChecks(_Strict):
    """What each fraud check does when it fires: block the referral, flag it for review, off."""

    self_referral: Outcome = "block"
    existing_customer: Outcome = "block"
    already_referred: Outcome = "block"
    email_pattern: Outcome = "flag"
    same_ip: Outcome = "flag"
    same_device: Outcome = "flag"
    velocity: Outcome = "flag"
    minimum_order: Outcome = "block"


class Referral(_Strict):
    """Rewards for both sides of a referral and the limits that keep it honest."""

    referrer_points: int = Field(default=500, ge=0)
    friend_points: int = Field(default=250, ge=0)
    minimum_order: Decimal = Field(default=Decimal(0), ge=0)
    velocity_limit: int = Field(default=5, ge=1)
    velocity_days: int = Field(default=7, ge=1)
    link_base: str = "https://shop.example/r/"
    checks: ReferralChecks = ReferralChecks()


class Rules(_Strict):
    """The whole programme."""

    points_per_unit: dict[str, float] = Field(default_factory=lambda: {"USD": 1.0})
    events: dict[Event, int] = Field(default_factory=dict)
    return_window_days: int = Field(default=30, ge=0)
    reservation_minutes: int = Field(default=30, ge=1)
    point_value: Decimal = Field(default=Decimal("0.01"), ge=0)
    expiry: Expiry = Expiry()
    qualify_by: Literal["points", "spend"] = "points"
    tiers: list[Tier] = Field(default_factory=list)
    downgrade: Downgrade = Downgrade()
    campaigns: list[Campaign] = Field(default_factory=list)
    rewards: list[Reward] = Field(default_factory=list)
    referral: Referral = Referral()

    @model_validator(mode="after")
    def check_names(self) -> Rules:
        for label, names in (
            ("tiers", [tier.name for tier in self.tiers]),
            ("campaigns", [campaign.name for campaign in self.campaigns]),
            ("rewards", [reward.name for reward in self.rewards]),
        ):
            if len(set(names)) != len(names):
                raise ValueError(f"{label}: names must be unique")
        thresholds = [tier.threshold for tier in self.tiers]
        if thresholds != sorted(thresholds):
            raise ValueError("tiers: list them from the lowest threshold to the highest")
        tier_names = {tier.name for tier in self.tiers}
        for reward in self.rewards:
            if reward.tier is not None and reward.tier not in tier_names:
                raise ValueError(f"rewards: {reward.name} names unknown tier {reward.tier!r}")
        return self

    def tier(self, name: str | None) -> Tier | None:
        """The tier called ``name``, or None."""
        return next((tier for tier in self.tiers if tier.name == name), None)

    def tier_rank(self, name: str | None) -> int:
        """0 without a tier, then 1, 2, ... from the lowest tier up."""
        names = [tier.name for tier in self.tiers]
        return names.index(name) + 1 if name in names else 0

    def reward(self, name: str) -> Reward | None:
        """The catalogue item called ``name``, or None."""
        return next((reward for reward in self.rewards if reward.name == name), None)

    def base_points(self, *, amount: Decimal, currency: str) -> int:
        """Points for spending ``amount`` in ``currency`` (no rate for it: no points)."""
        rate = self.points_per_unit.get(currency, 0.0)
        # Decimal arithmetic first: 19.99 * 1 must not become 19.989999 and lose a point.
        return max(math.floor(Decimal(str(rate)) * amount), 0)


def parse_rules(text: str) -> Rules:
    """Rules from YAML text; RulesError names every field that is wrong."""
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError as error:
        raise RulesError(f"the rules are not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise RulesError("the rules must be a YAML mapping of settings")
    try:
        return Rules.model_validate(data)
    except ValidationError as error:
        raise RulesError(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    problems = []
    for detail in error.errors():
        field = ".".join(str(part) for part in detail["loc"]) or "rules"
        problems.append(f"{field}: {detail['msg']}")
    return "; ".join(problems)
