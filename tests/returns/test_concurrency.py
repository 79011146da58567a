"""Simultaneous agents with real threads: one resolution, one credit, no unit returned twice."""

from __future__ import annotations

from decimal import Decimal

from retain.returns import credit, service
from retain.returns.models import ReturnInstruction, ReturnOutboxEvent, ReturnRequest
from retain.returns.service import ItemRequest, ReturnError
from retain.settings import Settings
from retain.store import session_scope
from tests.helpers import race
from tests.returns.helpers import POLICY, T0, ask, move, order, store_url

THREADS = 6


def test_simultaneous_resolutions_settle_once(settings: Settings) -> None:
    url = store_url(settings)
    request = ask(url, order(), [ItemRequest(1, 1)], key="k", wanted="credit")
    move(url, request.return_id, "in_transit", "received", "inspected")

    def resolve(_: int) -> None:
        with session_scope(url) as session:
            service.resolve(
                session=session, policy=POLICY, return_id=request.return_id, actor="a", at=T0
            )

    assert race(resolve, threads=THREADS) == []
    with session_scope(url) as session:
        assert credit.balance(session=session, customer_id="C1") == Decimal("24.75")
        assert session.query(ReturnInstruction).count() == 1
        assert session.query(ReturnOutboxEvent).count() == 1


def test_simultaneous_requests_never_return_a_unit_twice(settings: Settings) -> None:
    url = store_url(settings)
    facts = order(lines=((2, Decimal("60.00")),))

    def request(number: int) -> None:
        ask(url, facts, [ItemRequest(1, 1)], key=f"k{number}")

    errors = race(request, threads=THREADS)
    assert all(isinstance(error, ReturnError) for error in errors), errors
    with session_scope(url) as session:
        units = sum(
            line.quantity
            for item in session.query(ReturnRequest).all()
            for line in service.lines_of(session=session, return_id=item.return_id)
        )
    assert units == 2 and len(errors) == THREADS - 2
