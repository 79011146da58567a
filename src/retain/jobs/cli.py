"""``retain worker``: deliveries and every domain's periodic jobs, until interrupted."""

from __future__ import annotations

from typing import Annotated

import typer


def register(root: typer.Typer) -> None:
    """Mount ``retain worker`` on the root command."""
    root.command("worker")(run_worker)


def run_worker(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between passes.")] = 10.0,
) -> None:
    """Send due messages and run every domain's periodic jobs, until interrupted."""
    from retain.jobs import worker
    from retain.jobs.periodic import register_periodic_jobs
    from retain.messaging.service import DeliverySummary
    from retain.settings import get_settings

    def report(summary: DeliverySummary) -> None:
        counts = summary.as_dict()
        if any(counts.values()):
            typer.echo(" ".join(f"{name}={count}" for name, count in counts.items()))

    settings = get_settings()
    register_periodic_jobs(settings)
    worker.run_worker(settings=settings, interval=interval, once=once, on_tick=report)
