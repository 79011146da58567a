"""What ``retain worker`` does for surveys: recurring invitations, reminders, answers exported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ibis.backends import BaseBackend
from sqlalchemy import select

from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.feedback import surveys
from retain.feedback.models import Survey
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect

# Hourly is often enough for rules counted in days, and keeps the customer scan rare.
EVERY_SECONDS = 3600.0


@dataclass
class SurveyPass:
    invited: int = 0
    skipped: int = 0
    reminded: int = 0
    answers_exported: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def send_surveys(
    *,
    settings: Settings,
    backend: BaseBackend,
    names: Sequence[str],
    now: datetime,
    customer_ids: Sequence[str] | None = None,
) -> SurveyPass:
    """Invite whom each survey's rule allows, remind who has not answered, copy new answers.

    Answers reach ``survey_response`` here, so the detractor trigger sees them on its next run.
    """
    wanted = (
        list(customer_ids)
        if customer_ids is not None
        else backend.table("customer").customer_id.execute().tolist()
    )
    secret, base_url = signing_key(settings), settings.server.public_base_url
    done = SurveyPass()
    with session_scope(settings.storage.store_url) as session:
        for name in names:
            survey = surveys.get_survey(session=session, name=name)
            summary = surveys.send_survey(
                session=session,
                survey=survey,
                customer_ids=wanted,
                secret=secret,
                base_url=base_url,
                now=now,
            )
            done.invited += summary.invited
            done.skipped += summary.skipped
        done.reminded = surveys.remind(session=session, secret=secret, base_url=base_url, now=now)
    with session_scope(settings.storage.store_url) as session:
        done.answers_exported = surveys.export_answers(session=session, backend=backend)
    return done


def run_recurring(settings: Settings) -> SurveyPass:
    """One worker pass over every recurring survey (those with ``every_days``)."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        names = list(session.scalars(select(Survey.name).where(Survey.every_days.is_not(None))))
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        return send_surveys(settings=settings, backend=backend, names=names, now=utcnow())
    finally:
        backend.disconnect()
