"""Tiers up and down under each downgrade policy; rewards reserved, confirmed, released; coupons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from retain.currency.service import set_rate
from retain.loyalty import ledger, rewards
from retain.loyalty.ledger import LoyaltyError
from retain.loyalty.models import LoyaltyMember
from retain.loyalty.rules import Rules
from retain.loyalty.service import Order, earn_order, reverse_order
from retain.loyalty.tiers import evaluate_tiers, qualifying_values, tier_history
from retain.settings import Settings
from retain.store import session_scope
from tests.loyalty.helpers import T0, check_invariants, member, order, rules, store_url

DAY = timedelta(days=1)
TIERS = """
return_window_days: 0
tiers:
  - {name: silver, threshold: 100, multiplier: 1.5}
  - {name: gold, threshold: 500, multiplier: 2, free_shipping: true}
downgrade: {policy: %s, every_days: 90, grace_days: 30}
"""


def _tier(url: str, programme: Rules, days: int) -> str | None:
    with session_scope(url) as session:
        evaluate_tiers(session=session, rules=programme, at=T0 + days * DAY)
        found = session.get(LoyaltyMember, "C1")
        assert found is not None
        return found.tier


def _setup(settings: Settings, policy: str) -> tuple[str, Rules]:
    url = store_url(settings)
    member(url)
    programme = rules(TIERS % policy)
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O1", "600"))
    return url, programme


def test_automatic_downgrade_waits_for_the_grace_period(settings: Settings) -> None:
    url, programme = _setup(settings, "automatic")
    assert _tier(url, programme, 0) == "gold"
    # The order leaves the rolling 12 months on day 365: below every tier from then on.
    assert _tier(url, programme, 366) == "gold"  # grace starts
    assert _tier(url, programme, 395) == "gold"
    assert _tier(url, programme, 396) is None
    with session_scope(url) as session:
        moves = [
            (c.from_tier, c.to_tier, c.reason)
            for c in tier_history(session=session, customer_id="C1", limit=10, offset=0)
        ]
    assert moves == [("gold", None, "downgraded"), (None, "gold", "qualified")]


def test_no_downgrade_policy_keeps_the_tier(settings: Settings) -> None:
    url, programme = _setup(settings, "none")
    assert _tier(url, programme, 0) == "gold"
    assert _tier(url, programme, 800) == "gold"


def test_reevaluation_happens_every_n_days_then_grace(settings: Settings) -> None:
    url, programme = _setup(settings, "reevaluate")
    assert _tier(url, programme, 0) == "gold"
    assert _tier(url, programme, 370) == "gold"  # reviewed (day 370 >= 0 + 90): grace starts
    assert _tier(url, programme, 399) == "gold"
    assert _tier(url, programme, 400) is None


def test_a_member_back_above_the_threshold_leaves_the_grace_period(settings: Settings) -> None:
    url, programme = _setup(settings, "automatic")
    assert _tier(url, programme, 0) == "gold"
    assert _tier(url, programme, 366) == "gold"
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O2", "550", at=T0 + 370 * DAY))
    assert _tier(url, programme, 380) == "gold"
    assert _tier(url, programme, 420) == "gold"  # the grace that began on day 366 was cleared


def test_tier_multiplier_applies_to_later_orders(settings: Settings) -> None:
    url, programme = _setup(settings, "none")
    _tier(url, programme, 0)
    with session_scope(url) as session:
        postings = earn_order(
            session=session, rules=programme, order=order("O2", "10", at=T0 + DAY)
        )
    assert postings[0].entry.points == 20


CATALOGUE = """
return_window_days: 0
reservation_minutes: 15
tiers: [{name: gold, threshold: 1000}]
rewards:
  - {name: ten-off, kind: coupon, cost: 100, value: 10, currency: USD, per_member_limit: 2}
  - {name: vip-mug, kind: free_product, cost: 50, product_id: MUG, tier: gold}
"""


def _funded(settings: Settings, amount: str = "300") -> tuple[str, Rules]:
    url = store_url(settings)
    member(url)
    member(url, "C2")
    programme = rules(CATALOGUE)
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O1", amount))
    return url, programme


def _reserve(url: str, programme: Rules, key: str, reward: str = "ten-off") -> str:
    with session_scope(url) as session:
        return rewards.reserve_reward(
            session=session, rules=programme, customer_id="C1", reward_name=reward, key=key, at=T0
        ).code


def test_reserve_holds_points_confirm_makes_the_coupon_valid(settings: Settings) -> None:
    url, programme = _funded(settings)
    code = _reserve(url, programme, "k1")
    assert _reserve(url, programme, "k1") == code  # a retry returns the same hold
    with session_scope(url) as session:
        assert check_invariants(session, "C1", T0) == 200
        checked = rewards.check_coupon(session=session, rules=programme, code=code, at=T0)
        assert (checked.valid, checked.reason) == (False, "not confirmed yet")
        rewards.confirm_redemption(session=session, code=code, at=T0 + timedelta(minutes=5))
        checked = rewards.check_coupon(session=session, rules=programme, code=code.lower(), at=T0)
        assert checked.valid and checked.value == 10 and checked.kind == "coupon"
        other = rewards.check_coupon(
            session=session, rules=programme, code=code, at=T0, customer_id="C2"
        )
        assert other.reason == "belongs to another customer"
        late = rewards.check_coupon(session=session, rules=programme, code=code, at=T0 + 91 * DAY)
        assert late.reason == "expired"
        assert rewards.use_coupon(
            session=session, rules=programme, code=code, at=T0, customer_id="C1"
        ).valid
        again = rewards.use_coupon(
            session=session, rules=programme, code=code, at=T0, customer_id="C1"
        )
        assert (again.valid, again.reason) == (False, "already used")
        unknown = rewards.check_coupon(session=session, rules=programme, code="NOPE", at=T0)
        assert unknown.reason == "unknown code"


def test_release_returns_the_points_to_their_lots(settings: Settings) -> None:
    url, programme = _funded(settings)
    code = _reserve(url, programme, "k1")
    with session_scope(url) as session:
        rewards.release_redemption(session=session, code=code, at=T0)
        rewards.release_redemption(session=session, code=code, at=T0)  # twice: no change
        assert check_invariants(session, "C1", T0) == 300
        with pytest.raises(LoyaltyError, match="released"):
            rewards.confirm_redemption(session=session, code=code, at=T0)


def test_a_hold_that_runs_out_is_released(settings: Settings) -> None:
    url, programme = _funded(settings)
    code = _reserve(url, programme, "k1")
    with session_scope(url) as session:
        assert rewards.release_lapsed(session=session, at=T0 + timedelta(minutes=16)) == 1
        assert check_invariants(session, "C1", T0 + DAY) == 300
    with pytest.raises(LoyaltyError, match="released"), session_scope(url) as session:
        rewards.confirm_redemption(session=session, code=code, at=T0 + DAY)


def test_per_member_limit_tier_exclusives_and_balance(settings: Settings) -> None:
    url, programme = _funded(settings, "1000")
    _reserve(url, programme, "k1")
    _reserve(url, programme, "k2")
    with pytest.raises(LoyaltyError, match="as often as allowed"):
        _reserve(url, programme, "k3")
    with pytest.raises(LoyaltyError, match="tier gold"):
        _reserve(url, programme, "k4", reward="vip-mug")
    with session_scope(url) as session:
        evaluate_tiers(session=session, rules=programme, at=T0)
    _reserve(url, programme, "k4", reward="vip-mug")
    with session_scope(url) as session, pytest.raises(ledger.InsufficientPoints):
        rewards.reserve_reward(
            session=session,
            rules=programme,
            customer_id="C2",
            reward_name="ten-off",
            key="k5",
            at=T0,
        )


def test_spend_tiers_convert_currencies_and_net_out_returns(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    programme = rules(
        "qualify_by: spend\npoints_per_unit: {USD: 1, EUR: 1}\n"
        "tiers: [{name: silver, threshold: 200}]"
    )
    with session_scope(url) as session:
        set_rate(session=session, currency="EUR", rate=Decimal("1.5"))
        earn_order(session=session, rules=programme, order=order("O1", "100"))
        euros = Order("O2", "C1", T0, Decimal("60"), "EUR")
        earn_order(session=session, rules=programme, order=euros)
    assert _tier(url, programme, 1) is None  # 100 + 60 x 1.5 = 190
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O3", "10", at=T0 + DAY))
    assert _tier(url, programme, 2) == "silver"
    with session_scope(url) as session:
        values = qualifying_values(session=session, rules=programme, at=T0 + 3 * DAY)
        reverse_order(session=session, customer_id="C1", order_id="O3", at=T0 + 3 * DAY, reason="r")
        after = qualifying_values(session=session, rules=programme, at=T0 + 3 * DAY)
    assert (values["C1"], after["C1"]) == (Decimal("200"), Decimal("190"))
