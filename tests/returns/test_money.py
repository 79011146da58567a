"""Refund arithmetic: partial and repeated returns add up; a refund never exceeds what was paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retain.returns.money import (
    Fee,
    PaidLine,
    RefundError,
    cents,
    outcome,
    paid_lines,
    units_value,
)

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
percent = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)
fees = st.lists(
    st.one_of(
        percent.map(lambda value: Fee(percent=value)),
        money.map(lambda value: Fee(fixed=value)),
    ),
    max_size=2,
)


@st.composite
def returns_of_a_line(draw: st.DrawFn) -> tuple[PaidLine, list[int]]:
    quantity = draw(st.integers(min_value=1, max_value=40))
    line = PaidLine(1, quantity, draw(money))
    parts, left = [], quantity
    while left and draw(st.booleans()):
        part = draw(st.integers(min_value=1, max_value=left))
        parts.append(part)
        left -= part
    if draw(st.booleans()) and left:
        parts.append(left)
    return line, parts


@given(returns_of_a_line())
@settings(max_examples=300, deadline=None)
def test_partial_returns_add_up_and_never_exceed_the_line(case: tuple[PaidLine, list[int]]) -> None:
    line, parts = case
    returned, total = 0, Decimal(0)
    for part in parts:
        value = units_value(line, already_returned=returned, quantity=part)
        assert value >= 0
        returned += part
        total += value
        assert total <= line.paid
        # What has come back so far is worth the same however it was split.
        assert total == cents(line.paid * returned / line.quantity)
    if returned == line.quantity:
        assert total == line.paid
    if returned < line.quantity:
        with pytest.raises(RefundError, match="left"):
            units_value(line, already_returned=returned, quantity=line.quantity - returned + 1)


@given(money, fees, st.one_of(st.none(), percent))
@settings(max_examples=300, deadline=None)
def test_fees_never_make_a_refund_negative_or_larger(
    value: Decimal, charged: list[Fee], bonus: Decimal | None
) -> None:
    result = outcome(value, fees=charged, credit_bonus_percent=bonus)
    assert Decimal(0) <= result.refund <= value
    assert result.refund + result.fees == value
    assert result.fees == min(sum((fee.of(value) for fee in charged), Decimal(0)), value)
    assert result.bonus >= 0 and result.bonus == result.bonus.quantize(Decimal("0.01"))


@given(
    st.lists(st.tuples(st.integers(1, 9), money), min_size=1, max_size=6),
    st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=2),
)
@settings(max_examples=200, deadline=None)
def test_an_order_discount_is_spread_so_the_lines_add_up_to_the_total(
    lines: list[tuple[int, Decimal]], share: Decimal
) -> None:
    listed = sum((amount for _, amount in lines), Decimal(0))
    total = cents(listed * share)
    spread = paid_lines(
        [(number, quantity, amount) for number, (quantity, amount) in enumerate(lines, 1)],
        order_amount=total,
    )
    assert sum((line.paid for line in spread), Decimal(0)) == min(total, listed)


def test_fixed_and_percentage_fees() -> None:
    assert Fee(percent=Decimal("10")).of(Decimal("59.99")) == Decimal("6.00")
    assert Fee(fixed=Decimal("4.50")).of(Decimal("59.99")) == Decimal("4.50")
    capped = outcome(Decimal("3.00"), fees=[Fee(fixed=Decimal("4.50"))])
    assert (capped.fees, capped.refund) == (Decimal("3.00"), Decimal("0.00"))
