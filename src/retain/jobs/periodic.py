"""Every periodic job of every domain, in one list: what ``retain worker`` runs and how often.

The domains only expose the functions; the schedule lives here, above them, so that no domain
imports the worker (nor, through it, another domain).
"""

from __future__ import annotations

from retain.engage.schedule import run_scheduled
from retain.feedback import schedule as surveys
from retain.feedback.service import ITEM_SOURCE
from retain.feedback.surveys import ANSWER_SOURCE
from retain.jobs.worker import register_periodic
from retain.loyalty.events import SOURCE as LOYALTY_SOURCE
from retain.messaging.events import SOURCE as DELIVERY_SOURCE
from retain.returns import jobs as returns
from retain.returns.events import SOURCE as RETURN_SOURCE
from retain.settings import Settings
from retain.support.events import SOURCE as TICKET_SOURCE
from retain.support.schedule import run_support_jobs
from retain.warehouse.outbox import export_pending

# Facts the domains' own passes do not export (loyalty entries, analysed reviews) wait at most
# this long before the warehouse sees them.
WAREHOUSE_EXPORT_SECONDS = 60.0
# Every store fact that the warehouse keeps a copy of, through the one outbox.
EXPORTED_SOURCES = (
    LOYALTY_SOURCE,
    TICKET_SOURCE,
    RETURN_SOURCE,
    ITEM_SOURCE,
    ANSWER_SOURCE,
    DELIVERY_SOURCE,
)


def register_periodic_jobs(settings: Settings) -> None:
    """Have the worker run each domain's periodic job; a new job is one more line here."""
    # Segments are refreshed first, then the playbooks run on the fresh memberships.
    register_periodic("segments-and-playbooks", settings.engage.playbook_run_seconds, run_scheduled)
    register_periodic("surveys", surveys.EVERY_SECONDS, surveys.run_recurring)
    register_periodic("returns", returns.EVERY_SECONDS, returns.run_pass)
    register_periodic("support", settings.support.check_seconds, run_support_jobs)
    register_periodic("warehouse-export", WAREHOUSE_EXPORT_SECONDS, export_to_warehouse)


def export_to_warehouse(settings: Settings) -> dict[str, int]:
    """Copy every domain's new facts to the warehouse; how many of each."""
    return export_pending(
        store_url=settings.storage.store_url,
        warehouse_url=settings.storage.resolved_warehouse_url,
        sources=list(EXPORTED_SOURCES),
    )
