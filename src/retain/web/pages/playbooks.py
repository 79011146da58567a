"""Playbooks: each playbook's sends by step and the lift it caused over its holdout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from retain.clock import utcnow
from retain.dependencies import SettingsDep, WarehouseDep
from retain.engage.service import playbook_report
from retain.locales import vocab
from retain.messaging.models import FINAL_STATUSES, RECEIVED_STATUSES
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.web.access import Reader
from retain.web.pages.base import csv_download, page_language, render_page

router = APIRouter()


@router.get("/playbooks", response_class=HTMLResponse)
def playbooks(
    request: Request, settings: SettingsDep, backend: WarehouseDep, principal: Reader
) -> HTMLResponse:
    """Each playbook with its sends by step and the lift it caused over its holdout."""
    rows, sends = _playbook_rows(settings, backend)
    measured = [row for row in rows if row["lift_30"] is not None]
    language = page_language(request, principal)
    chart = {
        "x": [vocab(row["playbook"], "playbook", language) for row in measured],
        "y": [round(100 * row["lift_30"], 2) for row in measured],
    }
    return render_page(
        request,
        "playbooks.html",
        principal=principal,
        rows=rows,
        sends={name: _sends_by_step(steps) for name, steps in sends.items()},
        chart=chart,
    )


def _sends_by_step(steps: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Per step: messages that left, those still waiting to leave, and those that never will."""
    return [
        {
            "step": step,
            "sent": sum(n for status, n in statuses.items() if status in RECEIVED_STATUSES),
            "waiting": sum(n for status, n in statuses.items() if status not in FINAL_STATUSES),
            "not_sent": sum(
                n
                for status, n in statuses.items()
                if status in FINAL_STATUSES and status not in RECEIVED_STATUSES
            ),
        }
        for step, statuses in steps.items()
    ]


@router.get("/playbooks.csv")
def playbooks_csv(settings: SettingsDep, backend: WarehouseDep, _: Reader) -> Response:
    """Each playbook's entries, conversion in both groups, lift and its interval, as CSV."""
    return csv_download(_playbook_rows(settings, backend)[0], "retain-playbooks.csv")


def _playbook_rows(
    settings: Settings, backend: Any
) -> tuple[list[dict[str, Any]], dict[str, dict[str, dict[str, int]]]]:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        return playbook_report(session=session, backend=backend, at=utcnow())
