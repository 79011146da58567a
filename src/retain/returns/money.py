"""Refund arithmetic in Decimal: what returned units were paid, fees, bonus, the refund.

A line's value is split by cumulative rounding: returning units ``r+1 .. r+q`` of a line of
``Q`` units that cost ``A`` is worth ``round(A*(r+q)/Q) - round(A*r/Q)``. The parts of any
sequence of partial returns therefore add up to exactly ``A`` when every unit is back, and
never to more, whatever the order of the returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to cents, half to even (banker's rounding, as ledgers do)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


class RefundError(ValueError):
    """A return that would take back more than was bought."""


@dataclass(frozen=True)
class Fee:
    """A percentage of the returned items' value, or a fixed amount."""

    percent: Decimal | None = None
    fixed: Decimal | None = None

    def of(self, value: Decimal) -> Decimal:
        if self.percent is not None:
            return cents(value * self.percent / HUNDRED)
        return cents(self.fixed or Decimal(0))


@dataclass(frozen=True)
class PaidLine:
    """An order line: its units and what was paid for all of them (after discounts)."""

    line_number: int
    quantity: int
    paid: Decimal


@dataclass(frozen=True)
class Outcome:
    """What a return is worth: items value, fees, the refund and the store-credit bonus."""

    items_value: Decimal
    fees: Decimal
    refund: Decimal
    bonus: Decimal


def units_value(line: PaidLine, *, already_returned: int, quantity: int) -> Decimal:
    """What ``quantity`` more units of ``line`` were paid, ``already_returned`` being back."""
    if quantity <= 0:
        raise RefundError(f"line {line.line_number}: a return needs at least one unit")
    if already_returned + quantity > line.quantity:
        left = line.quantity - already_returned
        raise RefundError(
            f"line {line.line_number}: {quantity} units asked, {left} of {line.quantity} left"
        )
    before = cents(line.paid * already_returned / line.quantity)
    after = cents(line.paid * (already_returned + quantity) / line.quantity)
    return after - before


def outcome(
    items_value: Decimal, *, fees: list[Fee], credit_bonus_percent: Decimal | None = None
) -> Outcome:
    """Fees (never more than the items' value), the refund left, and a credit bonus on it."""
    charged = min(sum((fee.of(items_value) for fee in fees), Decimal(0)), items_value)
    refund = items_value - charged
    bonus = cents(refund * credit_bonus_percent / HUNDRED) if credit_bonus_percent else Decimal(0)
    return Outcome(items_value=items_value, fees=charged, refund=refund, bonus=cents(bonus))


def paid_lines(
    lines: list[tuple[int, int, Decimal]], *, order_amount: Decimal | None
) -> list[PaidLine]:
    """Lines with the order-level discount spread over them in proportion to their amounts.

    ``lines`` are (line number, quantity, line amount). When the order total is below the sum of
    the lines, the difference was a discount: each line was paid its share of the total, and the
    shares add up to the total exactly (the last line takes the rounding).
    """
    listed = sum((amount for _, _, amount in lines), Decimal(0))
    if order_amount is None or listed <= 0 or order_amount >= listed:
        return [PaidLine(number, quantity, amount) for number, quantity, amount in lines]
    paid, spread = [], Decimal(0)
    for index, (number, quantity, amount) in enumerate(lines):
        share = (
            order_amount - spread
            if index == len(lines) - 1
            else cents(amount * order_amount / listed)
        )
        spread += share
        paid.append(PaidLine(number, quantity, share))
    return paid
