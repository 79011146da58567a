"""The ledger: idempotent earning, pending points, FIFO expiry, reversal, corrections, rules."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from retain.loyalty import ledger
from retain.loyalty.ledger import InsufficientPoints, NotAMember
from retain.loyalty.models import LoyaltyEntry
from retain.loyalty.rules import Expiry, RulesError, parse_rules
from retain.loyalty.service import adjust, earn_event, earn_order, expire_all, reverse_order
from retain.settings import Settings
from retain.store import session_scope
from tests.loyalty.helpers import T0, check_invariants, member, order, rules, store_url

DAY = timedelta(days=1)


def test_an_order_earns_once_and_is_pending_until_the_return_window_ends(
    settings: Settings,
) -> None:
    url = store_url(settings)
    member(url)
    programme = rules("return_window_days: 14")
    for _ in range(2):  # a re-run, as after a crash, must not earn twice
        with session_scope(url) as session:
            earn_order(session=session, rules=programme, order=order("O1", "42.90"))
    with session_scope(url) as session:
        during = ledger.balance(session=session, customer_id="C1", at=T0 + 13 * DAY)
        after = ledger.balance(session=session, customer_id="C1", at=T0 + 14 * DAY)
        entries = session.query(LoyaltyEntry).count()
    assert (during.available, during.pending) == (0, 42)
    assert (after.available, after.pending) == (42, 0)
    assert entries == 1


def test_pending_points_cannot_be_redeemed(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    with session_scope(url) as session:
        earn_order(session=session, rules=rules(), order=order("O1", "100"))
    with pytest.raises(InsufficientPoints), session_scope(url) as session:
        ledger.debit(session=session, customer_id="C1", points=1, source="reward", key="r", at=T0)


def test_events_earn_once_per_key_and_unknown_events_are_refused(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    programme = rules("events: {review: 50}")
    with session_scope(url) as session:
        first = earn_event(
            session=session, rules=programme, customer_id="C1", event="review", key="R9", at=T0
        )
        again = earn_event(
            session=session, rules=programme, customer_id="C1", event="review", key="R9", at=T0
        )
        assert first.created and not again.created and again.entry.id == first.entry.id
        assert check_invariants(session, "C1", T0) == 50
    with pytest.raises(ledger.LoyaltyError, match="survey"), session_scope(url) as session:
        earn_event(
            session=session, rules=programme, customer_id="C1", event="survey", key="S", at=T0
        )


def test_non_members_earn_nothing(settings: Settings) -> None:
    url = store_url(settings)
    with pytest.raises(NotAMember), session_scope(url) as session:
        earn_order(session=session, rules=rules(), order=order("O1", "10", customer_id="ZZ"))


def test_redemption_consumes_the_oldest_points_and_expiry_takes_only_what_is_left(
    settings: Settings,
) -> None:
    url = store_url(settings)
    member(url)
    programme = rules("return_window_days: 0\nexpiry: {policy: days, days: 30}")
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("OLD", "100", at=T0))
        earn_order(session=session, rules=programme, order=order("NEW", "100", at=T0 + 20 * DAY))
        ledger.debit(
            session=session,
            customer_id="C1",
            points=60,
            source="reward",
            key="r1",
            at=T0 + 21 * DAY,
        )
    with session_scope(url) as session:
        expired = expire_all(session=session, at=T0 + 31 * DAY)
        # The old lot gave 60 to the redemption: its other 40 expire, the new lot is intact.
        assert expired == 40
        assert check_invariants(session, "C1", T0 + 31 * DAY) == 100
        assert expire_all(session=session, at=T0 + 31 * DAY) == 0  # expiring again: nothing
        assert expire_all(session=session, at=T0 + 51 * DAY) == 100
        assert check_invariants(session, "C1", T0 + 51 * DAY) == 0


@pytest.mark.parametrize(
    ("policy", "available", "expected"),
    [
        (Expiry(policy="never"), datetime(2026, 3, 15, 9), None),
        (Expiry(policy="days", days=10), datetime(2026, 3, 15, 9), datetime(2026, 3, 25, 9)),
        (Expiry(policy="end_of_month", months=0), datetime(2026, 2, 15), datetime(2026, 3, 1)),
        (Expiry(policy="end_of_month", months=11), datetime(2026, 3, 15), datetime(2027, 3, 1)),
    ],
)
def test_each_expiry_policy(policy: Expiry, available: datetime, expected: datetime | None) -> None:
    assert policy.expires_at(available) == expected


def test_a_returned_order_is_reversed_while_pending(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    programme = rules("return_window_days: 30")
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O1", "80"))
        for _ in range(2):
            reverse_order(
                session=session, customer_id="C1", order_id="O1", at=T0 + 3 * DAY, reason="returned"
            )
    with session_scope(url) as session:
        balance = ledger.balance(session=session, customer_id="C1", at=T0 + 40 * DAY)
        assert (balance.available, balance.pending) == (0, 0)
        assert ledger.balance(session=session, customer_id="C1", at=T0 + 4 * DAY).pending == 0
        check_invariants(session, "C1", T0 + 40 * DAY)


def test_reversal_claws_back_spent_points_as_far_as_the_balance_goes(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    programme = rules("return_window_days: 0")
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O1", "100"))
        earn_order(session=session, rules=programme, order=order("O2", "30", at=T0 + DAY))
        ledger.debit(
            session=session, customer_id="C1", points=90, source="reward", key="r", at=T0 + DAY
        )
        # O1 gave 90 to the redemption; when it is returned its last 10 go, and of the 90 spent
        # only the 30 of O2 can be clawed back.
        reverse_order(
            session=session, customer_id="C1", order_id="O1", at=T0 + 2 * DAY, reason="returned"
        )
        assert check_invariants(session, "C1", T0 + 2 * DAY) == 0
        notes = [entry.note for entry in session.query(LoyaltyEntry).filter_by(kind="reverse")]
    assert any("60 redeemed points could not be recovered" in (note or "") for note in notes)


def test_reversing_a_spent_order_again_claws_back_nothing_more(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    programme = rules("return_window_days: 0")
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O1", "100"))
        ledger.debit(session=session, customer_id="C1", points=100, source="reward", key="r", at=T0)
        earn_order(session=session, rules=programme, order=order("O2", "300", at=T0 + DAY))
        # O1's lot is used up, so its reversal is a claw-back only; every later earning run
        # reverses the returned order again and must find that claw-back.
        for _ in range(2):
            reverse_order(
                session=session, customer_id="C1", order_id="O1", at=T0 + 2 * DAY, reason="returned"
            )
        # The 100 spent points of O1 come back once, from O2's 300.
        assert check_invariants(session, "C1", T0 + 2 * DAY) == 300 - 100


def test_corrections_are_compensating_entries(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    with session_scope(url) as session:
        adjust(
            session=session, rules=rules(), customer_id="C1", points=25, key="a", at=T0, note="x"
        )
        adjust(
            session=session, rules=rules(), customer_id="C1", points=-5, key="b", at=T0, note="y"
        )
        assert check_invariants(session, "C1", T0) == 20
        assert session.query(LoyaltyEntry).count() == 2
    with pytest.raises(InsufficientPoints), session_scope(url) as session:
        adjust(
            session=session, rules=rules(), customer_id="C1", points=-21, key="c", at=T0, note="z"
        )


def test_points_follow_the_currency_rates_and_campaigns(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    programme = rules(
        """
        points_per_unit: {USD: 1, CNY: 0.15}
        campaigns:
          - {name: weekend, multiplier: 2, weekdays: [sat, sun], budget: 150, per_member_limit: 5}
        """
    )
    saturday = T0 + 5 * DAY
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O1", "19.99"))
        earn_order(session=session, rules=programme, order=order("O2", "100", at=saturday))
        earn_order(session=session, rules=programme, order=order("O3", "100", at=saturday))
        points = {e.idempotency_key: e.points for e in session.query(LoyaltyEntry)}
    # 19.99 -> 19; the second weekend bonus would pass the budget of 150, so it is not given.
    assert points == {
        "order:O1": 19,
        "order:O2": 100,
        "order:O2:campaign:weekend": 100,
        "order:O3": 100,
    }


def test_rules_errors_name_the_field() -> None:
    with pytest.raises(RulesError, match=r"campaigns\.0\.multiplier"):
        parse_rules("campaigns: [{name: x, multiplier: 0.5}]")
    with pytest.raises(RulesError, match=r"expiry\.policy"):
        parse_rules("expiry: {policy: sometimes}")
    with pytest.raises(RulesError, match="return_windw_days"):
        parse_rules("return_windw_days: 3")
    with pytest.raises(RulesError, match="not valid YAML"):
        parse_rules("tiers: [")
    with pytest.raises(RulesError, match="lowest threshold"):
        parse_rules("tiers: [{name: gold, threshold: 9}, {name: silver, threshold: 1}]")


def test_rules_yaml_is_data_not_code() -> None:
    with pytest.raises(RulesError):
        parse_rules("points_per_unit: !!python/object/apply:os.system ['echo hacked']")


def test_points_given_back_to_an_expired_lot_expire_again(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    programme = rules("return_window_days: 0\nexpiry: {policy: days, days: 10}")
    with session_scope(url) as session:
        earn_order(session=session, rules=programme, order=order("O1", "100"))
        spent = ledger.debit(
            session=session, customer_id="C1", points=30, source="reward", key="r", at=T0
        )
        assert expire_all(session=session, at=T0 + 11 * DAY) == 70
        ledger.give_back(session=session, entry=spent.entry, key="back", at=T0 + 12 * DAY, note="")
        assert check_invariants(session, "C1", T0 + 12 * DAY) == 30
        assert expire_all(session=session, at=T0 + 12 * DAY) == 30
        assert check_invariants(session, "C1", T0 + 12 * DAY) == 0
