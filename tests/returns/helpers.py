"""Shared helpers of the returns tests: a migrated store, orders in the warehouse, requests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pandas as pd

from retain.customers.models import CustomerProfile
from retain.returns import service
from retain.returns.models import ReturnRequest
from retain.returns.policy import Policy, parse_policy
from retain.returns.service import ItemRequest, OrderFacts, OrderLineFacts
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect

T0 = datetime(2026, 3, 2, 10, 0)
POLICY = parse_policy(
    """
window_days: 30
reasons: [damaged, wrong_size, changed_mind]
fees:
  restocking: {percent: "10"}
  return_shipping: {fixed: "4.50"}
  waived_for_reasons: [damaged]
store_credit_bonus_percent: "10"
auto_approve: ["value <= 50"]
sla_hours: {requested: 48, approved: 336}
"""
)


def store_url(settings: Settings) -> str:
    """The settings' store, migrated."""
    ensure_store(settings.storage.store_url)
    return settings.storage.store_url


def order(
    order_id: str = "O1",
    customer_id: str = "C1",
    *,
    lines: tuple[tuple[int, Decimal], ...] = ((2, Decimal("60.00")), (1, Decimal("19.99"))),
    ordered_at: datetime = T0,
) -> OrderFacts:
    """An order whose line n has the given (quantity, amount paid)."""
    return OrderFacts(
        order_id=order_id,
        customer_id=customer_id,
        ordered_at=ordered_at,
        currency="EUR",
        lines=tuple(
            OrderLineFacts(number, f"P{number}", f"Product {number}", "shoes", quantity, paid)
            for number, (quantity, paid) in enumerate(lines, start=1)
        ),
    )


def profile(url: str, customer_id: str = "C1", *, time_zone: str | None = None) -> None:
    with session_scope(url) as session:
        session.add(
            CustomerProfile(
                customer_id=customer_id,
                email=f"{customer_id.lower()}@example.com",
                time_zone=time_zone,
            )
        )


def ask(
    url: str,
    facts: OrderFacts,
    items: list[ItemRequest],
    *,
    key: str,
    wanted: service.Wanted = "refund",
    reason: str = "changed_mind",
    at: datetime = T0,
    policy: Policy = POLICY,
    exchange_for: str | None = None,
) -> ReturnRequest:
    with session_scope(url) as session:
        return service.request_return(
            session=session,
            policy=policy,
            order=facts,
            items=items,
            reason=reason,
            wanted=wanted,
            key=key,
            at=at,
            actor="customer",
            exchange_for=exchange_for,
        )


def move(url: str, return_id: str, *states: str, at: datetime = T0) -> None:
    """Walk the request through ``states`` (resolved via resolve)."""
    for state in states:
        with session_scope(url) as session:
            if state == "resolved":
                service.resolve(
                    session=session, policy=POLICY, return_id=return_id, actor="agent", at=at
                )
            elif state == "declined":
                service.decline(
                    session=session,
                    policy=POLICY,
                    return_id=return_id,
                    reason="other",
                    note="not ours",
                    actor="agent",
                    at=at,
                )
            else:
                service.transition(
                    session=session,
                    policy=POLICY,
                    return_id=return_id,
                    to=state,
                    actor="agent",
                    at=at,
                )


def warehouse_orders(settings: Settings, facts: OrderFacts, *, email_customer: bool = True) -> None:
    """Put ``facts`` into the warehouse as an order and its lines."""
    backend = connect(settings.storage.resolved_warehouse_url)
    total = sum(line.paid for line in facts.lines)
    try:
        backend.insert(
            "order",
            pd.DataFrame(
                {
                    "order_id": [facts.order_id],
                    "customer_id": [facts.customer_id],
                    "ordered_at": [pd.Timestamp(facts.ordered_at)],
                    "amount": [float(total)],
                    "currency": [facts.currency],
                    "status": ["paid"],
                    "discount": [0.0],
                }
            ),
        )
        backend.insert(
            "order_line",
            pd.DataFrame(
                {
                    "order_id": [facts.order_id] * len(facts.lines),
                    "line_number": [line.line_number for line in facts.lines],
                    "product_id": [line.product_id for line in facts.lines],
                    "product_name": [line.product_name for line in facts.lines],
                    "category": [line.category for line in facts.lines],
                    "quantity": [line.quantity for line in facts.lines],
                    "unit_price": [float(line.paid / line.quantity) for line in facts.lines],
                    "amount": [float(line.paid) for line in facts.lines],
                }
            ),
        )
    finally:
        backend.disconnect()
