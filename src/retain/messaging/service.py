"""The delivery log: enqueue, holdouts, one crash-safe worker pass, reconcile, bounces.

A delivery moves queued -> sending -> sent | failed | skipped (or back to queued when deferred
or retried). The worker commits ``sending`` with a lease *before* it sends; a row still
``sending`` after its lease expired belonged to a worker that died mid-send, so nobody knows
whether the message left. It becomes ``unknown`` and is never resent blindly: ``reconcile``
resends webhooks (the receiver dedupes on Idempotency-Key) and, for email and chat, either
confirms them as sent or resends the keys the operator names.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.customers.models import CustomerProfile
from retain.locales import Language, language_or_default
from retain.messaging import channels as channel_module
from retain.messaging.channels import (
    Channels,
    OutgoingMessage,
    PermanentFailure,
    TemporaryFailure,
    address_for,
)
from retain.messaging.consent import PREFERENCES, UNSUBSCRIBE, sign_customer_link, suppress
from retain.messaging.context import profile_context
from retain.messaging.events import export_deliveries
from retain.messaging.models import Delivery
from retain.messaging.policy import Facts, Rules, decide, gather_facts
from retain.messaging.templates import TemplateProblem, load_template, render_spec
from retain.settings import Settings
from retain.store import ensure_store, session_scope

# Rows claimed per commit: a crash leaves at most this many in doubt (unknown).
CLAIM_CHUNK = 100
# Keys looked up per statement: SQLite caps the parameters of one statement.
KEY_LOOKUP_CHUNK = 1_000


@dataclass
class DeliverySummary:
    """What one worker pass did."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    deferred: int = 0
    skipped: int = 0
    unknown: int = 0
    exported: int = 0

    def as_dict(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


@dataclass(frozen=True)
class Outgoing:
    """A message to queue: what ``enqueue`` takes, as one value."""

    key: str
    customer_id: str
    channel: str
    template: str
    context: dict[str, Any]
    playbook: str | None = None
    step: str | None = None
    not_before: datetime | None = None

    def queued(self, now: datetime) -> Delivery:
        """A new queued delivery of this message."""
        return Delivery(
            key=self.key,
            customer_id=self.customer_id,
            channel=self.channel,
            template=self.template,
            context=self.context,
            playbook=self.playbook,
            step=self.step,
            status="queued",
            attempts=0,
            not_before=self.not_before,
            next_attempt_at=self.not_before or now,
            created_at=now,
            holdout=False,
        )


def enqueue(
    *,
    session: Session,
    key: str,
    customer_id: str,
    channel: str,
    template: str,
    context: dict[str, Any],
    playbook: str | None = None,
    step: str | None = None,
    not_before: datetime | None = None,
) -> Delivery:
    """Queue a message; with a ``key`` already used, the existing delivery comes back unchanged."""
    found = find(session=session, key=key)
    if found is not None:
        return found
    message = Outgoing(key, customer_id, channel, template, context, playbook, step, not_before)
    delivery = message.queued(utcnow())
    session.add(delivery)
    return delivery


def enqueue_many(*, session: Session, messages: list[Outgoing]) -> int:
    """Queue many messages with distinct keys; keys already used are skipped. Returns the new."""
    keys = [message.key for message in messages]
    if len(set(keys)) != len(keys):
        raise ValueError("enqueue_many takes distinct keys")
    taken: set[str] = set()
    for start in range(0, len(keys), KEY_LOOKUP_CHUNK):
        chunk = keys[start : start + KEY_LOOKUP_CHUNK]
        taken.update(session.scalars(select(Delivery.key).where(Delivery.key.in_(chunk))))
    now = utcnow()
    fresh = [message.queued(now) for message in messages if message.key not in taken]
    session.add_all(fresh)
    return len(fresh)


def record_holdout(
    *, session: Session, key: str, customer_id: str, playbook: str, step: str
) -> Delivery:
    """Record that ``customer_id`` was held out of a playbook step: nothing is sent."""
    found = find(session=session, key=key)
    if found is not None:
        return found
    delivery = Delivery(
        key=key,
        customer_id=customer_id,
        channel="none",
        playbook=playbook,
        step=step,
        context={},
        status="holdout",
        attempts=0,
        created_at=utcnow(),
        holdout=True,
    )
    session.add(delivery)
    return delivery


def find(*, session: Session, key: str) -> Delivery | None:
    """The delivery with ``key``, if any."""
    return session.scalar(select(Delivery).where(Delivery.key == key))


def list_deliveries(
    *, session: Session, status: str | None, limit: int, offset: int
) -> tuple[list[Delivery], int]:
    """Deliveries newest first, optionally of one status, with how many there are in all."""
    statement = select(Delivery)
    counting = select(func.count()).select_from(Delivery)
    if status:
        statement = statement.where(Delivery.status == status)
        counting = counting.where(Delivery.status == status)
    rows = session.scalars(statement.order_by(Delivery.id.desc()).limit(limit).offset(offset))
    return list(rows), int(session.scalar(counting) or 0)


def deliver_due(
    *, settings: Settings, at: datetime | None = None, limit: int = 10_000
) -> DeliverySummary:
    """One worker pass: expire dead leases, then claim, decide, render and send due messages."""
    at = at or utcnow()
    ensure_store(settings.storage.store_url)
    summary = DeliverySummary(unknown=expire_leases(store_url=settings.storage.store_url, at=at))
    sender = _Sender(settings=settings, at=at)
    try:
        while summary.claimed < limit:
            batch = claim_due(
                store_url=settings.storage.store_url,
                at=at,
                limit=min(CLAIM_CHUNK, limit - summary.claimed),
                lease=timedelta(seconds=settings.messaging.delivery_lease_seconds),
            )
            if not batch:
                break
            summary.claimed += len(batch)
            _save(settings.storage.store_url, sender.process(batch, summary))
    finally:
        sender.close()
    summary.exported = export_deliveries(settings=settings)
    return summary


def expire_leases(*, store_url: str, at: datetime) -> int:
    """Mark deliveries left ``sending`` by a dead worker as ``unknown``; how many."""
    with session_scope(store_url) as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.status == "sending", Delivery.lease_until < at)
            .values(status="unknown", claim=None, lease_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_due(*, store_url: str, at: datetime, limit: int, lease: timedelta) -> list[Delivery]:
    """Mark up to ``limit`` due deliveries ``sending`` under a lease and commit; those rows."""
    token = secrets.token_hex(8)
    with session_scope(store_url) as session:
        due = (
            select(Delivery.id)
            .where(Delivery.status == "queued", Delivery.next_attempt_at <= at)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL: concurrent workers take other rows
        )
        ids = list(session.scalars(due))
        if not ids:
            return []
        # The status guard keeps two SQLite workers that read the same ids from both claiming.
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == "queued")
            .values(status="sending", claim=token, lease_until=at + lease)
        )
    with session_scope(store_url) as session:
        claimed = select(Delivery).where(Delivery.claim == token).order_by(Delivery.id)
        return list(session.scalars(claimed))


def _save(store_url: str, changes: list[dict[str, Any]]) -> None:
    if changes:
        with session_scope(store_url) as session:
            session.execute(update(Delivery), changes)


class _Sender:
    """Decides and sends the deliveries of one pass, keeping channels and templates open."""

    def __init__(self, *, settings: Settings, at: datetime) -> None:
        self.settings = settings
        self.at = at
        self.rules = Rules.from_settings(settings)
        self.secret = signing_key(settings)
        self.specs: dict[str, dict[str, Any]] = {}
        # Each sending thread keeps its own connections: while one waits for the server's
        # answer, another sends, so the pass is not bound by round trips.
        self.pool = ThreadPoolExecutor(max_workers=settings.messaging.delivery_connections)
        self.local = threading.local()
        self.opened: list[Channels] = []
        self.opening = threading.Lock()

    def process(self, batch: list[Delivery], summary: DeliverySummary) -> list[dict[str, Any]]:
        """The changes to store for ``batch``, after sending what may be sent."""
        with session_scope(self.settings.storage.store_url) as session:
            facts = gather_facts(
                session=session,
                customer_ids=[delivery.customer_id for delivery in batch],
                window=self.rules.window,
                at=self.at,
            )
            for name in {delivery.template for delivery in batch} - set(self.specs):
                self.specs[name or ""] = self._load(session, name)
        prepared = [(delivery, self._prepare(delivery, facts)) for delivery in batch]
        outcomes = self.pool.map(lambda pair: self._send(*pair), prepared)
        changes = []
        for (delivery, _), change in zip(prepared, outcomes, strict=True):
            _count(summary, change)
            changes.append({"id": delivery.id, "claim": None, "lease_until": None, **change})
        return changes

    def _load(self, session: Session, name: str | None) -> dict[str, Any]:
        try:
            return load_template(session=session, name=name or "")
        except TemplateProblem as error:
            return {"problem": str(error)}

    def _prepare(self, delivery: Delivery, facts: Facts) -> OutgoingMessage | dict[str, Any]:
        """The message to send, or the change to store when it must not or cannot go."""
        profile = facts.profiles.get(delivery.customer_id)
        address = address_for(
            channel=delivery.channel,
            settings=self.settings,
            email=profile.email if profile else None,
            phone=profile.phone if profile else None,
            customer_id=delivery.customer_id,
        )
        decision = decide(
            rules=self.rules,
            facts=facts,
            customer_id=delivery.customer_id,
            channel=delivery.channel,
            address=address,
            at=self.at,
        )
        if decision.action == "skip":
            return {"status": "skipped", "last_error": decision.reason}
        if decision.action == "defer":
            return {"status": "queued", "next_attempt_at": decision.until, "last_error": None}
        assert address is not None  # decide() skips messages without one
        language = _language(delivery, profile.language if profile else None)
        try:
            message = self._message(
                delivery, address, language, profile_context(profile, delivery.customer_id)
            )
        except TemplateProblem as error:
            return self._failed(delivery, str(error), final=True)
        facts.received[delivery.customer_id] += 1  # later messages of this pass see the cap
        return message

    def _send(
        self, delivery: Delivery, prepared: OutgoingMessage | dict[str, Any]
    ) -> dict[str, Any]:
        """Send a prepared message on this thread's connection; the change to store."""
        if not isinstance(prepared, OutgoingMessage):
            return prepared
        message = prepared
        try:
            provider_id = self._channels().get(delivery.channel).send(message)
        except PermanentFailure as error:
            return self._failed(delivery, str(error), final=True)
        except TemporaryFailure as error:
            return self._failed(delivery, str(error), final=False)
        return {
            "status": "sent",
            "sent_at": self.at,
            "language": message.rendered.language,
            "provider_message_id": provider_id,
            "attempts": delivery.attempts + 1,
            "last_error": None,
        }

    def _message(
        self, delivery: Delivery, address: str, language: str, customer: dict[str, Any]
    ) -> OutgoingMessage:
        spec = self.specs[delivery.template or ""]
        if "problem" in spec:
            raise TemplateProblem(spec["problem"])
        links = self._links(delivery, language)
        context = {**delivery.context, "customer": customer, **links}
        rendered = render_spec(
            spec, name=delivery.template or "", language=language, context=context
        )
        return OutgoingMessage(
            key=delivery.key,
            channel=delivery.channel,
            customer_id=delivery.customer_id,
            address=address,
            rendered=rendered,
            unsubscribe_url=links["unsubscribe_url"],
            playbook=delivery.playbook,
            step=delivery.step,
        )

    def _links(self, delivery: Delivery, language: str) -> dict[str, str]:
        base = self.settings.server.public_base_url.rstrip("/")
        made = {}
        for name, purpose, path in (
            ("unsubscribe_url", UNSUBSCRIBE, "unsubscribe"),
            ("preferences_url", PREFERENCES, "preferences"),
        ):
            token = sign_customer_link(
                secret=self.secret,
                purpose=purpose,
                customer_id=delivery.customer_id,
                channel=delivery.channel,
                language=language,
                at=self.at,
            )
            made[name] = f"{base}/m/{path}/{token}"
        return made

    def _failed(self, delivery: Delivery, reason: str, *, final: bool) -> dict[str, Any]:
        attempts = delivery.attempts + 1
        if final or attempts >= self.settings.messaging.delivery_max_attempts:
            return {"status": "failed", "attempts": attempts, "last_error": reason[:500]}
        delay = self.settings.messaging.delivery_retry_seconds * 2 ** (attempts - 1)
        return {
            "status": "queued",
            "attempts": attempts,
            "next_attempt_at": self.at + timedelta(seconds=delay),
            "last_error": reason[:500],
        }

    def _channels(self) -> Channels:
        if not hasattr(self.local, "channels"):
            self.local.channels = Channels(self.settings)
            with self.opening:
                self.opened.append(self.local.channels)
        return self.local.channels  # type: ignore[no-any-return]

    def close(self) -> None:
        self.pool.shutdown()
        for channels in self.opened:
            channels.close()


def _language(delivery: Delivery, profile_language: str | None) -> Language:
    return language_or_default(delivery.language or profile_language)


def _count(summary: DeliverySummary, change: dict[str, Any]) -> None:
    # A retry carries its attempt count; a deferral (quiet hours) does not.
    retry = "retried" if "attempts" in change else "deferred"
    name = retry if change["status"] == "queued" else change["status"]
    setattr(summary, name, getattr(summary, name) + 1)


def reconcile(
    *, session: Session, resend: bool = False, keys: Iterable[str] = (), at: datetime | None = None
) -> dict[str, int]:
    """Resolve ``unknown`` deliveries; how many were requeued and how many confirmed as sent.

    Webhooks are always requeued: the receiver dedupes on Idempotency-Key. Email and chat are
    requeued with ``resend`` (all, or only ``keys`` when given) and otherwise confirmed sent,
    since the operator found them in the provider's log.
    """
    at = at or utcnow()
    named = set(keys)
    requeued = confirmed = 0
    for delivery in session.scalars(select(Delivery).where(Delivery.status == "unknown")):
        chosen = delivery.key in named if named else resend
        if delivery.channel == channel_module.WEBHOOK or chosen:
            delivery.status, delivery.next_attempt_at = "queued", at
            requeued += 1
        elif not named:
            delivery.status, delivery.sent_at = "sent", at
            delivery.last_error = "confirmed sent after a worker crash"
            confirmed += 1
    return {"requeued": requeued, "confirmed": confirmed}


def record_bounce(*, session: Session, address: str, channel: str, reason: str) -> int:
    """Suppress ``address`` and mark its latest sent delivery bounced; how many were marked."""
    at = utcnow()
    suppress(session=session, address=address, channel=channel, reason=reason, at=at)
    return _mark_bounced(session, address=address, channel=channel, reason=reason)


def _mark_bounced(session: Session, *, address: str, channel: str, reason: str) -> int:
    column = CustomerProfile.email if channel == channel_module.EMAIL else CustomerProfile.phone
    customers = select(CustomerProfile.customer_id).where(
        func.lower(column) == address.strip().lower()
    )
    latest = session.scalar(
        select(Delivery)
        .where(Delivery.customer_id.in_(customers), Delivery.channel == channel)
        .where(Delivery.status == "sent")
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
        .limit(1)
    )
    if latest is None:
        return 0
    latest.status, latest.last_error = "bounced", reason[:500]
    return 1
