"""Simultaneous writers with real threads: no point spent twice, no source earned twice.

Plus a property test: random sequences of earn, redeem, adjust, reverse, release and the passing
of time keep the balance equal to the sum of the ledger and to what the lots hold, never negative.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.loyalty import ledger
from retain.loyalty.ledger import InsufficientPoints
from retain.loyalty.models import LoyaltyEntry
from retain.loyalty.rules import Rules
from retain.loyalty.service import adjust, earn_order, expire_all, reverse_order
from retain.settings import Settings
from retain.store import session_scope
from tests.helpers import race
from tests.loyalty.helpers import T0, check_invariants, member, order, rules, store_url

THREADS = 8


def test_simultaneous_redemptions_never_spend_a_point_twice(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    with session_scope(url) as session:
        earn_order(session=session, rules=rules("return_window_days: 0"), order=order("O1", "100"))

    def redeem(number: int) -> None:
        with session_scope(url) as session:
            ledger.debit(
                session=session,
                customer_id="C1",
                points=30,
                source="reward",
                key=f"r{number}",
                at=T0,
            )

    errors = race(redeem, threads=THREADS)
    assert all(isinstance(error, InsufficientPoints) for error in errors), errors
    assert len(errors) == THREADS - 3  # 100 points pay for exactly three redemptions of 30
    with session_scope(url) as session:
        assert check_invariants(session, "C1", T0) == 10


def test_the_same_earning_in_parallel_is_written_once(settings: Settings) -> None:
    url = store_url(settings)
    member(url)

    def earn(_number: int) -> None:
        with session_scope(url) as session:
            earn_order(
                session=session, rules=rules("return_window_days: 0"), order=order("O1", "70")
            )

    assert race(earn, threads=THREADS) == []
    with session_scope(url) as session:
        keys = session.scalars(select(LoyaltyEntry.idempotency_key)).all()
        assert keys == ["order:O1"]
        assert check_invariants(session, "C1", T0) == 70


def test_the_same_redemption_retried_in_parallel_is_spent_once(settings: Settings) -> None:
    url = store_url(settings)
    member(url)
    with session_scope(url) as session:
        earn_order(session=session, rules=rules("return_window_days: 0"), order=order("O1", "100"))

    def redeem(_number: int) -> None:
        with session_scope(url) as session:
            ledger.debit(
                session=session, customer_id="C1", points=40, source="reward", key="k", at=T0
            )

    assert race(redeem, threads=THREADS) == []
    with session_scope(url) as session:
        assert check_invariants(session, "C1", T0) == 60


operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 200)),
        st.tuples(st.just("redeem"), st.integers(1, 150)),
        st.tuples(st.just("adjust"), st.integers(-80, 80).filter(bool)),
        st.tuples(st.just("reverse"), st.integers(0, 9)),
        st.tuples(st.just("release"), st.integers(0, 9)),
        st.tuples(st.just("wait"), st.integers(1, 40)),
    ),
    min_size=1,
    max_size=25,
)


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
def test_random_operations_keep_the_books_exact(
    settings: Settings, steps: list[tuple[str, int]]
) -> None:
    url = store_url(settings)
    customer = f"P{uuid.uuid4().hex[:10]}"
    member(url, customer)
    programme = rules("return_window_days: 10\nexpiry: {policy: days, days: 30}")
    now, orders = T0, list[str]()
    for number, (operation, value) in enumerate(steps):
        with session_scope(url) as session:
            now = _apply(session, programme, customer, operation, value, number, now, orders)
            expire_all(session=session, at=now)
            check_invariants(session, customer, now)


def _apply(
    session: Session,
    programme: Rules,
    customer: str,
    operation: str,
    value: int,
    number: int,
    now: datetime,
    orders: list[str],
) -> datetime:
    if operation == "wait":
        return now + timedelta(days=value)
    if operation == "earn":
        orders.append(f"{customer}-O{number}")
        earn_order(
            session=session,
            rules=programme,
            order=order(orders[-1], str(value), customer_id=customer, at=now),
        )
    elif operation == "reverse" and orders:
        reverse_order(
            session=session,
            customer_id=customer,
            order_id=orders[value % len(orders)],
            at=now,
            reason="returned",
        )
    elif operation == "release":
        _release(session, customer, value, now)
    elif operation in ("redeem", "adjust"):
        _spend(session, programme, customer, operation, value, number, now)
    return now


def _release(session: Session, customer: str, value: int, now: datetime) -> None:
    """Give back one of the member's redemptions (a second time changes nothing)."""
    spent = session.scalars(
        select(LoyaltyEntry)
        .where(LoyaltyEntry.customer_id == customer, LoyaltyEntry.kind == "redeem")
        .order_by(LoyaltyEntry.id)
    ).all()
    if spent:
        entry = spent[value % len(spent)]
        ledger.give_back(session=session, entry=entry, key=f"release:{entry.id}", at=now, note="")


def _spend(
    session: Session,
    programme: Rules,
    customer: str,
    operation: str,
    value: int,
    number: int,
    now: datetime,
) -> None:
    try:
        if operation == "redeem":
            ledger.debit(
                session=session,
                customer_id=customer,
                points=value,
                source="reward",
                key=f"{customer}-r{number}",
                at=now,
            )
        else:
            adjust(
                session=session,
                rules=programme,
                customer_id=customer,
                points=value,
                key=f"{customer}-a{number}",
                at=now,
                note="property test",
            )
    except InsufficientPoints:
        balance = ledger.balance(session=session, customer_id=customer, at=now).available
        assert abs(value) > balance  # refused only when the balance really is short
