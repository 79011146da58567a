"""Holdouts are random with respect to the customer, stable, and separate per playbook."""

from __future__ import annotations

import math

from retain.engage.holdout import held_out


def _held(
    playbook: str, customers: range, fraction: float, global_fraction: float = 0.0
) -> list[str | None]:
    return [
        held_out(
            playbook=playbook,
            customer_id=f"C{number}",
            fraction=fraction,
            global_fraction=global_fraction,
        )
        for number in customers
    ]


def test_the_share_held_out_is_the_fraction_within_sampling_error() -> None:
    groups = _held("win-back", range(20_000), 0.1)
    share = groups.count("playbook") / len(groups)
    assert abs(share - 0.1) < 4 * math.sqrt(0.1 * 0.9 / len(groups))


def test_assignment_is_stable_and_differs_between_playbooks() -> None:
    first = _held("win-back", range(2_000), 0.1)
    assert first == _held("win-back", range(2_000), 0.1)
    other = _held("onboarding", range(2_000), 0.1)
    both = sum(a == b == "playbook" for a, b in zip(first, other, strict=True))
    assert both < first.count("playbook") / 2  # independent draws overlap about 10%


def test_the_global_control_group_comes_first_and_is_shared() -> None:
    one = _held("win-back", range(5_000), 0.1, global_fraction=0.05)
    two = _held("onboarding", range(5_000), 0.1, global_fraction=0.05)
    global_one = {i for i, group in enumerate(one) if group == "global"}
    assert global_one == {i for i, group in enumerate(two) if group == "global"}
    assert 150 < len(global_one) < 350
