"""A subscription's next renewal: renewals are not logged as changes, so stored dates go stale."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from retain.customer360.service import billing_months, next_renewal

TODAY = datetime(2026, 12, 3, 9, 30)


@pytest.mark.parametrize(
    ("renews_at", "period_months", "expected"),
    [
        # The demo's case: an active monthly subscription last changed in the summer.
        (datetime(2026, 10, 25, 8, 0), 1, datetime(2026, 12, 25, 8, 0)),
        # Later today at the same time of day is still ahead, earlier today is past.
        (datetime(2026, 11, 3, 10, 0), 1, datetime(2026, 12, 3, 10, 0)),
        (datetime(2026, 11, 3, 9, 0), 1, datetime(2027, 1, 3, 9, 0)),
        # A renewal on the 31st comes back to the 31st, it does not drift after February.
        (datetime(2026, 1, 31), 1, datetime(2026, 12, 31)),
        (datetime(2025, 8, 31), 3, datetime(2027, 2, 28)),
        # Yearly plans roll by years; leap day falls on the 28th in other years.
        (datetime(2024, 2, 29), 12, datetime(2027, 2, 28)),
        (datetime(2025, 12, 10), 12, datetime(2026, 12, 10)),
    ],
)
def test_a_past_renewal_rolls_forward_to_the_first_one_after_now(
    renews_at: datetime, period_months: int, expected: datetime
) -> None:
    assert next_renewal(renews_at=renews_at, period_months=period_months, after=TODAY) == expected


def test_a_renewal_still_ahead_is_kept() -> None:
    ahead = datetime(2027, 1, 14)
    assert next_renewal(renews_at=ahead, period_months=1, after=TODAY) == ahead


def change(kind: str, changed_at: datetime, renews_at: datetime | None) -> dict[str, Any]:
    return {"kind": kind, "changed_at": changed_at, "renews_at": renews_at}


def test_the_billing_period_comes_from_the_start_of_the_subscription() -> None:
    monthly = [
        change("expansion", datetime(2026, 3, 9), datetime(2026, 3, 31)),
        change("new", datetime(2026, 1, 31), datetime(2026, 2, 28)),
    ]
    yearly = [change("reactivation", datetime(2025, 5, 2), datetime(2026, 5, 2))]
    unknown = [change("expansion", datetime(2026, 3, 9), datetime(2026, 4, 1))]
    assert billing_months(changes=monthly) == 1
    assert billing_months(changes=yearly) == 12
    assert billing_months(changes=unknown) == 1
