"""Segments: define them by rule, evaluate them in the warehouse, keep who entered and left when.

Built-in segments are named ``rfm:<cell group>`` (``rfm:champions`` ...) and follow the
``rfm_segment`` attribute; user segments follow their rule. A refresh at a moment ``at`` opens a
stay for each new member (entered_at = at) and closes the stay of each customer who left
(exited_at = at), all in the caller's transaction; refreshing again at the same moment changes
nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from retain.clock import utcnow
from retain.segments.features import (
    ATTRIBUTES,
    customer_attributes,
    read_store_inputs,
)
from retain.segments.models import SegmentDefinition, SegmentMembership
from retain.segments.rules import check_rule, compile_rule

BUILT_IN_PREFIX = "rfm:"
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
# SQLite accepts at most 32,766 bound parameters in one statement.
CHUNK = 5_000
Progress = Callable[[int, int, str], None]

logger = logging.getLogger(__name__)


class SegmentError(ValueError):
    """A request about segments that cannot be met (unknown name, built-in, out of order)."""


class SegmentNotFound(SegmentError):
    """No segment of that name."""


@dataclass(frozen=True)
class SegmentRefresh:
    """What one refresh did to one segment."""

    name: str
    at: datetime
    members: int
    entered: int
    exited: int
    # Why this segment could not be evaluated; its memberships were left as they were.
    error: str | None = None


@dataclass(frozen=True)
class Transition:
    """A customer entering or leaving a segment: what playbooks trigger on."""

    customer_id: str
    kind: Literal["entry", "exit"]
    at: datetime


def list_segments(*, session: Session) -> list[SegmentDefinition]:
    """Every segment, built-in ones first, then by name."""
    statement = select(SegmentDefinition).order_by(
        SegmentDefinition.built_in.desc(), SegmentDefinition.name
    )
    return list(session.scalars(statement))


def get_segment(*, session: Session, name: str) -> SegmentDefinition:
    """The segment called ``name``; SegmentNotFound otherwise."""
    found = session.get(SegmentDefinition, name)
    if found is None:
        raise SegmentNotFound(f"no segment {name!r}; 'retain segments list' shows them")
    return found


def define_segment(
    *, session: Session, name: str, rule: str, description: str | None = None
) -> SegmentDefinition:
    """Create or replace the segment ``name``; RuleError when its rule does not fit."""
    if name.startswith(BUILT_IN_PREFIX):
        raise SegmentError(f"names starting with {BUILT_IN_PREFIX!r} are reserved for RFM segments")
    if not NAME_PATTERN.fullmatch(name):
        raise SegmentError(
            f"invalid segment name {name!r}: up to 64 lower-case letters, digits, '_' or '-'"
        )
    check_rule(rule, ATTRIBUTES)
    now = utcnow()
    found = session.get(SegmentDefinition, name)
    if found is None:
        found = SegmentDefinition(name=name, built_in=False, created_at=now)
        session.add(found)
    found.rule, found.description, found.updated_at = rule, description, now
    session.flush()
    return found


def delete_segment(*, session: Session, name: str) -> None:
    """Remove a user segment and its membership history; built-in segments stay."""
    found = get_segment(session=session, name=name)
    if found.built_in:
        raise SegmentError(f"{name!r} is built in and cannot be deleted")
    session.execute(delete(SegmentMembership).where(SegmentMembership.segment == name))
    session.delete(found)
    session.flush()


def refresh_segments(
    *,
    session: Session,
    backend: BaseBackend,
    at: datetime,
    names: Iterable[str] | None = None,
    on_progress: Progress | None = None,
) -> list[SegmentRefresh]:
    """Evaluate segments (all, or ``names``) at ``at`` in the warehouse and record the changes."""
    definitions = _chosen(session, names)
    if not definitions:
        return []
    for definition in definitions:
        if definition.refreshed_at is not None and definition.refreshed_at > at:
            raise SegmentError(
                f"{definition.name!r} was refreshed at {definition.refreshed_at:%Y-%m-%d %H:%M}; "
                "refresh at that moment or later"
            )
    report = on_progress or (lambda done, total, label: None)
    total = len(definitions) + 1
    report(0, total, "evaluating in the warehouse")
    attributes = customer_attributes(backend, at=at, store=read_store_inputs(session=session))
    members, errors = _evaluate_each_failing_alone(attributes, definitions)
    results = []
    for done, definition in enumerate(definitions, start=1):
        report(done, total, f"recording {definition.name}")
        if definition.name in errors:
            failed = SegmentRefresh(definition.name, at, 0, 0, 0, errors[definition.name])
            results.append(failed)
            continue
        results.append(_record(session, definition, members[definition.name], at))
    return results


def _evaluate_each_failing_alone(
    attributes: ir.Table, definitions: list[SegmentDefinition]
) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Members of every segment, in one query while all evaluate; otherwise segment by segment,
    so that one stored rule the data no longer fits (a renamed field, a type it cannot compare)
    fails alone, named in the log and in the result, and the others still refresh."""
    try:
        return evaluate_segments(attributes=attributes, definitions=definitions), {}
    except Exception:  # any rule or backend error: find which segment it was
        members: dict[str, set[str]] = {}
        errors: dict[str, str] = {}
        for definition in definitions:
            try:
                members |= evaluate_segments(attributes=attributes, definitions=[definition])
            except Exception as error:  # reported per segment, as the docstring says
                errors[definition.name] = str(error).strip().splitlines()[0][:500]
                logger.warning("segment %s not refreshed: %s", definition.name, error)
        return members, errors


def evaluate_segments(
    *, attributes: ir.Table, definitions: Iterable[SegmentDefinition]
) -> dict[str, set[str]]:
    """The customer ids in each segment, from one query over the attribute table."""
    chosen = list(definitions)
    conditions = {
        f"s{index}": _condition(definition, attributes) for index, definition in enumerate(chosen)
    }
    matched = attributes.select("customer_id", **conditions)
    # One query; a customer in no segment is not worth sending back.
    if conditions:
        matched = matched.filter(_any(matched[column] for column in conditions))
    table: pa.Table = matched.to_pyarrow()
    ids = table.column("customer_id")
    return {
        definition.name: set(ids.filter(table.column(f"s{index}")).to_pylist())
        for index, definition in enumerate(chosen)
    }


def _any(conditions: Iterable[ir.BooleanValue]) -> ir.BooleanValue:
    found = list(conditions)
    combined = found[0]
    for condition in found[1:]:
        combined = combined | condition
    return combined


def _condition(definition: SegmentDefinition, attributes: ir.Table) -> ir.BooleanValue:
    if definition.rule is None:
        cell = definition.name.removeprefix(BUILT_IN_PREFIX)
        return (attributes.rfm_segment == cell).fill_null(False)
    return compile_rule(definition.rule, attributes)


def _chosen(session: Session, names: Iterable[str] | None) -> list[SegmentDefinition]:
    if names is None:
        return list_segments(session=session)
    return [get_segment(session=session, name=name) for name in dict.fromkeys(names)]


def _record(
    session: Session, definition: SegmentDefinition, members: set[str], at: datetime
) -> SegmentRefresh:
    """Open stays for new members and close those of leavers, at ``at``."""
    name = definition.name
    current = set(
        session.scalars(
            select(SegmentMembership.customer_id).where(
                SegmentMembership.segment == name, SegmentMembership.exited_at.is_(None)
            )
        )
    )
    entered, exited = sorted(members - current), sorted(current - members)
    if entered:
        session.execute(
            insert(SegmentMembership),
            [{"segment": name, "customer_id": customer, "entered_at": at} for customer in entered],
        )
    for start in range(0, len(exited), CHUNK):
        session.execute(
            update(SegmentMembership)
            .where(
                SegmentMembership.segment == name,
                SegmentMembership.exited_at.is_(None),
                SegmentMembership.customer_id.in_(exited[start : start + CHUNK]),
            )
            .values(exited_at=at)
        )
    definition.refreshed_at = at
    session.flush()
    return SegmentRefresh(
        name=name, at=at, members=len(members), entered=len(entered), exited=len(exited)
    )


def current_members(
    *, session: Session, name: str, limit: int, offset: int
) -> tuple[list[SegmentMembership], int]:
    """One page of a segment's open stays by customer id, and how many there are."""
    get_segment(session=session, name=name)
    is_open = (SegmentMembership.segment == name) & SegmentMembership.exited_at.is_(None)
    total = session.scalar(select(func.count()).where(is_open)) or 0
    page = session.scalars(
        select(SegmentMembership)
        .where(is_open)
        .order_by(SegmentMembership.customer_id)
        .limit(limit)
        .offset(offset)
    )
    return list(page), total


def transitions(
    *,
    session: Session,
    name: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Transition]:
    """Entries and exits of a segment in ``[since, until)``, in time order."""
    get_segment(session=session, name=name)
    found: list[Transition] = []
    for kind, column in (
        ("entry", SegmentMembership.entered_at),
        ("exit", SegmentMembership.exited_at),
    ):
        statement = select(SegmentMembership.customer_id, column).where(
            SegmentMembership.segment == name, column.is_not(None)
        )
        if since is not None:
            statement = statement.where(column >= since)
        if until is not None:
            statement = statement.where(column < until)
        found.extend(
            Transition(customer_id=customer, kind=kind, at=moment)  # type: ignore[arg-type]
            for customer, moment in session.execute(statement)
        )
    # An exit sorts before an entry at the same moment: a customer leaves, then comes back.
    return sorted(found, key=lambda item: (item.at, item.kind != "exit", item.customer_id))


def segments_of(*, session: Session, customer_id: str) -> list[str]:
    """The segments a customer is in now, by name."""
    return list(
        session.scalars(
            select(SegmentMembership.segment)
            .where(
                SegmentMembership.customer_id == customer_id,
                SegmentMembership.exited_at.is_(None),
            )
            .order_by(SegmentMembership.segment)
        )
    )
