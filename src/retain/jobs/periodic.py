"""Every periodic job of every domain, in one list: what ``retain worker`` runs and how often.

The domains only expose the functions; the schedule lives here, above them, so that no domain
imports the worker (nor, through it, another domain).
"""

from __future__ import annotations

from retain.engage.schedule import run_scheduled
from retain.feedback import schedule as surveys
from retain.jobs.worker import register_periodic
from retain.returns import jobs as returns
from retain.settings import Settings
from retain.support.schedule import run_support_jobs


def register_periodic_jobs(settings: Settings) -> None:
    """Have the worker run each domain's periodic job; a new job is one more line here."""
    # Segments are refreshed first, then the playbooks run on the fresh memberships.
    register_periodic("segments-and-playbooks", settings.playbook_run_seconds, run_scheduled)
    register_periodic("surveys", surveys.EVERY_SECONDS, surveys.run_recurring)
    register_periodic("returns", returns.EVERY_SECONDS, returns.run_pass)
    register_periodic("support", settings.support_check_seconds, run_support_jobs)
