"""The easy-reorder link: one signed click puts the customer's last order back in their cart.

The link names only the customer; the items are read when it is opened, so it always reorders
what they bought last. Retain does not take orders: it sends the customer to the shop's cart URL
(``RETAIN_SHOP_REORDER_URL`` with ``{items}``), or shows the items when no shop URL is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from ibis.backends import BaseBackend
from jinja2 import Environment, FileSystemLoader, select_autoescape

from retain import signed_links
from retain.locales import ui_text

PURPOSE = "reorder"
LINK_DAYS = 30
_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


@dataclass(frozen=True)
class Item:
    product_id: str
    name: str
    quantity: int


def reorder_path(*, secret: str, customer_id: str, at: datetime) -> str:
    """The path of the customer's reorder link, valid for 30 days from ``at``."""
    token = signed_links.sign(
        secret=secret,
        purpose=PURPOSE,
        claims={"c": customer_id},
        expires_at=at + timedelta(days=LINK_DAYS),
    )
    return f"/e/reorder/{token}"


def read_reorder_token(*, secret: str, token: str, at: datetime) -> str:
    """The customer a reorder token was made for; BadLink when it is not valid."""
    customer_id = signed_links.read(secret=secret, purpose=PURPOSE, token=token, at=at).get("c")
    if not isinstance(customer_id, str):
        raise signed_links.BadLink("the link is malformed")
    return customer_id


def last_order_items(*, backend: BaseBackend, customer_id: str) -> list[Item]:
    """The lines of the customer's latest paid order."""
    orders = backend.table("order")
    lines = backend.table("order_line")
    mine = orders.filter(orders.customer_id == customer_id, orders.status == "paid")
    latest = mine.order_by([mine.ordered_at.desc(), mine.order_id.desc()]).limit(1)
    chosen = lines.join(latest.select("order_id"), "order_id").order_by("line_number")
    frame = chosen.select("product_id", "product_name", "quantity").execute()
    return [
        Item(str(row.product_id), str(row.product_name or row.product_id), int(row.quantity or 1))
        for row in frame.itertuples(index=False)
        if row.product_id is not None
    ]


def cart_url(template: str, items: list[Item]) -> str:
    """The shop's cart URL with ``items`` as ``product:quantity`` pairs, comma-separated."""
    listed = ",".join(f"{item.product_id}:{item.quantity}" for item in items)
    return template.replace("{items}", quote(listed, safe=":,"))


def render_items_page(items: list[Item], *, language: str) -> str:
    """The page shown when no shop URL is set: what the link would reorder."""
    return _environment.get_template("reorder.html").render(
        items=items, language=language, text=ui_text("reorder_page", language)
    )
