"""What ``retain worker`` does for engagement: refresh segments, then run the playbooks."""

from __future__ import annotations

from retain.clock import utcnow_to_the_second
from retain.engage.service import run_playbooks
from retain.segments.service import refresh_segments
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect


def run_scheduled(settings: Settings) -> None:
    """Refresh every segment and run every enabled playbook as of now."""
    at = utcnow_to_the_second()
    ensure_store(settings.storage.store_url)
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            refresh_segments(session=session, backend=backend, at=at)
        run_playbooks(settings=settings, backend=backend, at=at)
    finally:
        backend.disconnect()
