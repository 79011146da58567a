"""A playbook's message reaches a real SMTP server, and its one-click reorder link works."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from retain.api import create_app
from retain.engage.service import run_playbooks, save_playbook
from retain.messaging.service import deliver_due
from retain.settings import Settings, get_settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.engage.shop import customers, import_frame, orders
from tests.messaging.conftest import Inbox, messaging, smtp_server, webhook_sink  # noqa: F401

REORDER = """
name: easy
trigger: {event: first_order}
steps: [{id: reorder, send: {channel: email, template: easy-reorder}}]
holdout: 0
"""
SHOP_CART = "https://shop.example/cart?add={items}"


def test_the_reorder_email_arrives_and_its_link_refills_the_cart(
    messaging: Settings,  # noqa: F811
    smtp_server: tuple[Inbox, int],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, _ = smtp_server
    import_frame(messaging, "customers", customers(2), tmp_path)
    # Today's orders: the link is signed when the playbook runs and must still be valid here.
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    first = [(f"O{n}", f"C{n:03d}", now - timedelta(hours=3), 60.0) for n in (0, 1)]
    import_frame(messaging, "orders", orders(first), tmp_path)
    lines = pd.DataFrame(
        {
            "order_id": ["O0", "O0", "O1"],
            "line_number": [1, 2, 1],
            "product_id": ["TEA-1", "CUP-2", "TEA-1"],
            "product_name": ["Green tea", "Cup", "Green tea"],
            "quantity": [2, 1, 5],
            "unit_price": [20.0, 20.0, 12.0],
        }
    )
    import_frame(messaging, "order-lines", lines, tmp_path)
    ensure_store(messaging.storage.store_url)
    with session_scope(messaging.storage.store_url) as session:
        save_playbook(session=session, text=REORDER, at=now)
    backend = connect(messaging.storage.resolved_warehouse_url)
    run_playbooks(settings=messaging, backend=backend, at=now)
    backend.disconnect()

    # Sent at the next noon, outside every customer's quiet hours.
    next_noon = datetime.combine(now.date() + timedelta(days=1), time(12))
    summary = deliver_due(settings=messaging, at=next_noon)

    assert summary.sent == 2
    by_recipient = {message["To"]: message for message in inbox.messages}
    english = by_recipient["c000@example.test"].get_body(("plain",)).get_content()
    chinese = by_recipient["c001@example.test"].get_body(("plain",)).get_content()
    assert "Reorder in one click" in by_recipient["c000@example.test"]["Subject"]
    assert "一键再次购买" in chinese
    link = re.search(r"https://shop\.example(/e/reorder/\S+)", english)
    assert link is not None
    monkeypatch.setenv("RETAIN_SHOP_REORDER_URL", SHOP_CART)
    get_settings.cache_clear()
    client = TestClient(create_app())
    answer = client.get(link[1], follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "https://shop.example/cart?add=TEA-1:2,CUP-2:1"
    assert client.get(link[1][:-3] + "xyz").status_code == 403
