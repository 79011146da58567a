"""Playbooks kept in the store: save, list, install the shipped ones, run them, report lift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from retain.auth.sessions import signing_key
from retain.currency.service import list_rates
from retain.engage import lift
from retain.engage.definition import Playbook, PlaybookError, parse_playbook
from retain.engage.models import Enrollment, PlaybookRecord
from retain.engage.runner import Progress, RunSummary, advance, enter_triggered
from retain.settings import Settings
from retain.stats import Interval
from retain.store import get_engine, insert_if_absent


class UnknownPlaybook(LookupError):
    """No playbook of that name is saved."""


def shipped_playbooks() -> dict[str, str]:
    """The ready-made playbooks' YAML, by name."""
    folder = resources.files("retain.engage") / "playbooks"
    texts = {}
    for item in sorted(folder.iterdir(), key=lambda item: item.name):
        if item.name.endswith(".yaml"):
            text = item.read_text(encoding="utf-8")
            texts[parse_playbook(text, source=item.name).name] = text
    return texts


def install_shipped(*, session: Session, at: datetime) -> list[str]:
    """Save each shipped playbook not saved yet (disabled: a business turns on what it wants)."""
    installed = []
    for name, text in shipped_playbooks().items():
        record = {"name": name, "definition": text, "enabled": False, "built_in": True}
        if insert_if_absent(session, PlaybookRecord, {**record, "updated_at": at}):
            installed.append(name)
    return installed


def save_playbook(*, session: Session, text: str, at: datetime) -> PlaybookRecord:
    """Validate and save a playbook's YAML (replacing one of the same name)."""
    playbook = parse_playbook(text)
    _check_conditions(playbook)
    record = session.get(PlaybookRecord, playbook.name)
    if record is None:
        record = PlaybookRecord(name=playbook.name, built_in=False)
        session.add(record)
    record.definition, record.enabled, record.updated_at = text, playbook.enabled, at
    session.flush()
    return record


def _check_conditions(playbook: Playbook) -> None:
    from retain.segments.rules import RuleError, parse_rule

    for condition in playbook.conditions:
        try:
            parse_rule(condition)
        except RuleError as error:
            raise PlaybookError(f"{playbook.name}: branch condition: {error}") from None


def set_enabled(*, session: Session, name: str, enabled: bool) -> PlaybookRecord:
    """Turn a saved playbook on or off."""
    record = get_record(session=session, name=name)
    record.enabled = enabled
    return record


def get_record(*, session: Session, name: str) -> PlaybookRecord:
    """The saved playbook ``name``."""
    record = session.get(PlaybookRecord, name)
    if record is None:
        raise UnknownPlaybook(f"no playbook named {name!r}; 'retain playbooks list' shows them")
    return record


def delete_playbook(*, session: Session, name: str) -> None:
    """Remove a saved playbook; its past entries and sends stay, so its lift can still be read.
    A shipped playbook comes back with the next install of the shipped ones."""
    session.delete(get_record(session=session, name=name))
    session.flush()


def list_records(*, session: Session) -> list[PlaybookRecord]:
    """Every saved playbook, by name."""
    return list(session.scalars(select(PlaybookRecord).order_by(PlaybookRecord.name)))


def run_playbooks(
    *,
    settings: Settings,
    backend: BaseBackend,
    at: datetime,
    names: list[str] | None = None,
    on_progress: Progress | None = None,
) -> list[RunSummary]:
    """Enter and advance customers in each enabled playbook (or those named), as of ``at``."""
    factory = sessionmaker(get_engine(settings.storage.store_url), expire_on_commit=False)
    secret = signing_key(settings)
    summaries = []
    with factory() as session:
        records = [
            record
            for record in list_records(session=session)
            if (record.name in names if names else record.enabled)
        ]
        if names and len(records) < len(set(names)):
            missing = sorted(set(names) - {record.name for record in records})
            raise UnknownPlaybook(f"no playbook named {', '.join(map(repr, missing))}")
        for record in records:
            playbook = parse_playbook(record.definition, source=record.name)
            summary = RunSummary(playbook=record.name)
            summary.entered, summary.held_out = enter_triggered(
                session=session,
                record=record,
                playbook=playbook,
                backend=backend,
                at=at,
                global_control=settings.engage.global_control,
                lookback=timedelta(days=settings.engage.playbook_lookback_days),
            )
            session.commit()
            advance(
                session=session,
                playbook=playbook,
                backend=backend,
                at=at,
                secret=secret,
                link_base=settings.server.public_base_url,
                summary=summary,
                on_progress=on_progress,
            )
            summaries.append(summary)
    return summaries


@dataclass(frozen=True)
class PlaybookStats:
    """A playbook's entries, sends and what it caused."""

    playbook: str
    entered: int
    treated: int
    held_out: int
    statuses: dict[str, int]
    sends: dict[str, dict[str, int]]
    lifts: list[lift.Lift]
    incremental_revenue_90: Interval | None


def playbook_stats(
    *, session: Session, backend: BaseBackend, name: str | None, at: datetime
) -> PlaybookStats:
    """Treated vs the holdout of ``name``; for ``None``, every playbook vs the global control."""
    if name is not None:
        get_record(session=session, name=name)
    entries = _entries(session, name)
    measured = lift.outcomes(
        backend=backend, enrollments=entries, at=at, rates=list_rates(session=session)
    )
    control = "playbook" if name is not None else "global"
    treated = measured[measured["held_out"].isna()]
    held = measured[measured["held_out"] == control]
    return PlaybookStats(
        playbook=name or "(all playbooks)",
        entered=len(entries),
        treated=len(treated),
        held_out=len(held),
        statuses={str(k): int(v) for k, v in entries["status"].value_counts().items()},
        sends=_sends(session, name),
        lifts=[
            lift.lift(outcome, treated[outcome], held[outcome])
            for outcome in ("repurchase_30", "repurchase_90", "retained_90")
        ],
        incremental_revenue_90=lift.incremental_revenue(treated["revenue_90"], held["revenue_90"]),
    )


def playbook_report(
    *, session: Session, backend: BaseBackend, at: datetime
) -> tuple[list[dict[str, Any]], dict[str, dict[str, dict[str, int]]]]:
    """One row per playbook (entries, conversion in both groups, lift and incremental revenue
    with their intervals), and each playbook's sends by step and status."""
    rows, sends = [], {}
    for record in list_records(session=session):
        stats = playbook_stats(session=session, backend=backend, name=record.name, at=at)
        repurchase = stats.lifts[0]
        revenue = stats.incremental_revenue_90
        sends[record.name] = stats.sends
        rows.append(
            {
                "playbook": record.name,
                "enabled": record.enabled,
                "trigger": parse_playbook(record.definition).trigger.kind,
                "entered": stats.entered,
                "treated": repurchase.treated,
                "held_out": repurchase.held_out,
                "treated_rate_30": repurchase.treated_rate,
                "held_out_rate_30": repurchase.held_out_rate,
                "lift_30": repurchase.absolute.estimate if repurchase.absolute else None,
                "lift_30_low": repurchase.absolute.low if repurchase.absolute else None,
                "lift_30_high": repurchase.absolute.high if repurchase.absolute else None,
                "incremental_revenue_90": revenue.estimate if revenue else None,
                "incremental_revenue_90_low": revenue.low if revenue else None,
                "incremental_revenue_90_high": revenue.high if revenue else None,
            }
        )
    return rows, sends


def _entries(session: Session, name: str | None) -> pd.DataFrame:
    query = select(
        Enrollment.enrollment_id,
        Enrollment.customer_id,
        Enrollment.entered_at,
        Enrollment.held_out,
        Enrollment.status,
    )
    if name is not None:
        query = query.where(Enrollment.playbook == name)
    rows = session.execute(query).all()
    columns = ["enrollment_id", "customer_id", "entered_at", "held_out", "status"]
    return pd.DataFrame(rows, columns=columns)


def _sends(session: Session, name: str | None) -> dict[str, dict[str, int]]:
    from retain.messaging.models import Delivery

    query = select(Delivery.step, Delivery.status, func.count()).group_by(
        Delivery.step, Delivery.status
    )
    query = query.where(
        Delivery.playbook == name if name is not None else Delivery.playbook.is_not(None),
        # A holdout is logged as a delivery that is never sent: it is no message of any step.
        Delivery.holdout.is_(False),
    )
    sends: dict[str, dict[str, int]] = {}
    for step, status, count in session.execute(query):
        sends.setdefault(str(step), {})[status] = count
    return sends
