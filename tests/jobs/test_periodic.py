"""``retain worker`` runs the periodic job of every domain, each at its own pace."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from retain.cli import app
from retain.jobs import worker
from retain.jobs.periodic import WAREHOUSE_EXPORT_SECONDS, register_periodic_jobs
from retain.settings import Settings


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry belongs to the process: each test starts from none and leaves it so."""
    monkeypatch.setattr(worker, "_periodic", {})


def test_every_domains_job_is_registered_with_its_interval(settings: Settings) -> None:
    register_periodic_jobs(settings)
    intervals = {name: worker._periodic[name].every_seconds for name in worker.registered()}
    assert intervals == {
        "returns": 30.0,
        "segments-and-playbooks": settings.engage.playbook_run_seconds,
        "support": settings.support.check_seconds,
        "surveys": 3600.0,
        "warehouse-export": WAREHOUSE_EXPORT_SECONDS,
    }


def test_one_pass_of_the_worker_runs_each_job(environment: Settings) -> None:
    result = CliRunner().invoke(app, ["worker", "--once", "--interval", "0.1"])
    assert result.exit_code == 0, result.output
    assert worker.registered() == [
        "returns",
        "segments-and-playbooks",
        "support",
        "surveys",
        "warehouse-export",
    ]
    assert all(job.last_run > float("-inf") for job in worker._periodic.values())
