"""The states of a return and the only moves between them."""

from __future__ import annotations

from typing import Literal

State = Literal[
    "requested",
    "approved",
    "declined",
    "in_transit",
    "received",
    "inspected",
    "resolved",
    "closed",
    "cancelled",
    "expired",
]
STATES: tuple[State, ...] = (
    "requested",
    "approved",
    "declined",
    "in_transit",
    "received",
    "inspected",
    "resolved",
    "closed",
    "cancelled",
    "expired",
)
TRANSITIONS: dict[State, frozenset[State]] = {
    "requested": frozenset({"approved", "declined", "cancelled", "expired"}),
    "approved": frozenset({"in_transit", "received", "cancelled", "expired"}),
    "in_transit": frozenset({"received"}),
    "received": frozenset({"inspected"}),
    "inspected": frozenset({"resolved"}),
    "resolved": frozenset({"closed"}),
    "declined": frozenset(),
    "closed": frozenset(),
    "cancelled": frozenset(),
    "expired": frozenset(),
}
# States in which the request waits on someone (an agent, the customer, a carrier).
WAITING: frozenset[State] = frozenset(
    {"requested", "approved", "in_transit", "received", "inspected", "resolved"}
)
# Requests in these states hold their units: a second request cannot return them again.
HOLDING: frozenset[State] = frozenset(
    {"requested", "approved", "in_transit", "received", "inspected", "resolved", "closed"}
)


class IllegalTransition(ValueError):
    """A move the workflow does not allow from the request's current state."""


def check(current: str, target: str) -> None:
    """Raise IllegalTransition unless ``current`` may move to ``target``."""
    if target not in STATES:
        raise IllegalTransition(f"{target!r} is not a state; states: {', '.join(STATES)}")
    allowed = TRANSITIONS.get(current, frozenset())  # type: ignore[call-overload]
    if target not in allowed:
        shown = ", ".join(sorted(allowed)) or "none (final state)"
        raise IllegalTransition(f"a {current} return cannot become {target}; allowed: {shown}")
