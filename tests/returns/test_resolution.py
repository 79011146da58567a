"""Resolving returns: money settled once, store credit, partial returns, the warehouse fact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from retain.currency.money import Money
from retain.loyalty.orders import undone_orders
from retain.metrics.service import MetricsQuery, compute_metrics
from retain.returns import credit, events, service
from retain.returns.models import ReturnInstruction
from retain.returns.service import ItemRequest, ReturnError
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import connect
from tests.returns.helpers import T0, ask, move, order, store_url, warehouse_orders

TO_RESOLVE = ("in_transit", "received", "inspected", "resolved")


def test_resolving_twice_credits_and_instructs_once(settings: Settings) -> None:
    url = store_url(settings)
    request = ask(url, order(), [ItemRequest(1, 1)], key="k", wanted="credit")
    move(url, request.return_id, *TO_RESOLVE)
    move(url, request.return_id, "resolved")  # an agent clicks again
    with session_scope(url) as session:
        resolved = service.get(session=session, return_id=request.return_id)
        # 1 of 2 units of 60.00: 30.00, less 10% restocking (3.00) and 4.50 shipping; 10% bonus.
        assert (resolved.items_value, resolved.fees) == (Decimal("30.00"), Decimal("7.50"))
        assert resolved.resolution == "credited" and resolved.bonus == Decimal("2.25")
        assert credit.balance(session=session, customer_id="C1") == Decimal("24.75")
        assert len(credit.history(session=session, customer_id="C1")) == 2
        instructions = session.query(ReturnInstruction).all()
    assert [(item.kind, item.status) for item in instructions] == [("credit", "pending")]


def test_partial_and_repeated_returns_add_up_to_the_order(settings: Settings) -> None:
    url = store_url(settings)
    facts = order(lines=((3, Decimal("100.00")), (1, Decimal("19.99"))))
    first = ask(url, facts, [ItemRequest(1, 1)], key="a", reason="damaged")
    second = ask(url, facts, [ItemRequest(1, 2), ItemRequest(2, 1)], key="b", reason="damaged")
    with pytest.raises(ReturnError, match="0 of 3 left"):
        ask(url, facts, [ItemRequest(1, 1)], key="c", reason="damaged")
    for request in (first, second):
        move(url, request.return_id, "approved", *TO_RESOLVE)
    with session_scope(url) as session:
        values = [
            service.get(session=session, return_id=request.return_id).items_value
            for request in (first, second)
        ]
    assert values == [Decimal("33.33"), Decimal("86.66")]
    assert sum(values) == Decimal("119.99")  # exactly what was paid, no cent lost or gained


def test_a_cancelled_request_gives_its_units_back(settings: Settings) -> None:
    url = store_url(settings)
    facts = order()
    first = ask(url, facts, [ItemRequest(2, 1)], key="a")
    move(url, first.return_id, "cancelled")
    again = ask(url, facts, [ItemRequest(2, 1)], key="b")
    assert again.state == "approved" and again.items_value == Decimal("19.99")
    assert ask(url, facts, [ItemRequest(2, 1)], key="b").return_id == again.return_id


def test_resolved_returns_reach_the_warehouse_once_and_net_revenue(settings: Settings) -> None:
    url = store_url(settings)
    facts = order(lines=((4, Decimal("200.00")),))
    warehouse_orders(settings, facts)
    requests = [
        ask(url, facts, [ItemRequest(1, 1)], key=key, reason="damaged") for key in ("a", "b")
    ]
    for request in requests:
        move(url, request.return_id, "approved", *TO_RESOLVE)
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        assert events.export_events(store_url=url, backend=backend) == 2
        assert events.export_events(store_url=url, backend=backend) == 0
        returned = backend.table("return_event").to_pandas()
        assert sorted(returned["return_id"]) == sorted(r.return_id for r in requests)
        assert returned["amount"].map(Decimal).sum() == Decimal("100.00")
        assert set(returned["status"]) == {"refunded"}
        assert facts.order_id in undone_orders(backend)  # loyalty reverses the order's points
        rows = compute_metrics(
            backend=backend,
            query=MetricsQuery(start=date(2026, 3, 1), end=date(2026, 3, 31)),
            money=Money(rates={}, reporting_currency="EUR"),
        )
    finally:
        backend.disconnect()
    march = pd.DataFrame(rows).iloc[0]
    assert (march["revenue"], march["returned"]) == (200.0, 100.0)
    assert march["net_revenue"] == 100.0


def test_store_credit_ledger_refuses_overdraft_and_repeats(settings: Settings) -> None:
    url = store_url(settings)
    with session_scope(url) as session:
        credit.open_account(session=session, customer_id="C9", currency="EUR", at=T0)
        first = credit.post(
            session=session,
            customer_id="C9",
            amount=Decimal("10"),
            kind="credit",
            key="x",
            at=T0,
            currency="EUR",
        )
        repeat = credit.post(
            session=session,
            customer_id="C9",
            amount=Decimal("10"),
            kind="credit",
            key="x",
            at=T0,
            currency="EUR",
        )
        assert first.created and not repeat.created and repeat.entry.id == first.entry.id
        with pytest.raises(credit.CreditError, match="less than"):
            credit.post(
                session=session,
                customer_id="C9",
                amount=Decimal("-10.01"),
                kind="spend",
                key="y",
                at=T0,
                currency="EUR",
            )
        with pytest.raises(credit.CreditError, match="not USD"):
            credit.post(
                session=session,
                customer_id="C9",
                amount=Decimal("1"),
                kind="credit",
                key="z",
                at=T0,
                currency="USD",
            )
        assert credit.balance(session=session, customer_id="C9") == Decimal("10")
