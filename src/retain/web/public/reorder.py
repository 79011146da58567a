"""The page an easy-reorder link opens: the customer's last order goes back into their cart at
the shop, or, when no shop URL is set, the page lists what the link would reorder."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from retain import signed_links
from retain.auth.sessions import signing_key
from retain.clock import utcnow_to_the_second
from retain.dependencies import SettingsDep, WarehouseDep
from retain.engage import reorder
from retain.engage.reorder import Item
from retain.locales import choose_language, ui_text
from retain.web.rendering import render_html

router = APIRouter(prefix="/e", tags=["engagement pages"])


@router.get("/reorder/{token}", response_class=HTMLResponse)
def get_reorder(
    request: Request,
    settings: SettingsDep,
    backend: WarehouseDep,
    token: str,
    language: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """One click: the customer's last order goes back into their cart at the shop."""
    try:
        customer_id = reorder.read_reorder_token(
            secret=signing_key(settings), token=token, at=utcnow_to_the_second()
        )
    except signed_links.BadLink as error:
        raise HTTPException(status_code=403, detail=str(error)) from None
    items = reorder.last_order_items(backend=backend, customer_id=customer_id)
    if settings.engage.shop_reorder_url and items:
        return RedirectResponse(
            reorder.cart_url(settings.engage.shop_reorder_url, items), status_code=303
        )
    shown = choose_language(
        requested=language,
        chosen=request.cookies.get("lang"),
        accept_language=request.headers.get("accept-language"),
    )
    return HTMLResponse(render_items_page(items, language=shown))


def render_items_page(items: list[Item], *, language: str) -> str:
    """The page shown when no shop URL is set: what the link would reorder."""
    return render_html(
        "reorder/reorder.html",
        items=items,
        language=language,
        text=ui_text("reorder_page", language),
    )
