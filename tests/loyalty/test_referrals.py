"""Referrals: each fraud check, attribution on the friend's first order, rewards after returns."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retain.loyalty import ledger, referrals
from retain.loyalty.ledger import LoyaltyError
from retain.loyalty.models import LoyaltyMember
from retain.loyalty.referrals import Visit, normalise_email
from retain.loyalty.rules import Rules
from retain.settings import Settings
from retain.store import session_scope
from tests.loyalty.helpers import T0, member, order, rules, store_url

DAY = timedelta(days=1)
PROGRAMME = """
return_window_days: 30
referral:
  referrer_points: 500
  friend_points: 200
  minimum_order: 25
  velocity_limit: 2
  velocity_days: 7
"""


def _referrer(settings: Settings) -> tuple[str, str, Rules]:
    url = store_url(settings)
    member(url, "REF", email="Jane.Doe@example.com", ip="10.0.0.1", device="dev-1")
    with session_scope(url) as session:
        found = session.get(LoyaltyMember, "REF")
        assert found is not None
        code = found.referral_code
    return url, code, rules(PROGRAMME)


def _visit(url: str, programme: Rules, visit: Visit, days: int = 0) -> tuple[str, str]:
    with session_scope(url) as session:
        found = referrals.register_referral(
            session=session, rules=programme, visit=visit, at=T0 + days * DAY
        )
        return found.status, found.findings


def test_a_clean_referral_rewards_both_sides_after_the_return_window(settings: Settings) -> None:
    url, code, programme = _referrer(settings)
    assert _visit(url, programme, Visit(code.lower(), "F1", "friend@other.org", "10.9.9.9")) == (
        "pending",
        "",
    )
    with session_scope(url) as session:
        first = order("F1-O1", "40", customer_id="F1", at=T0 + DAY)
        assert referrals.attribute_order(
            session=session, rules=programme, order=first, undone=False
        )
        early = referrals.reward_referrals(
            session=session, rules=programme, at=T0 + 30 * DAY, returned=set()
        )
        assert early == []
        done = referrals.reward_referrals(
            session=session, rules=programme, at=T0 + 31 * DAY, returned=set()
        )
        assert [item.status for item in done] == ["rewarded"]
        at = T0 + 31 * DAY
        assert ledger.balance(session=session, customer_id="REF", at=at).available == 500
        assert ledger.balance(session=session, customer_id="F1", at=at).available == 200


def test_a_returned_first_order_cancels_the_reward(settings: Settings) -> None:
    url, code, programme = _referrer(settings)
    _visit(url, programme, Visit(code, "F1"))
    with session_scope(url) as session:
        first = order("F1-O1", "40", customer_id="F1", at=T0 + DAY)
        referrals.attribute_order(session=session, rules=programme, order=first, undone=False)
        done = referrals.reward_referrals(
            session=session, rules=programme, at=T0 + 40 * DAY, returned={"F1-O1"}
        )
        assert [item.status for item in done] == ["cancelled"]
        assert ledger.balance(session=session, customer_id="REF", at=T0 + 40 * DAY).available == 0


@pytest.mark.parametrize(
    ("visit", "status", "finding"),
    [
        (Visit("", "REF"), "blocked", "self_referral"),
        (Visit("", "F9", "jane.doe@example.com"), "blocked", "self_referral"),
        (Visit("", "F9", "janedoe+promo@example.com"), "review", "email_pattern"),
        (Visit("", "F9", "j.a.n.e.d.o.e7@example.com"), "review", "email_pattern"),
        (Visit("", "F9", None, "10.0.0.1"), "review", "same_ip"),
        (Visit("", "F9", None, None, "dev-1"), "review", "same_device"),
    ],
)
def test_each_visit_check(settings: Settings, visit: Visit, status: str, finding: str) -> None:
    url, code, programme = _referrer(settings)
    found = _visit(url, programme, Visit(code, *list(visit.__dict__.values())[1:]))
    assert found == (status, finding)


def test_already_referred_friends_are_blocked(settings: Settings) -> None:
    url, code, programme = _referrer(settings)
    assert _visit(url, programme, Visit(code, "F1"))[0] == "pending"
    assert _visit(url, programme, Visit(code, "F1")) == ("blocked", "already_referred")


def test_too_many_referrals_in_a_short_time_are_flagged(settings: Settings) -> None:
    url, code, programme = _referrer(settings)
    assert _visit(url, programme, Visit(code, "F1"))[0] == "pending"
    assert _visit(url, programme, Visit(code, "F2"), days=1)[0] == "pending"
    assert _visit(url, programme, Visit(code, "F3"), days=2) == ("review", "velocity")
    assert _visit(url, programme, Visit(code, "F4"), days=10)[0] == "pending"


def test_same_ip_as_another_friend_is_flagged(settings: Settings) -> None:
    url, code, programme = _referrer(settings)
    _visit(url, programme, Visit(code, "F1", None, "172.16.0.4"))
    assert _visit(url, programme, Visit(code, "F2", None, "172.16.0.4")) == ("review", "same_ip")


def test_friends_who_were_already_customers_or_buy_too_little_are_blocked(
    settings: Settings,
) -> None:
    url, code, programme = _referrer(settings)
    _visit(url, programme, Visit(code, "F1"), days=5)
    _visit(url, programme, Visit(code, "F2"), days=5)
    with session_scope(url) as session:
        before = order("F1-O0", "99", customer_id="F1", at=T0)  # ordered before being referred
        small = order("F2-O1", "24.99", customer_id="F2", at=T0 + 6 * DAY)
        assert not referrals.attribute_order(
            session=session, rules=programme, order=before, undone=False
        )
        assert not referrals.attribute_order(
            session=session, rules=programme, order=small, undone=False
        )
        found = {
            r.friend_id: (r.status, r.findings)
            for r in referrals.list_referrals(session=session, status=None, limit=10, offset=0)
        }
    assert found == {"F1": ("blocked", "existing_customer"), "F2": ("blocked", "minimum_order")}


def test_flagged_referrals_wait_for_approval(settings: Settings) -> None:
    url, code, programme = _referrer(settings)
    _visit(url, programme, Visit(code, "F1", None, "10.0.0.1"))
    with session_scope(url) as session:
        first = order("F1-O1", "40", customer_id="F1", at=T0 + DAY)
        assert not referrals.attribute_order(
            session=session, rules=programme, order=first, undone=False
        )
        (flagged,) = referrals.list_referrals(session=session, status="review", limit=5, offset=0)
        approved = referrals.approve_referral(
            session=session, rules=programme, referral_id=flagged.id
        )
        assert approved.status == "qualified"
        with pytest.raises(LoyaltyError):
            referrals.approve_referral(session=session, rules=programme, referral_id=flagged.id)


def test_checks_can_be_switched_to_flag_or_off(settings: Settings) -> None:
    url, code, _ = _referrer(settings)
    lenient = rules("referral: {checks: {self_referral: flag, same_ip: 'off'}}")
    assert _visit(url, lenient, Visit(code, "REF", None, "10.0.0.1")) == (
        "review",
        "self_referral,same_ip",
    )


def test_unknown_codes_are_refused(settings: Settings) -> None:
    url, _, programme = _referrer(settings)
    with pytest.raises(LoyaltyError, match="referral code"):
        _visit(url, programme, Visit("NOSUCH", "F1"))


def test_normalised_mailboxes() -> None:
    assert normalise_email(" J.Doe+x@Mail.com ") == "jdoe@mail.com"
    assert normalise_email("jdoe12@mail.com") == "jdoe@mail.com"


def test_a_referral_approved_before_the_order_qualifies_with_it(settings: Settings) -> None:
    url, code, programme = _referrer(settings)
    _visit(url, programme, Visit(code, "F1", None, "10.0.0.1"))
    with session_scope(url) as session:
        (flagged,) = referrals.list_referrals(session=session, status="review", limit=5, offset=0)
        assert (
            referrals.approve_referral(
                session=session, rules=programme, referral_id=flagged.id
            ).status
            == "pending"
        )
        first = order("F1-O1", "40", customer_id="F1", at=T0 + DAY)
        assert referrals.attribute_order(
            session=session, rules=programme, order=first, undone=False
        )
