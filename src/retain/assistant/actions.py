"""Actions that read the customer's own data from the warehouse (Ibis, any backend)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
from ibis.backends import BaseBackend

from retain.assistant.intents import Action
from retain.locales import language_or_default, ui_text, vocab

RETURN_PORTAL_PATH = "/r/start"


@dataclass(frozen=True)
class ActionResult:
    text: str
    resolved: bool


def run_action(
    action: Action,
    *,
    backend: BaseBackend | None,
    customer_id: str | None,
    language: str,
    public_base_url: str,
) -> ActionResult:
    """Carry out ``action`` for the customer and say the result in ``language``."""
    language = language_or_default(language)
    words = ui_text("assistant_answers", language)
    if action == "start_return":
        url = public_base_url.rstrip("/") + RETURN_PORTAL_PATH
        return ActionResult(words["return"].format(url=url), resolved=True)
    if customer_id is None or backend is None:
        return ActionResult(words["sign_in"], resolved=False)
    if action == "order_status":
        order = latest_order(backend, customer_id=customer_id)
        if order is None:
            return ActionResult(words["no_order"], resolved=True)
        status = vocab(order["status"], "order_status", language)
        return ActionResult(words["order"].format(**{**order, "status": status}), resolved=True)
    renewal = next_renewal(backend, customer_id=customer_id)
    if renewal is None:
        return ActionResult(words["no_renewal"], resolved=True)
    return ActionResult(words["renewal"].format(**renewal), resolved=True)


def latest_order(backend: BaseBackend, *, customer_id: str) -> dict[str, Any] | None:
    """The customer's most recent order: id, date and status."""
    orders = backend.table("order")
    mine = orders.filter(orders.customer_id == customer_id)
    rows = (
        mine.order_by(ibis.desc(mine.ordered_at))
        .select("order_id", "ordered_at", "status")
        .limit(1)
        .to_pyarrow()
        .to_pylist()
    )
    if not rows:
        return None
    row = rows[0]
    return {**row, "status": row["status"] or "received"}


def next_renewal(backend: BaseBackend, *, customer_id: str) -> dict[str, Any] | None:
    """The plan and renewal time of the customer's latest paying subscription change."""
    changes = backend.table("subscription_change")
    mine = changes.filter((changes.customer_id == customer_id) & changes.renews_at.notnull())
    rows = (
        mine.order_by(ibis.desc(mine.changed_at))
        .select("plan", "renews_at", "mrr_after")
        .limit(1)
        .to_pyarrow()
        .to_pylist()
    )
    if not rows or not rows[0]["mrr_after"] or rows[0]["mrr_after"] <= 0:
        return None
    renews_at: datetime = rows[0]["renews_at"]
    return {"plan": rows[0]["plan"] or "", "renews_at": renews_at}
