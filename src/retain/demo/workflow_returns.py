"""Return requests over the demo's recent orders, one in every state the workflow has.

Each request is made through the returns service as the portal would, so the policy decides it
first (small ones are approved at once, late ones declined); an agent, the carrier and the
warehouse then move it on to the state it is meant to show. The imported return events stay
what they are: history in the warehouse, which the Returns page's rates read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from retain.demo.workflow_data import DemoData, chance, now_minute, scaled
from retain.demo.workflow_texts import RETURN_COMMENT
from retain.returns import service as returns
from retain.returns.policy import Policy
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import connect

ACTOR = "demo-agent"
# A request the policy must not settle by itself (it approves small ones at once).
REVIEWED_ABOVE = 60
RECENT_DAYS = 25
LATE_DAYS = 45


@dataclass(frozen=True)
class ReturnPath:
    """The state a request ends in, and the moves that take it there after approval."""

    final: str
    moves: tuple[str, ...]
    needs_review: bool = False
    late: bool = False


PATHS = (
    ReturnPath("requested", (), needs_review=True),
    ReturnPath("approved", ()),
    ReturnPath("in_transit", ("in_transit",)),
    ReturnPath("received", ("in_transit", "received")),
    ReturnPath("inspected", ("in_transit", "received", "inspected")),
    ReturnPath("resolved", ("in_transit", "received", "inspected", "resolved")),
    ReturnPath("closed", ("in_transit", "received", "inspected", "resolved", "closed")),
    ReturnPath("closed", ("received", "inspected", "resolved", "closed")),
    ReturnPath("declined", (), needs_review=True),
    ReturnPath("declined", (), late=True),
    ReturnPath("cancelled", ("cancelled",)),
    ReturnPath("expired", ("expired",)),
)


def open_returns(settings: Settings, data: DemoData, seed: int) -> str:
    """Request returns of recent orders and move each to its state; a second run adds none."""
    now = now_minute()
    count = scaled(len(data.customers), per=80, low=len(PATHS) * 2, high=80)
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            policy = returns.load_policy(session=session)
            requested = {r.order_id for r in returns.list_returns(session=session, limit=10**6)[0]}
            for number, (order_id, path) in enumerate(_choose_orders(data, seed, count)):
                if order_id in requested:
                    continue  # requested in an earlier run
                draw = chance(seed, "return", order_id)
                language = data.language_by_customer.get(data.customer_of(order_id), "en")
                _request(
                    session, backend, policy, order_id, path, draw.random, now, number, language
                )
            counts = {
                state: returns.list_returns(session=session, state=state, limit=1)[1]
                for state in _states()
            }
    finally:
        backend.disconnect()
    shown = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    return f"{sum(counts.values())} return requests ({shown})"


def _states() -> tuple[str, ...]:
    return tuple(dict.fromkeys(path.final for path in PATHS))


def _choose_orders(data: DemoData, seed: int, count: int) -> list[tuple[str, ReturnPath]]:
    """Orders for each path: recent ones, big enough when a person must review them."""
    frame = data.orders[data.orders["status"] != "refunded"]
    last = frame["ordered_at"].max()
    recent = frame[frame["ordered_at"] >= last - pd.Timedelta(days=RECENT_DAYS)]
    late = frame[frame["ordered_at"] < last - pd.Timedelta(days=LATE_DAYS)]
    pools = {
        "small": _shuffled(recent, seed, "small"),
        "big": _shuffled(recent[recent["amount"] > REVIEWED_ABOVE], seed, "big"),
        "late": _shuffled(late, seed, "late"),
    }
    taken: set[str] = set()
    chosen: list[tuple[str, ReturnPath]] = []
    for number in range(count):
        path = PATHS[number % len(PATHS)]
        pool = pools["late" if path.late else "big" if path.needs_review else "small"]
        order_id = next((o for o in pool if o not in taken), None)
        if order_id is not None:
            taken.add(order_id)
            chosen.append((order_id, path))
    return chosen


def _shuffled(frame: pd.DataFrame, seed: int, name: str) -> list[str]:
    ids = sorted(str(value) for value in frame["order_id"])
    chance(seed, "return-pool", name).shuffle(ids)
    return ids


def _request(
    session: Session,
    backend: BaseBackend,
    policy: Policy,
    order_id: str,
    path: ReturnPath,
    random: Callable[[], float],
    now: datetime,
    number: int,
    language: str,
) -> None:
    order = returns.load_order(backend=backend, order_id=order_id)
    reason = policy.reasons[int(random() * len(policy.reasons))]
    wanted = ("refund", "refund", "credit", "exchange")[number % 4]
    requested_at = min(
        order.ordered_at + timedelta(days=LATE_DAYS if path.late else 1 + 4 * random()),
        now - timedelta(days=1),
    )
    request = returns.request_return(
        session=session,
        policy=policy,
        order=order,
        items=[
            returns.ItemRequest(
                line_number=line.line_number,
                quantity=line.quantity,
                condition="damaged" if reason == "damaged" else "opened",
            )
            for line in order.lines
        ],
        reason=reason,
        wanted=wanted,  # type: ignore[arg-type]
        key=f"demo:{order_id}",
        at=requested_at,
        actor=order.customer_id,
        comment=RETURN_COMMENT[language] if reason == "damaged" else None,
        language=language,
        exchange_for="same item, other size" if wanted == "exchange" else None,
    )
    step = min(timedelta(days=2), (now - requested_at) / (len(path.moves) + 2))
    at = requested_at + step
    if request.state == "requested" and path.final == "declined":
        returns.decline(
            session=session,
            policy=policy,
            return_id=request.return_id,
            reason="other",
            note="The item shows wear beyond trying it on.",
            actor=ACTOR,
            at=at,
        )
        return
    if request.state == "requested" and path.final != "requested":
        returns.transition(
            session=session,
            policy=policy,
            return_id=request.return_id,
            to="approved",
            actor=ACTOR,
            at=at,
        )
    for move in path.moves:
        at += step
        if move == "resolved":
            returns.resolve(
                session=session, policy=policy, return_id=request.return_id, actor=ACTOR, at=at
            )
        else:
            returns.transition(
                session=session,
                policy=policy,
                return_id=request.return_id,
                to=move,
                actor=ACTOR,
                at=at,
            )
