"""What ``retain worker`` does for support: SLA warnings and breaches, CSAT asks, replies by
email, the warehouse export."""

from __future__ import annotations

from dataclasses import dataclass

from retain.clock import utcnow
from retain.settings import Settings
from retain.store import migrated_session
from retain.support import csat
from retain.support.deadlines import DeadlineSummary, run_deadline_check
from retain.support.events import export_events
from retain.support.mail import send_pending_replies
from retain.warehouse import connect


@dataclass(frozen=True)
class SupportRun:
    deadlines: DeadlineSummary
    ratings_asked: int
    replies_emailed: int
    events_exported: int


def run_support_jobs(settings: Settings) -> SupportRun:
    """One pass: record SLA warnings and breaches, ask solved tickets for CSAT, export events."""
    at = utcnow()
    deadlines = run_deadline_check(settings, at)
    with migrated_session(settings.storage.store_url) as session:
        asked = csat.ask_for_ratings(session, settings=settings, at=at)
    emailed = send_pending_replies(settings, at=at)
    # Short-lived warehouse connection: DuckDB allows one writing process.
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        exported = export_events(store_url=settings.storage.store_url, backend=backend)
    finally:
        backend.disconnect()
    return SupportRun(
        deadlines=deadlines,
        ratings_asked=asked,
        replies_emailed=emailed,
        events_exported=exported,
    )
