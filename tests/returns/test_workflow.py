"""Every legal and illegal move of the workflow, pure and through the store, with history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from retain.auth.models import AuditEntry
from retain.returns import service
from retain.returns.service import ItemRequest, ReturnError
from retain.returns.workflow import STATES, TRANSITIONS, IllegalTransition, check
from retain.settings import Settings
from retain.store import session_scope
from tests.returns.helpers import T0, ask, move, order, store_url

# A legal path from a fresh (auto-approved) request to each state.
PATHS: dict[str, tuple[str, ...]] = {
    "approved": (),
    "in_transit": ("in_transit",),
    "received": ("in_transit", "received"),
    "inspected": ("in_transit", "received", "inspected"),
    "resolved": ("in_transit", "received", "inspected", "resolved"),
    "closed": ("in_transit", "received", "inspected", "resolved", "closed"),
    "cancelled": ("cancelled",),
    "expired": ("expired",),
}


@pytest.mark.parametrize("current", STATES)
@pytest.mark.parametrize("target", STATES)
def test_check_allows_exactly_the_table(current: str, target: str) -> None:
    if target in TRANSITIONS[current]:  # type: ignore[index]
        check(current, target)
    else:
        with pytest.raises(IllegalTransition, match=f"cannot become {target}"):
            check(current, target)


def test_unknown_states_are_refused() -> None:
    with pytest.raises(IllegalTransition, match="not a state"):
        check("requested", "teleported")


def _request_in(url: str, state: str, key: str) -> str:
    """A request (in review when ``state`` is requested or declined) walked to ``state``."""
    big = state in ("requested", "declined")  # over 50: not auto-approved
    facts = order(f"O-{key}", lines=((2, Decimal("80.00")),))
    request = ask(url, facts, [ItemRequest(1, 2 if big else 1)], key=key)
    if big:
        move(url, request.return_id, *(("declined",) if state == "declined" else ()))
    else:
        move(url, request.return_id, *PATHS[state])
    return request.return_id


def test_every_move_through_the_store(settings: Settings) -> None:
    url = store_url(settings)
    for current in STATES:
        for target in STATES:
            if target == current:
                continue
            return_id = _request_in(url, current, f"{current}-{target}")
            with session_scope(url) as session:
                assert service.get(session=session, return_id=return_id).state == current
            legal = target in TRANSITIONS[current]  # type: ignore[index]
            if (current, target) == ("closed", "resolved"):
                # Resolving again is the idempotent repeat of the resolution: nothing changes.
                move(url, return_id, target)
                with session_scope(url) as session:
                    assert service.get(session=session, return_id=return_id).state == current
            elif legal:
                move(url, return_id, target)
                with session_scope(url) as session:
                    assert service.get(session=session, return_id=return_id).state == target
            else:
                with pytest.raises((IllegalTransition, ReturnError)):
                    move(url, return_id, target)
                    pytest.fail(f"{current} -> {target} was allowed")
                with session_scope(url) as session:
                    assert service.get(session=session, return_id=return_id).state == current


def test_history_and_audit_say_who_did_what_when(settings: Settings) -> None:
    url = store_url(settings)
    request = ask(url, order(), [ItemRequest(2, 1)], key="k1")
    move(url, request.return_id, "in_transit", "received")
    with session_scope(url) as session:
        steps = service.history(session=session, return_id=request.return_id)
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.target == request.return_id)
        ).all()
    assert [(step.from_state, step.to_state, step.actor) for step in steps] == [
        (None, "requested", "customer"),
        ("requested", "approved", "system"),
        ("approved", "in_transit", "agent"),
        ("in_transit", "received", "agent"),
    ]
    assert all(step.at == T0 for step in steps)
    assert [entry.action for entry in audit] == [
        "returns.approved",
        "returns.in_transit",
        "returns.received",
    ]


def test_sla_timers_flag_overdue_waiting_states(settings: Settings) -> None:
    from datetime import timedelta

    url = store_url(settings)
    request = ask(url, order(), [ItemRequest(1, 2)], key="slow")  # 120 > 50: review
    with session_scope(url) as session:
        found = service.get(session=session, return_id=request.return_id)
        assert found.due_at == T0 + timedelta(hours=48)
        assert not service.overdue(request=found, at=T0 + timedelta(hours=47))
        assert service.overdue(request=found, at=T0 + timedelta(hours=49))
        late, total = service.list_returns(session=session, overdue_at=T0 + timedelta(hours=49))
        assert [item.return_id for item in late] == [request.return_id] and total == 1
    move(url, request.return_id, "cancelled")
    with session_scope(url) as session:
        assert service.get(session=session, return_id=request.return_id).due_at is None
