"""A loyalty programme for the demo: rules, members, points from their orders, tiers,
redemptions and referrals, all written through the loyalty services.

The programme started a year before the demo's last order: a quarter of the buying customers
joined then (or at sign-up, if later), and customers who came through the ``referral`` channel
since arrived with an earlier member's referral code. Points are earned from the imported
orders by the same job the scheduler runs, so returned orders are reversed and referrals
qualify on the friend's first order. A year is what tiers and expiry look at, and it keeps the
earning (one ledger write per order) to the orders that matter.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from retain.demo.workflow_data import DemoData, chance, now_minute, scaled
from retain.loyalty import ledger, orders, referrals, rewards, service, tiers
from retain.loyalty.rules import Rules, parse_rules
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import connect

RULES = """\
points_per_unit: {USD: 1, CNY: 0.15}
events: {review: 50, survey: 20, profile: 30, birthday: 100}
return_window_days: 30
expiry: {policy: days, days: 365}
qualify_by: points
tiers:
  - {name: silver, threshold: 400, multiplier: 1.25}
  - {name: gold, threshold: 1200, multiplier: 1.5, free_shipping: true}
downgrade: {policy: reevaluate, every_days: 365, grace_days: 30}
campaigns:
  - {name: weekend-bonus, multiplier: 1.5, weekdays: [sat, sun]}
rewards:
  - {name: five-off, kind: coupon, cost: 500, value: 5, currency: USD, per_member_limit: 5}
  - {name: credit-10, kind: store_credit, cost: 1000, value: 10, currency: USD}
  - {name: tote, kind: free_product, cost: 800, product_id: TOTE-01, tier: gold, valid_days: 60}
referral:
  referrer_points: 500
  friend_points: 250
  minimum_order: 20
  link_base: https://shop.example/r/
"""
MEMBER_SHARE = 0.25
PROGRAMME_DAYS = 365
# Tier standing is reviewed each quarter of the past year, so members have a tier history.
TIER_REVIEWS = (270, 180, 90, 0)
REDEEM_SHARE = 0.4


def run_loyalty_programme(settings: Settings, data: DemoData, seed: int) -> str:
    """Put the rules in force, enrol members, earn, refer, place in tiers and redeem."""
    now = now_minute()
    buyers = set(data.orders["customer_id"])
    launched_at = data.last_order_at - timedelta(days=PROGRAMME_DAYS)
    with session_scope(settings.storage.store_url) as session:
        rules = _rules_in_force(session, now)
        members = _enrol(session, data, seed, buyers, launched_at)
        referred = _refer_friends(session, rules, data, seed, buyers, set(members), launched_at)
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        earned = orders.earn_from_orders(store_url=settings.storage.store_url, backend=backend)
        undone = orders.undone_orders(backend)
    finally:
        backend.disconnect()
    with session_scope(settings.storage.store_url) as session:
        rewarded = referrals.reward_referrals(session=session, rules=rules, at=now, returned=undone)
        moves = _review_tiers(session, rules, settings, now)
        service.expire_all(session=session, at=now)
        redeemed = _redeem(session, rules, seed, members, now)
        by_tier = _members_by_tier(session)
    tiers_shown = ", ".join(f"{count} {tier}" for tier, count in by_tier.items())
    return (
        f"{len(members)} members ({tiers_shown}), {earned.entries} point entries "
        f"({earned.points:,} points), {referred} referrals ({len(rewarded)} rewarded), "
        f"{moves} tier changes, {redeemed} new redemptions"
    )


def _rules_in_force(session: Session, now: datetime) -> Rules:
    """The demo rules, saved as a new version only when they differ from those in force."""
    wanted = parse_rules(RULES)
    if service.load_rules(session=session) != wanted:
        service.save_rules(session=session, text=RULES, at=now)
    return wanted


def _enrol(
    session: Session, data: DemoData, seed: int, buyers: set[str], launched_at: datetime
) -> list[str]:
    """Enrol a quarter of the buyers at the launch or their sign-up (twice changes nothing)."""
    members = []
    for row in data.customers.itertuples(index=False):
        customer_id = str(row.customer_id)
        if customer_id not in buyers or chance(seed, "member", customer_id).random() >= (
            MEMBER_SHARE
        ):
            continue
        service.enroll(
            session=session,
            customer_id=customer_id,
            enrolled_at=max(_naive(row.signup_at), launched_at),
            email=str(row.email),
            language=str(row.language),
        )
        members.append(customer_id)
    return members


def _refer_friends(
    session: Session,
    rules: Rules,
    data: DemoData,
    seed: int,
    buyers: set[str],
    members: set[str],
    launched_at: datetime,
) -> int:
    """Referral-channel buyers since the launch arrive with the code of an earlier member."""
    known = {
        referral.friend_id
        for referral in referrals.list_referrals(
            session=session, status=None, limit=len(data.customers) + 1, offset=0
        )
    }
    count = scaled(len(data.customers), per=25, low=10, high=300)
    enrolled: list[str] = []
    made = 0
    for row in data.customers.itertuples(index=False):
        customer_id, signup_at = str(row.customer_id), _naive(row.signup_at)
        is_friend = row.channel == "referral" and customer_id in buyers and signup_at >= launched_at
        if is_friend and enrolled and made < count:
            made += 1
            # Friends referred in an earlier run keep their one referral.
            if customer_id not in known:
                draw = chance(seed, "referral", customer_id)
                referrer = service.get_member(
                    session=session, customer_id=draw.choice(enrolled[-50:])
                )
                visit = referrals.Visit(
                    code=referrer.referral_code,
                    friend_id=customer_id,
                    friend_email=str(row.email),
                )
                referrals.register_referral(
                    session=session, rules=rules, visit=visit, at=signup_at - timedelta(minutes=30)
                )
        if customer_id in members:
            enrolled.append(customer_id)
    return made


def _review_tiers(session: Session, rules: Rules, settings: Settings, now: datetime) -> int:
    """Quarterly tier reviews over the past year, once: later reviews are the scheduler's."""
    if tiers.tier_history(session=session, customer_id=None, limit=1, offset=0):
        return 0
    moves = 0
    for days in TIER_REVIEWS:
        moves += len(
            tiers.evaluate_tiers(
                session=session,
                rules=rules,
                at=now - timedelta(days=days),
                reporting_currency=settings.region.reporting_currency,
            )
        )
    return moves


def _redeem(session: Session, rules: Rules, seed: int, members: list[str], now: datetime) -> int:
    """Members with enough points redeem a reward; most confirm, some use it, a few release it."""
    made = 0
    for customer_id in members:
        draw = chance(seed, "redeem", customer_id)
        if draw.random() >= REDEEM_SHARE:
            continue
        available = ledger.balance(session=session, customer_id=customer_id, at=now).available
        affordable = [
            reward
            for reward in rules.rewards
            if reward.cost <= available and reward.tier in (None, _tier_of(session, customer_id))
        ]
        if not affordable:
            continue
        reward = draw.choice(affordable)
        redemption = rewards.reserve_reward(
            session=session,
            rules=rules,
            customer_id=customer_id,
            reward_name=reward.name,
            key=f"demo:{customer_id}:1",
            at=now,
        )
        if redemption.status != "reserved" or redemption.reserved_at != now:
            continue  # an earlier run already settled it
        made += 1
        fate = draw.random()
        if fate < 0.15:
            rewards.release_redemption(session=session, code=redemption.code, at=now)
            continue
        rewards.confirm_redemption(session=session, code=redemption.code, at=now)
        if fate > 0.6:
            rewards.use_coupon(
                session=session, rules=rules, code=redemption.code, at=now, customer_id=customer_id
            )
    return made


def _tier_of(session: Session, customer_id: str) -> str | None:
    return service.get_member(session=session, customer_id=customer_id).tier


def _members_by_tier(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    offset = 0
    while batch := service.list_members(session=session, limit=1000, offset=offset):
        for member in batch:
            name = member.tier or "no tier"
            counts[name] = counts.get(name, 0) + 1
        offset += len(batch)
    return counts


def _naive(value: object) -> datetime:
    return pd.Timestamp(value).to_pydatetime()  # type: ignore[arg-type, no-any-return]
