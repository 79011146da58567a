"""Refund and exchange instructions to the shop: an outbox, signed, retried until confirmed.

An instruction row is written in the transaction that resolves the return, so a resolution has
exactly one instruction, whatever crashes later. Delivery posts the fixed JSON body with an
``Idempotency-Key`` (the instruction's key) and the ``X-Retain-Timestamp`` and
``X-Retain-Signature`` headers every Retain webhook carries (``retain.signatures``). A 2xx
answer confirms it; otherwise it is retried with exponential backoff. The shop may also confirm
later through the signed callback route. Each attempt first moves ``next_attempt_at`` past a
lease and commits, so two workers never post the same instruction at once; the receiver dedupes
on the key if a worker died mid-post.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from retain.returns.models import ReturnInstruction, ReturnWebhook
from retain.signatures import signature_problem, signed_headers
from retain.store import fetch_page, session_scope

if TYPE_CHECKING:
    import httpx

    from retain.returns.models import ReturnLine, ReturnRequest

SHOP = "shop"
LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
BATCH = 100


class WebhookError(ValueError):
    """A webhook setting or callback that cannot be accepted."""


@dataclass
class DeliveryRun:
    """What one delivery pass did."""

    attempted: int = 0
    confirmed: int = 0
    failed: int = 0


def configure(*, session: Session, url: str, secret: str, at: datetime) -> ReturnWebhook:
    """Set where instructions go and the secret that signs them."""
    if not url.startswith(("http://", "https://")):
        raise WebhookError(f"the webhook URL must be http(s), not {url!r}")
    if len(secret) < 16:
        raise WebhookError("the webhook secret needs at least 16 characters")
    found = session.get(ReturnWebhook, SHOP)
    if found is None:
        found = ReturnWebhook(name=SHOP, url=url, secret=secret, updated_at=at)
        session.add(found)
    else:
        found.url, found.secret, found.updated_at = url, secret, at
    return found


def endpoint(*, session: Session) -> ReturnWebhook | None:
    return session.get(ReturnWebhook, SHOP)


def verify(secret: str, timestamp: str, body: bytes, sent: str, *, now: float) -> None:
    """Raise WebhookError unless ``sent`` signs ``body`` at a timestamp close to ``now``."""
    problem = signature_problem(secret=secret, timestamp=timestamp, sent=sent, body=body, now=now)
    if problem is not None:
        raise WebhookError(problem)


def add_instruction(
    *,
    session: Session,
    request: ReturnRequest,
    lines: list[ReturnLine],
    kind: str,
    amount: Decimal,
    at: datetime,
) -> ReturnInstruction:
    """Queue the one instruction of this resolution (its key is the return's)."""
    key = f"return:{request.return_id}:{kind}"
    body = {
        "instruction_id": key,
        "kind": kind,
        "return_id": request.return_id,
        "order_id": request.order_id,
        "customer_id": request.customer_id,
        "currency": request.currency,
        "amount": str(amount),
        "fees": str(request.fees),
        "exchange_for": request.exchange_for if kind == "exchange" else None,
        "lines": [
            {
                "line_number": line.line_number,
                "product_id": line.product_id,
                "quantity": line.quantity,
                "value": str(line.value),
            }
            for line in lines
        ],
    }
    instruction = ReturnInstruction(
        key=key,
        return_id=request.return_id,
        kind=kind,
        body=json.dumps(body, sort_keys=True, separators=(",", ":")),
        status="pending",
        attempts=0,
        next_attempt_at=at,
        created_at=at,
    )
    session.add(instruction)
    return instruction


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 30 s doubling, at most six hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def deliver_due(*, store_url: str, at: datetime, client: httpx.Client | None = None) -> DeliveryRun:
    """Post every pending instruction that is due; confirm on 2xx, else schedule a retry."""
    # httpx loads with the first delivery: it pulls in its command line (click, rich, pygments).
    import httpx

    run = DeliveryRun()
    with session_scope(store_url) as session:
        hook = endpoint(session=session)
        if hook is None:
            return run
        url, secret = hook.url, hook.secret
        claimed = _claim(session, at)
    owned = client or httpx.Client(timeout=10)
    try:
        for instruction_id, key, body in claimed:
            run.attempted += 1
            answer, error = _post(owned, url, secret, key, body)
            with session_scope(store_url) as session:
                if answer is not None and 200 <= answer.status_code < 300:
                    _confirm(session, key, f"HTTP {answer.status_code}: {answer.text[:500]}", at)
                    run.confirmed += 1
                else:
                    _retry(session, instruction_id, error or f"HTTP {answer.status_code}", at)  # type: ignore[union-attr]
                    run.failed += 1
    finally:
        if client is None:
            owned.close()
    return run


def _claim(session: Session, at: datetime) -> list[tuple[int, str, str]]:
    due = session.execute(
        select(ReturnInstruction.id, ReturnInstruction.key, ReturnInstruction.body)
        .where(ReturnInstruction.status == "pending", ReturnInstruction.next_attempt_at <= at)
        .order_by(ReturnInstruction.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if due:
        session.execute(
            update(ReturnInstruction)
            .where(ReturnInstruction.id.in_([row[0] for row in due]))
            .values(next_attempt_at=at + LEASE, attempts=ReturnInstruction.attempts + 1)
        )
    return [(int(row[0]), str(row[1]), str(row[2])) for row in due]


def _post(
    client: httpx.Client, url: str, secret: str, key: str, body: str
) -> tuple[httpx.Response | None, str | None]:
    import httpx

    raw = body.encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        **signed_headers(secret=secret, body=raw),
    }
    try:
        return client.post(url, content=raw, headers=headers), None
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"


def _retry(session: Session, instruction_id: int, error: str, at: datetime) -> None:
    instruction = session.get(ReturnInstruction, instruction_id)
    if instruction is None or instruction.status != "pending":
        return
    instruction.last_error = error[:1000]
    instruction.next_attempt_at = at + backoff(instruction.attempts)


def _confirm(session: Session, key: str, confirmation: str, at: datetime) -> bool:
    """Record the shop's confirmation once; False when it was confirmed already."""
    instruction = session.scalars(
        select(ReturnInstruction).where(ReturnInstruction.key == key).with_for_update()
    ).one_or_none()
    if instruction is None:
        raise WebhookError(f"no instruction {key!r}")
    if instruction.status == "confirmed":
        return False
    instruction.status = "confirmed"
    instruction.confirmed_at = at
    instruction.confirmation = confirmation
    return True


def confirm_callback(
    *, session: Session, key: str, timestamp: str, sent: str, body: bytes, at: datetime
) -> bool:
    """The shop's signed confirmation of instruction ``key``; True when it was news."""
    hook = endpoint(session=session)
    if hook is None:
        raise WebhookError("no webhook is configured")
    verify(hook.secret, timestamp, body, sent, now=time.time())
    return _confirm(session, key, body.decode(errors="replace")[:1000] or "callback", at)


def list_instructions(
    *, session: Session, status: str | None, limit: int, offset: int
) -> tuple[list[ReturnInstruction], int]:
    """One page of instructions to the shop, newest first, and how many there are."""
    query = select(ReturnInstruction)
    if status is not None:
        query = query.where(ReturnInstruction.status == status)
    query = query.order_by(ReturnInstruction.id.desc())
    return fetch_page(session, query, limit=limit, offset=offset)
