"""What ``retain worker`` does for returns: send instructions, close confirmed, expire, export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from retain.clock import utcnow
from retain.returns import events, service, webhooks
from retain.returns.models import ReturnInstruction, ReturnRequest
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect

EVERY_SECONDS = 30.0


@dataclass
class ReturnsPass:
    attempted: int = 0
    confirmed: int = 0
    closed: int = 0
    expired: int = 0
    exported: int = 0


def close_confirmed(*, store_url: str, at: datetime) -> int:
    """Close resolved returns whose instruction the shop confirmed."""
    with session_scope(store_url) as session:
        policy = service.load_policy(session=session)
        done = session.scalars(
            select(ReturnRequest.return_id)
            .join(ReturnInstruction, ReturnInstruction.return_id == ReturnRequest.return_id)
            .where(ReturnRequest.state == "resolved", ReturnInstruction.status == "confirmed")
        ).all()
        for return_id in done:
            service.transition(
                session=session,
                policy=policy,
                return_id=return_id,
                to="closed",
                actor="shop",
                at=at,
                note="the shop confirmed the instruction",
            )
    return len(done)


def run_pass(settings: Settings, *, at: datetime | None = None, export: bool = True) -> ReturnsPass:
    """One pass: deliver due instructions, close confirmed returns, expire, export events."""
    moment = at or utcnow()
    ensure_store(settings.storage.store_url)
    delivered = webhooks.deliver_due(store_url=settings.storage.store_url, at=moment)
    result = ReturnsPass(attempted=delivered.attempted, confirmed=delivered.confirmed)
    result.closed = close_confirmed(store_url=settings.storage.store_url, at=moment)
    with session_scope(settings.storage.store_url) as session:
        result.expired = service.expire_stale(
            session=session, policy=service.load_policy(session=session), at=moment
        )
    if export:
        backend = connect(settings.storage.resolved_warehouse_url)
        try:
            result.exported = events.export_events(
                store_url=settings.storage.store_url, backend=backend
            )
        finally:
            backend.disconnect()
    return result
