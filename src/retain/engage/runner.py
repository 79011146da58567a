"""Running playbooks: enter the customers their triggers fired for, then advance each entry.

Every effect of a step (a queued delivery, a task, loyalty points) is written to the store in the
same transaction as the entry's new position, so a run killed mid-way loses both or neither and
the next run takes the step again. Each effect also carries a key made of the entry and the step
(the delivery key, one open task per customer and kind, the ledger's idempotency key), so a step
taken again is ignored: nobody gets a step twice, nobody misses one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import ibis
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain.engage.definition import Goal, Playbook, Step
from retain.engage.holdout import held_out
from retain.engage.models import Enrollment, PlaybookRecord
from retain.engage.reorder import reorder_path
from retain.engage.triggers import triggered
from retain.messaging.service import Outgoing, enqueue_many, record_holdout

Progress = Callable[[str, int, int], None]
LOOKUP_CHUNK = 5_000
# Entries advanced per transaction. Every effect of a step (delivery, task, points) is written
# in the same transaction as the entry's new position, so a crash loses both or neither.
COMMIT_EVERY = 1_000


@dataclass
class RunSummary:
    """What one run did for one playbook."""

    playbook: str
    entered: int = 0
    held_out: int = 0
    steps: dict[str, int] = field(default_factory=dict)
    converted: int = 0
    finished: int = 0


@dataclass(frozen=True)
class StepContext:
    """What a step's action needs besides the entry itself."""

    session: Session
    playbook: Playbook
    at: datetime
    secret: str
    link_base: str
    conditions: dict[str, set[str]]
    converted: set[int]
    # Messages of the entries advanced since the last commit, queued in one go before it.
    outbox: list[Outgoing] = field(default_factory=list)


def enter_triggered(
    *,
    session: Session,
    record: PlaybookRecord,
    playbook: Playbook,
    backend: BaseBackend,
    at: datetime,
    global_control: float,
    lookback: timedelta,
) -> tuple[int, int]:
    """Enter everyone the trigger fired for since the last run; returns (entered, held out)."""
    since = record.triggered_until or at - lookback
    if since >= at:
        return 0, 0
    fired = triggered(
        trigger=playbook.trigger, backend=backend, session=session, since=since, until=at
    )
    entered = held = 0
    latest = _latest_entries(session, playbook.name, set(fired["customer_id"]))
    fired = fired.sort_values("triggered_at", kind="stable")
    moments = pd.to_datetime(fired["triggered_at"]).dt.to_pydatetime()
    for customer_id, moment, key in zip(
        fired["customer_id"].astype(str), moments, fired["key"].astype(str), strict=True
    ):
        # An occurrence entered before has the customer's latest entry at its very moment, so
        # _may_enter refuses it; the unique entry key backs that up.
        if not _may_enter(playbook, latest.get(customer_id), moment):
            continue
        entry_key = f"{playbook.name}:{customer_id}:{key}"
        group = held_out(
            playbook=playbook.name,
            customer_id=customer_id,
            fraction=playbook.holdout,
            global_fraction=global_control,
        )
        _enter(session, playbook, customer_id, moment, entry_key, group)
        latest[customer_id] = moment
        entered += 1
        held += group is not None
    record.triggered_until = at
    return entered, held


def _latest_entries(session: Session, name: str, customers: set[str]) -> dict[str, datetime]:
    latest: dict[str, datetime] = {}
    ordered = sorted(customers)
    # In chunks: SQLite caps the parameters of one statement.
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        rows = session.execute(
            select(Enrollment.customer_id, func.max(Enrollment.entered_at))
            .where(
                Enrollment.playbook == name,
                Enrollment.customer_id.in_(ordered[start : start + LOOKUP_CHUNK]),
            )
            .group_by(Enrollment.customer_id)
        )
        latest.update({customer_id: entered_at for customer_id, entered_at in rows})
    return latest


def _may_enter(playbook: Playbook, last: datetime | None, moment: datetime) -> bool:
    if last is None:
        return True
    if playbook.reenter_after_days is None:
        return False
    return moment - last >= timedelta(days=playbook.reenter_after_days)


def _enter(
    session: Session,
    playbook: Playbook,
    customer_id: str,
    moment: datetime,
    entry_key: str,
    group: str | None,
) -> None:
    session.add(
        Enrollment(
            playbook=playbook.name,
            customer_id=customer_id,
            entered_at=moment,
            entry_key=entry_key,
            held_out=group,
            status="held_out" if group else "active",
            step_index=0,
            next_run_at=None if group else moment,
        )
    )
    if group:
        record_holdout(
            session=session,
            key=f"{entry_key}:holdout",
            customer_id=customer_id,
            playbook=playbook.name,
            step=group,
        )


def advance(
    *,
    session: Session,
    playbook: Playbook,
    backend: BaseBackend,
    at: datetime,
    secret: str,
    link_base: str,
    summary: RunSummary,
    on_progress: Progress | None = None,
) -> None:
    """Take every due entry of ``playbook`` as far as its steps go at ``at``."""
    due = list(
        session.scalars(
            select(Enrollment)
            .where(
                Enrollment.playbook == playbook.name,
                Enrollment.status == "active",
                Enrollment.next_run_at <= at,
            )
            .order_by(Enrollment.enrollment_id)
        )
    )
    if not due:
        return
    customers = {entry.customer_id for entry in due}
    context = StepContext(
        session=session,
        playbook=playbook,
        at=at,
        secret=secret,
        link_base=link_base.rstrip("/"),
        conditions=_conditions_met(session, backend, playbook, customers, at),
        converted=converted_entries(backend=backend, entries=due, goal=playbook.goal, at=at),
    )
    for done, entry in enumerate(due, 1):
        _advance_entry(entry, context, summary)
        if done % COMMIT_EVERY == 0 or done == len(due):
            enqueue_many(session=session, messages=context.outbox)
            context.outbox.clear()
            session.commit()
            if on_progress is not None:
                on_progress(playbook.name, done, len(due))


def _advance_entry(entry: Enrollment, context: StepContext, summary: RunSummary) -> None:
    playbook = context.playbook
    if entry.enrollment_id in context.converted:
        entry.status, entry.converted_at, entry.finished_at = "converted", context.at, context.at
        summary.converted += 1
        return
    ids = playbook.step_ids
    reached = entry.next_run_at or context.at
    while entry.step_index < len(playbook.steps):
        step, step_id = playbook.steps[entry.step_index], ids[entry.step_index]
        if step.wait is not None:
            resume = reached + timedelta(seconds=step.wait.seconds)
            entry.step_index += 1
            if resume > context.at:
                entry.next_run_at = resume
                return
            reached = resume
            continue
        target = _act(step, step_id, entry, context)
        summary.steps[step_id] = summary.steps.get(step_id, 0) + 1
        if target == "exit":
            break
        entry.step_index = entry.step_index + 1 if target == "next" else ids.index(target)
    entry.status, entry.next_run_at, entry.finished_at = "done", None, context.at
    summary.finished += 1


def _act(step: Step, step_id: str, entry: Enrollment, context: StepContext) -> str:
    """Do the step's action; returns where to go next: "next", "exit" or a step id."""
    key = f"{entry.entry_key}:{step_id}"
    if step.branch is not None:
        if step.branch.condition == "converted":
            holds = entry.enrollment_id in context.converted
        else:
            holds = entry.customer_id in context.conditions[step.branch.condition]
        return step.branch.then if holds else step.branch.otherwise
    if step.send is not None:
        _send(context, entry, key, step_id, step.send.channel, step.send.template)
    elif step.webhook is not None:
        _send(context, entry, key, step_id, "webhook", step.webhook.template)
    elif step.task is not None:
        _open_task(context, entry, step)
    elif step.points is not None:
        _credit_points(context, entry, key, step)
    return "next"


def _send(
    context: StepContext, entry: Enrollment, key: str, step_id: str, channel: str, template: str
) -> None:
    link = reorder_path(secret=context.secret, customer_id=entry.customer_id, at=context.at)
    message = Outgoing(
        key=key,
        customer_id=entry.customer_id,
        channel=channel,
        template=template,
        context={
            "playbook": context.playbook.name,
            "step": step_id,
            "reorder_url": context.link_base + link,
        },
        playbook=context.playbook.name,
        step=step_id,
        not_before=context.at,
    )
    context.outbox.append(message)


def _open_task(context: StepContext, entry: Enrollment, step: Step) -> None:
    from retain.churn.tasks import TaskDraft, open_tasks

    assert step.task is not None
    draft = TaskDraft(
        customer_id=entry.customer_id,
        owner=step.task.owner,
        kind=f"playbook:{context.playbook.name}"[:32],
        title=step.task.title,
        due_on=(context.at + timedelta(days=step.task.due_days)).date(),
    )
    open_tasks(session=context.session, drafts=[draft], now=context.at)


def _credit_points(context: StepContext, entry: Enrollment, key: str, step: Step) -> None:
    from retain.loyalty.service import adjust, enroll, load_rules

    assert step.points is not None
    session = context.session
    enroll(session=session, customer_id=entry.customer_id, enrolled_at=context.at)
    adjust(
        session=session,
        rules=load_rules(session=session),
        customer_id=entry.customer_id,
        points=step.points.amount,
        key=f"playbook:{key}",
        at=context.at,
        note=step.points.note,
    )


def _conditions_met(
    session: Session, backend: BaseBackend, playbook: Playbook, customers: set[str], at: datetime
) -> dict[str, set[str]]:
    """For each branch condition, which of ``customers`` meet it now."""
    if not playbook.conditions:
        return {}
    from retain.segments.features import customer_attributes, read_store_inputs
    from retain.segments.rules import compile_rule

    attributes = customer_attributes(backend, at=at, store=read_store_inputs(session=session))
    chosen = attributes.filter(attributes.customer_id.isin(sorted(customers)))
    return {
        condition: set(
            chosen.filter(compile_rule(condition, chosen)).customer_id.execute().tolist()
        )
        for condition in set(playbook.conditions)
    }


def converted_entries(
    *, backend: BaseBackend, entries: list[Enrollment], goal: Goal, at: datetime
) -> set[int]:
    """The entries whose customer met the goal since entering: ordered again, or renewed."""
    if not entries:
        return set()
    frame = pd.DataFrame(
        {
            "enrollment_id": [entry.enrollment_id for entry in entries],
            "customer_id": [entry.customer_id for entry in entries],
            "entered_at": [entry.entered_at for entry in entries],
        }
    )
    enrolled = ibis.memtable(frame)
    if goal.kind == "renewed":
        facts = backend.table("subscription_change")
        facts = facts.filter(facts.kind != "churn").select("customer_id", at=facts.changed_at)
    else:
        facts = backend.table("order")
        facts = facts.filter(facts.status != "cancelled").select("customer_id", at=facts.ordered_at)
    met = enrolled.join(
        facts,
        [
            enrolled.customer_id == facts.customer_id,
            facts.at > enrolled.entered_at,
            facts.at <= enrolled.entered_at + ibis.interval(days=goal.days),
            facts.at <= at,
        ],
    )
    return set(met.enrollment_id.execute().tolist())
