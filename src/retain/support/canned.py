"""Canned replies: texts agents reuse, with ticket fields filled in by a sandboxed Jinja."""

from __future__ import annotations

from jinja2 import StrictUndefined, TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.sandbox import BoundedSandbox, render_bounded
from retain.support.models import CannedReply, Ticket
from retain.support.service import NotFound, SupportError

# Agents write these texts: a sandbox keeps them from reaching Python internals.
_environment = BoundedSandbox(autoescape=False, undefined=StrictUndefined)


def save_canned_reply(
    session: Session, *, name: str, body: str, language: str = "en"
) -> CannedReply:
    """Create or replace the canned reply called ``name`` (its fields checked by rendering)."""
    if not name.strip() or len(name) > 128:
        raise SupportError("a canned reply's name is 1 to 128 characters")
    _render(body, _sample_context())
    reply = session.scalar(select(CannedReply).where(CannedReply.name == name))
    if reply is None:
        reply = CannedReply(name=name)
        session.add(reply)
    reply.body, reply.language = body, language
    session.flush()
    return reply


def list_canned_replies(session: Session) -> list[CannedReply]:
    """Every canned reply by name."""
    return list(session.scalars(select(CannedReply).order_by(CannedReply.name)))


def render_canned_reply(session: Session, *, name: str, ticket: Ticket) -> str:
    """The canned reply's text for ``ticket`` (``{{ ticket.id }}``, ``{{ ticket.subject }}``...)."""
    reply = session.scalar(select(CannedReply).where(CannedReply.name == name))
    if reply is None:
        raise NotFound(f"no canned reply {name!r}")
    return _render(reply.body, _context(ticket))


def _context(ticket: Ticket) -> dict[str, object]:
    return {
        "ticket": {
            "id": ticket.id,
            "subject": ticket.subject,
            "priority": ticket.priority,
            "status": ticket.status,
        },
        "customer_id": ticket.customer_id or "",
        "requester_email": ticket.requester_email or "",
    }


def _sample_context() -> dict[str, object]:
    sample = {"id": 1, "subject": "subject", "priority": "normal", "status": "open"}
    return {"ticket": sample, "customer_id": "C1", "requester_email": "a@example.com"}


def _render(body: str, context: dict[str, object]) -> str:
    try:
        return render_bounded(_environment.from_string(body), context)
    except TemplateError as error:
        raise SupportError(f"canned reply: {error}") from None
