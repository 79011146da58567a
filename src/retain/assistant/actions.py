"""Actions that read the customer's own data from the warehouse (Ibis, any backend)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
from ibis.backends import BaseBackend

from retain.assistant.intents import Action
from retain.locales import language_or_default, vocab

RETURN_PORTAL_PATH = "/r/start"

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "order": "Your order {order_id} of {ordered_at:%Y-%m-%d} is {status}.",
        "no_order": "I cannot find an order on your account yet.",
        "return": "You can start a return here: {url} (you need your order number and e-mail).",
        "renewal": "Your {plan} subscription renews on {renews_at:%Y-%m-%d}.",
        "no_renewal": "I cannot find an active subscription that renews on your account.",
        "sign_in": "Please open this chat from your account so that I can see your data.",
    },
    "zh-CN": {
        "order": "您的订单 {order_id}（{ordered_at:%Y-%m-%d}）状态：{status}。",
        "no_order": "您的账户中暂时没有订单。",
        "return": "您可以在这里申请退货：{url}（需要订单号和邮箱）。",
        "renewal": "您的 {plan} 订阅将于 {renews_at:%Y-%m-%d} 续费。",
        "no_renewal": "您的账户中没有需要续费的有效订阅。",
        "sign_in": "请从您的账户页面打开此对话，以便我查看您的信息。",
    },
}


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
    words = TEXT[language]
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
