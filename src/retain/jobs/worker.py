"""The worker's loop: delivery passes, every domain's periodic jobs, and queued one-off tasks.

Why Huey: it is small (one pure-Python package), stores its queue in a SQLite file next to the
embedded store or in Redis in production (RETAIN_QUEUE_URL), so embedded Retain needs no extra
server. The loop here drives it: each tick runs a delivery pass, the registered periodic hooks
that are due (``retain.jobs.periodic`` lists them), and then the one-off tasks queued in Huey
(``request_pass`` asks for a delivery pass now instead of at the next tick). Delivery state
lives in the store, not in the queue, so a killed worker loses nothing that a restart does not
pick up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from retain.messaging.service import DeliverySummary, deliver_due
from retain.settings import Settings, get_settings

log = logging.getLogger(__name__)
PASS_LIMIT = 10_000


@dataclass
class Periodic:
    """A hook the worker calls every ``every_seconds`` with the settings."""

    name: str
    every_seconds: float
    fn: Callable[[Settings], Any]
    last_run: float = float("-inf")


_periodic: dict[str, Periodic] = {}


def register_periodic(name: str, every_seconds: float, fn: Callable[[Settings], Any]) -> None:
    """Have ``retain worker`` call ``fn(settings)`` every ``every_seconds``; a name replaces."""
    _periodic[name] = Periodic(name=name, every_seconds=every_seconds, fn=fn)


def registered() -> list[str]:
    """Names of the registered periodic hooks."""
    return sorted(_periodic)


@cache
def task_queue(queue_url: str | None, data_dir: str) -> Huey:
    """The Huey queue: Redis when RETAIN_QUEUE_URL names it, else a SQLite file in the data dir."""
    if queue_url and queue_url.startswith(("redis://", "rediss://")):
        return RedisHuey("retain", url=queue_url)
    filename = queue_url.removeprefix("sqlite:///") if queue_url else f"{data_dir}/queue.db"
    return SqliteHuey("retain", filename=filename)


def _queue(settings: Settings) -> Huey:
    return task_queue(settings.storage.queue_url, str(settings.storage.data_dir))


def request_pass(settings: Settings) -> None:
    """Ask the running worker for a delivery pass now rather than at its next tick."""
    _deliver_task(_queue(settings))()


@cache
def _deliver_task(queue: Huey) -> Any:
    @queue.task(name="retain.deliver")
    def deliver() -> dict[str, int]:
        return deliver_due(settings=get_settings(), limit=PASS_LIMIT).as_dict()

    return deliver


def run_once(*, settings: Settings) -> DeliverySummary:
    """One tick: a delivery pass, the due periodic hooks, then the queued one-off tasks."""
    summary = deliver_due(settings=settings, limit=PASS_LIMIT)
    now = time.monotonic()
    for hook in list(_periodic.values()):
        if now - hook.last_run >= hook.every_seconds:
            hook.last_run = now
            _run_hook(hook, settings)
    _drain(_queue(settings))
    return summary


def _run_hook(hook: Periodic, settings: Settings) -> None:
    try:
        hook.fn(settings)
    except Exception:  # one failing hook must not stop deliveries or the other hooks
        log.exception("periodic hook %s failed", hook.name)


def _drain(queue: Huey) -> None:
    _deliver_task(queue)  # registers the task so queued requests can be executed
    while (task := queue.dequeue()) is not None:
        queue.execute(task)


def run_worker(
    *,
    settings: Settings,
    interval: float,
    once: bool = False,
    on_tick: Callable[[DeliverySummary], None] | None = None,
) -> None:
    """Tick every ``interval`` seconds until interrupted (or once)."""
    while True:
        started = time.monotonic()
        summary = run_once(settings=settings)
        if on_tick is not None:
            on_tick(summary)
        if once:
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
