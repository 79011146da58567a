"""Return requests: ask, preview, move through the workflow, resolve once, with history.

Every change locks the request first (its ``revision`` UPDATE), so two agents resolving the same
request at once resolve it once: the second finds it resolved and gets it back unchanged.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from retain.auth.service import record
from retain.customers.models import CustomerProfile
from retain.loyalty.models import LoyaltyMember
from retain.messaging.service import enqueue
from retain.returns import credit, report, webhooks, workflow
from retain.returns.models import (
    ReturnLine,
    ReturnOrderLock,
    ReturnOutboxEvent,
    ReturnPolicyVersion,
    ReturnRequest,
    ReturnTransition,
)
from retain.returns.money import (
    Fee,
    Outcome,
    PaidLine,
    RefundError,
    outcome,
    paid_lines,
    units_value,
)
from retain.returns.policy import (
    DEFAULT_POLICY,
    Decision,
    LineFacts,
    Policy,
    RequestFacts,
    evaluate,
    parse_policy,
)
from retain.returns.schemas import ReturnsOverview
from retain.returns.workflow import HOLDING, check
from retain.store import upsert

Wanted = Literal["refund", "credit", "exchange"]
RESOLVED_AS: dict[str, str] = {"refund": "refunded", "credit": "credited", "exchange": "exchanged"}
TEMPLATE = "return-update"
SYSTEM = "system"


class ReturnError(ValueError):
    """A return request that cannot be carried out; the message says why."""


class NotFound(ReturnError):
    """No such return or order."""


@dataclass(frozen=True)
class OrderLineFacts:
    line_number: int
    product_id: str | None
    product_name: str | None
    category: str | None
    quantity: int
    paid: Decimal


@dataclass(frozen=True)
class OrderFacts:
    """An order as the warehouse knows it, with what was paid for each line."""

    order_id: str
    customer_id: str
    ordered_at: datetime
    currency: str
    lines: tuple[OrderLineFacts, ...]
    orders_by_customer: int = 1


@dataclass(frozen=True)
class ItemRequest:
    """Units of one order line the customer wants to return."""

    line_number: int
    quantity: int
    condition: str = "unopened"


@dataclass(frozen=True)
class Preview:
    """What a request would come to, before it is made."""

    decision: Decision
    outcome: Outcome
    lines: list[tuple[OrderLineFacts, ItemRequest, Decimal]] = field(default_factory=list)


# ---------------------------------------------------------------- orders and policy


def load_order(*, backend: BaseBackend, order_id: str) -> OrderFacts:
    """The order and its lines from the warehouse; NotFound when it is not there."""
    order = backend.table("order")
    found = order.filter(order.order_id == order_id).limit(1).to_pandas()
    if found.empty:
        raise NotFound(f"order {order_id!r} is not in the warehouse")
    head = found.iloc[0]
    line = backend.table("order_line")
    lines = line.filter(line.order_id == order_id).order_by("line_number").to_pandas()
    amount = Decimal(str(head["amount"])) if pd.notna(head["amount"]) else None
    paid = paid_lines(
        [
            (int(row.line_number), int(row.quantity or 1), Decimal(str(row.amount or 0)))
            for row in lines.itertuples(index=False)
        ],
        order_amount=amount,
    )
    customer_id = str(head["customer_id"])
    count = order.filter(order.customer_id == customer_id).count().to_pandas()
    return OrderFacts(
        order_id=order_id,
        customer_id=customer_id,
        ordered_at=_naive(head["ordered_at"]),
        currency=str(head["currency"] or ""),
        lines=tuple(
            OrderLineFacts(
                line_number=int(row.line_number),
                product_id=_text(row.product_id),
                product_name=_text(row.product_name),
                category=_text(row.category),
                quantity=int(row.quantity or 1),
                paid=paid_line.paid,
            )
            for row, paid_line in zip(lines.itertuples(index=False), paid, strict=True)
        ),
        orders_by_customer=int(count),  # type: ignore[call-overload]
    )


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _naive(value: object) -> datetime:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def load_policy(*, session: Session) -> Policy:
    """The newest saved policy, or the shipped default."""
    text = session.scalar(
        select(ReturnPolicyVersion.text).order_by(ReturnPolicyVersion.version.desc()).limit(1)
    )
    return parse_policy(text or DEFAULT_POLICY)


def policy_text(*, session: Session) -> str:
    """The YAML of the policy in force."""
    text = session.scalar(
        select(ReturnPolicyVersion.text).order_by(ReturnPolicyVersion.version.desc()).limit(1)
    )
    return text or DEFAULT_POLICY


def save_policy(*, session: Session, text: str, actor: str, at: datetime) -> Policy:
    """Check and store a new policy version (it applies to requests made from now on)."""
    policy = parse_policy(text)
    session.add(ReturnPolicyVersion(text=text, loaded_at=at, actor=actor))
    record(session=session, actor=actor, action="returns.policy", target="policy")
    return policy


# ---------------------------------------------------------------- asking


def returned_units(*, session: Session, order_id: str) -> dict[int, int]:
    """Units of each line already held by the order's live or finished returns."""
    rows = session.execute(
        select(ReturnLine.line_number, func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnRequest.return_id == ReturnLine.return_id)
        .where(ReturnRequest.order_id == order_id, ReturnRequest.state.in_(sorted(HOLDING)))
        .group_by(ReturnLine.line_number)
    ).all()
    return {int(number): int(total) for number, total in rows}


def preview(
    *,
    session: Session,
    policy: Policy,
    order: OrderFacts,
    items: list[ItemRequest],
    reason: str,
    wanted: Wanted,
    at: datetime,
) -> Preview:
    """The decision, fees and refund a request would get; nothing is written."""
    if not items:
        raise ReturnError("pick at least one item to return")
    by_number = {line.line_number: line for line in order.lines}
    already = returned_units(session=session, order_id=order.order_id)
    priced: list[tuple[OrderLineFacts, ItemRequest, Decimal]] = []
    for item in _merged(items):
        line = by_number.get(item.line_number)
        if line is None:
            raise ReturnError(f"order {order.order_id} has no line {item.line_number}")
        paid = PaidLine(line.line_number, line.quantity, line.paid)
        try:
            value = units_value(
                paid, already_returned=already.get(line.line_number, 0), quantity=item.quantity
            )
        except RefundError as error:
            raise ReturnError(str(error)) from None
        priced.append((line, item, value))
    facts = RequestFacts(
        ordered_at=order.ordered_at,
        requested_at=at,
        time_zone=_time_zone(session, order.customer_id),
        reason=reason,
        resolution=wanted,
        lines=tuple(
            LineFacts(line.product_id, line.category, item.condition, value)
            for line, item, value in priced
        ),
        tier=_tier(session, order.customer_id),
        first_return=_first_return(session, order.customer_id),
        orders=order.orders_by_customer,
    )
    decision = evaluate(policy, facts)
    items_value = sum((value for _, _, value in priced), Decimal(0))
    return Preview(decision, _price(policy, items_value, reason, wanted), priced)


def _merged(items: list[ItemRequest]) -> list[ItemRequest]:
    """One item per line: the same line picked twice counts its units together."""
    units: dict[int, int] = defaultdict(int)
    conditions: dict[int, str] = {}
    for item in items:
        units[item.line_number] += item.quantity
        conditions.setdefault(item.line_number, item.condition)
    return [ItemRequest(number, units[number], conditions[number]) for number in units]


def _price(policy: Policy, items_value: Decimal, reason: str, wanted: str) -> Outcome:
    waived = wanted == "exchange" or reason in policy.fees.waived_for_reasons
    fees: list[Fee] = (
        [] if waived else [policy.fees.restocking.fee(), policy.fees.return_shipping.fee()]
    )
    bonus = policy.store_credit_bonus_percent if wanted == "credit" else None
    return outcome(items_value, fees=fees, credit_bonus_percent=bonus)


def _time_zone(session: Session, customer_id: str) -> str | None:
    return session.scalar(
        select(CustomerProfile.time_zone).where(CustomerProfile.customer_id == customer_id)
    )


def _tier(session: Session, customer_id: str) -> str | None:
    return session.scalar(
        select(LoyaltyMember.tier).where(LoyaltyMember.customer_id == customer_id)
    )


def _first_return(session: Session, customer_id: str) -> bool:
    earlier = session.scalar(
        select(func.count())
        .select_from(ReturnRequest)
        .where(ReturnRequest.customer_id == customer_id, ReturnRequest.state != "cancelled")
    )
    return not earlier


def request_return(
    *,
    session: Session,
    policy: Policy,
    order: OrderFacts,
    items: list[ItemRequest],
    reason: str,
    wanted: Wanted,
    key: str,
    at: datetime,
    actor: str,
    comment: str | None = None,
    exchange_for: str | None = None,
    photos: list[str] | None = None,
    language: str = "en",
) -> ReturnRequest:
    """Record a request and let the policy decide it (approve, decline) or leave it for review.

    Asking twice with the same ``key`` returns the first request.
    """
    existing = session.scalars(
        select(ReturnRequest).where(ReturnRequest.idempotency_key == key)
    ).one_or_none()
    if existing is not None:
        return existing
    if wanted == "exchange" and not exchange_for:
        raise ReturnError("an exchange needs the variant or product wanted instead")
    # No other request of this order may count its units until this one is written.
    _lock_order(session, order.order_id, at)
    seen = preview(
        session=session,
        policy=policy,
        order=order,
        items=items,
        reason=reason,
        wanted=wanted,
        at=at,
    )
    request = ReturnRequest(
        return_id=f"R-{secrets.token_hex(5).upper()}",
        idempotency_key=key,
        order_id=order.order_id,
        customer_id=order.customer_id,
        currency=order.currency,
        language=language,
        state="requested",
        revision=0,
        requested_at=at,
        state_since=at,
        due_at=_due(policy, "requested", at),
        reason=reason,
        comment=comment,
        photos=",".join(photos or []),
        wanted=wanted,
        exchange_for=exchange_for,
        items_value=seen.outcome.items_value,
        fees=seen.outcome.fees,
        bonus=seen.outcome.bonus,
    )
    session.add(request)
    session.flush()  # the lines refer to it
    session.add_all(
        ReturnLine(
            return_id=request.return_id,
            line_number=line.line_number,
            product_id=line.product_id,
            category=line.category,
            quantity=item.quantity,
            value=value,
            condition=item.condition,
        )
        for line, item, value in seen.lines
    )
    _history(session, request, None, "requested", actor, at, comment)
    session.flush()
    if seen.decision.outcome == "approve":
        request.auto_approved = True
        _move(
            session, policy, request, "approved", SYSTEM, at, f"rule: {seen.decision.matched_rule}"
        )
    elif seen.decision.outcome == "decline":
        request.decline_reason = seen.decision.reason
        request.decline_note = seen.decision.note
        _move(session, policy, request, "declined", SYSTEM, at, seen.decision.note)
    else:
        _notify(session, request)
    return request


def _lock_order(session: Session, order_id: str, at: datetime) -> None:
    """Hold the order's lock row (created by the first request) until the transaction ends."""
    upsert(session, ReturnOrderLock, [{"order_id": order_id, "touched_at": at}])


# ---------------------------------------------------------------- the workflow


def get(*, session: Session, return_id: str) -> ReturnRequest:
    """The request; NotFound otherwise."""
    found = session.get(ReturnRequest, return_id)
    if found is None:
        raise NotFound(f"no return {return_id!r}")
    return found


def lines_of(*, session: Session, return_id: str) -> list[ReturnLine]:
    return list(
        session.scalars(
            select(ReturnLine).where(ReturnLine.return_id == return_id).order_by(ReturnLine.id)
        )
    )


def history(*, session: Session, return_id: str) -> list[ReturnTransition]:
    """Every change of the request's state, oldest first."""
    return list(
        session.scalars(
            select(ReturnTransition)
            .where(ReturnTransition.return_id == return_id)
            .order_by(ReturnTransition.id)
        )
    )


def list_returns(
    *,
    session: Session,
    state: str | None = None,
    overdue_at: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ReturnRequest], int]:
    """Requests, newest first, optionally in one state or overdue at ``overdue_at``."""
    query = select(ReturnRequest)
    if state is not None:
        query = query.where(ReturnRequest.state == state)
    if overdue_at is not None:
        query = query.where(ReturnRequest.due_at < overdue_at)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(ReturnRequest.requested_at.desc(), ReturnRequest.return_id)
    return list(session.scalars(page.limit(limit).offset(offset))), total


def _locked(session: Session, return_id: str) -> ReturnRequest:
    bumped = session.execute(
        update(ReturnRequest)
        .where(ReturnRequest.return_id == return_id)
        .values(revision=ReturnRequest.revision + 1)
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"no return {return_id!r}")
    request = session.get(ReturnRequest, return_id, populate_existing=True)
    assert request is not None
    return request


def transition(
    *,
    session: Session,
    policy: Policy,
    return_id: str,
    to: str,
    actor: str,
    at: datetime,
    note: str | None = None,
) -> ReturnRequest:
    """Move the request to ``to`` if the workflow allows it; already there: unchanged."""
    if to == "resolved":
        raise ReturnError("use resolve: a resolution needs its money settled")
    if to == "declined":
        raise ReturnError("use decline: a decline needs a reason")
    request = _locked(session, return_id)
    if request.state == to:
        return request
    _move(session, policy, request, to, actor, at, note)
    return request


def decline(
    *,
    session: Session,
    policy: Policy,
    return_id: str,
    reason: Literal["final_sale", "window_passed", "other"],
    note: str,
    actor: str,
    at: datetime,
) -> ReturnRequest:
    """Decline a request under review, with the reason and a note for the customer."""
    request = _locked(session, return_id)
    if request.state == "declined":
        return request
    check(request.state, "declined")
    request.decline_reason = reason
    request.decline_note = note
    _move(session, policy, request, "declined", actor, at, note)
    return request


def resolve(
    *,
    session: Session,
    policy: Policy,
    return_id: str,
    actor: str,
    at: datetime,
    resolution: Wanted | None = None,
) -> ReturnRequest:
    """Settle an inspected return once: credit the ledger or instruct the shop; record the fact.

    Resolving again returns the request unchanged; nothing is credited or sent twice.
    """
    request = _locked(session, return_id)
    if request.state in ("resolved", "closed"):
        return request
    check(request.state, "resolved")
    wanted = resolution or request.wanted
    if wanted == "exchange" and not request.exchange_for:
        raise ReturnError("an exchange needs the variant or product wanted instead")
    priced = _price(policy, request.items_value, request.reason, wanted)
    request.fees, request.bonus = priced.fees, priced.bonus
    request.resolution = RESOLVED_AS[wanted]
    request.resolved_at = at
    if wanted == "credit":
        _credit(session, request, priced, at)
    webhooks.add_instruction(
        session=session,
        request=request,
        lines=lines_of(session=session, return_id=return_id),
        kind=wanted,
        amount=priced.refund + priced.bonus if wanted == "credit" else priced.refund,
        at=at,
    )
    session.add(
        ReturnOutboxEvent(
            return_id=request.return_id,
            order_id=request.order_id,
            customer_id=request.customer_id,
            returned_at=at,
            # Revenue given back: the refund or the credit (not its bonus); none for an exchange.
            amount=Decimal(0) if wanted == "exchange" else priced.refund,
            currency=request.currency,
            reason=request.reason,
            status=request.resolution,
        )
    )
    _move(session, policy, request, "resolved", actor, at, request.resolution)
    return request


def _credit(session: Session, request: ReturnRequest, priced: Outcome, at: datetime) -> None:
    credit.open_account(
        session=session, customer_id=request.customer_id, currency=request.currency, at=at
    )
    for kind, amount in (("credit", priced.refund), ("bonus", priced.bonus)):
        if amount > 0:
            credit.post(
                session=session,
                customer_id=request.customer_id,
                amount=amount,
                kind=kind,  # type: ignore[arg-type]
                key=f"return:{request.return_id}:{kind}",
                at=at,
                currency=request.currency,
                reference=request.return_id,
            )


def expire_stale(*, session: Session, policy: Policy, at: datetime) -> int:
    """Expire approved returns the customer never sent within the policy's days."""
    cutoff = at - timedelta(days=policy.expire_approved_after_days)
    stale = session.scalars(
        select(ReturnRequest.return_id).where(
            ReturnRequest.state == "approved", ReturnRequest.state_since < cutoff
        )
    ).all()
    for return_id in stale:
        transition(
            session=session, policy=policy, return_id=return_id, to="expired", actor=SYSTEM, at=at
        )
    return len(stale)


def _move(
    session: Session,
    policy: Policy,
    request: ReturnRequest,
    to: str,
    actor: str,
    at: datetime,
    note: str | None,
) -> None:
    check(request.state, to)
    before = request.state
    request.state = to
    request.state_since = at
    request.due_at = _due(policy, to, at)
    _history(session, request, before, to, actor, at, note)
    record(
        session=session,
        actor=actor,
        action=f"returns.{to}",
        target=request.return_id,
        from_state=before,
    )
    _notify(session, request)


def _due(policy: Policy, state: str, at: datetime) -> datetime | None:
    if state not in workflow.WAITING:
        return None
    sla = policy.sla(state)
    return at + sla if sla is not None else None


def _history(
    session: Session,
    request: ReturnRequest,
    before: str | None,
    to: str,
    actor: str,
    at: datetime,
    note: str | None,
) -> None:
    session.add(
        ReturnTransition(
            return_id=request.return_id,
            from_state=before,
            to_state=to,
            actor=actor,
            at=at,
            note=note,
        )
    )


def _notify(session: Session, request: ReturnRequest) -> None:
    """Tell the customer the request's new state (once per state)."""
    enqueue(
        session=session,
        key=f"return:{request.return_id}:{request.state}",
        customer_id=request.customer_id,
        channel="email",
        template=TEMPLATE,
        context=notification_context(request=request),
    )


def notification_context(*, request: ReturnRequest) -> dict[str, Any]:
    return {
        "return_id": request.return_id,
        "order_id": request.order_id,
        "state": request.state,
        "resolution": request.resolution or "",
        "refund": str(request.items_value - request.fees),
        "bonus": str(request.bonus),
        "currency": request.currency,
        "decline_reason": request.decline_reason or "",
        "note": request.decline_note or "",
    }


def overdue(*, request: ReturnRequest, at: datetime) -> bool:
    """Whether the request has waited in its state longer than the policy's SLA."""
    return request.due_at is not None and request.due_at < at


def processing_rows(*, session: Session) -> list[tuple[str, datetime, datetime | None, bool]]:
    """(return_id, requested_at, resolved_at, auto_approved) of resolved returns, for reports."""
    rows = session.execute(
        select(
            ReturnRequest.return_id,
            ReturnRequest.requested_at,
            ReturnRequest.resolved_at,
            ReturnRequest.auto_approved,
        ).where(ReturnRequest.resolved_at.is_not(None))
    ).all()
    return [(str(row[0]), row[1], row[2], bool(row[3])) for row in rows]


def state_counts(*, session: Session, at: datetime) -> list[dict[str, Any]]:
    """Requests per waiting state, and how many of them are overdue at ``at``."""
    overdue_count = func.sum(case((ReturnRequest.due_at < at, 1), else_=0))
    rows = session.execute(
        select(ReturnRequest.state, func.count(), overdue_count)
        .where(ReturnRequest.state.in_(sorted(workflow.WAITING)))
        .group_by(ReturnRequest.state)
        .order_by(ReturnRequest.state)
    ).all()
    return [{"state": row[0], "count": int(row[1]), "overdue": int(row[2] or 0)} for row in rows]


def returns_overview(*, session: Session, backend: BaseBackend, at: datetime) -> ReturnsOverview:
    """The 20 most returned categories, rates by reason, 50 serial returners, repurchase within
    90 days after a return, and open returns by state at ``at``."""
    details = report.processing_details(processing_rows(session=session))
    categories = report.rate_by_line_field(backend, "category").to_pandas()
    customers = report.rate_by_customer(backend).to_pandas()
    retention = [
        row
        for row in report.retention_after_return(backend, details=details)
        if row["days"] == 90 and row["outcome"] == "repurchased"
    ]
    return ReturnsOverview(
        categories=categories[categories["returned_orders"] > 0].head(20).to_dict("records"),
        reasons=report.rate_by_reason(backend).to_pandas().to_dict("records"),
        serial_returners=customers[customers["serial"]].head(50).to_dict("records"),
        retention=_splitting_cuts(retention),
        open_states=state_counts(session=session, at=at),
    )


def _splitting_cuts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The "all" rows and the cuts that split the returners into two groups or more.

    A cut with one group (every return refunded, or no processing times recorded) holds every
    returner, so its row would repeat the "all" row.
    """
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row["cut"], set()).add(row["group"])
    return [row for row in rows if row["cut"] == "all" or len(groups[row["cut"]]) > 1]


def email_matches_order(*, session: Session, order: OrderFacts, email: str) -> bool:
    """Whether ``email`` (trimmed, lower case) is the address on file for the order's customer;
    compared in constant time, so the answer's timing tells nothing about the address."""
    known = session.scalar(
        select(CustomerProfile.email).where(CustomerProfile.customer_id == order.customer_id)
    )
    return known is not None and secrets.compare_digest(known.strip().lower(), email)


def returns_of_order(*, session: Session, order_id: str) -> list[ReturnRequest]:
    """The order's return requests, oldest first."""
    return list(
        session.scalars(
            select(ReturnRequest)
            .where(ReturnRequest.order_id == order_id)
            .order_by(ReturnRequest.requested_at)
        )
    )
