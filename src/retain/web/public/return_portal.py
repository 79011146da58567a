"""The customer's return portal, in English and Chinese, usable on a phone.

``/r/start`` finds an order by number and e-mail (rate-limited, and it answers the same for a
wrong number and a wrong address). Either way the customer lands on ``/r/{token}``, a signed
link that can also be sent in an order message (``portal_link``). There they pick items,
reason, photos and resolution, preview the outcome and fees, and submit. The form carries a
random key, so submitting twice makes one request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from retain.auth.ratelimit import enforce
from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.dependencies import SettingsDep
from retain.locales import Language, choose_language, language_or_default, ui_text
from retain.returns import service
from retain.returns.policy import Policy
from retain.returns.service import ItemRequest, NotFound, OrderFacts, ReturnError
from retain.settings import Settings
from retain.signed_links import BadLink, read, sign
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from retain.web.rendering import render

PURPOSE = "return"
LINK_DAYS = 60
MAX_PHOTOS = 5
# The first bytes of each accepted image type: the declared type is not trusted.
IMAGE_TYPES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"RIFF": "webp"}
router = APIRouter(tags=["return portal"])


def portal_link(settings: Settings, *, order_id: str, customer_id: str, language: str) -> str:
    """The signed portal link for an order, to put in an order message."""
    token = sign(
        secret=signing_key(settings),
        purpose=PURPOSE,
        claims={"o": order_id, "c": customer_id, "l": language_or_default(language)},
        expires_at=utcnow() + timedelta(days=LINK_DAYS),
    )
    return f"{settings.server.public_base_url.rstrip('/')}/r/{token}"


def _language(request: Request, lang: str | None, stored: object = None) -> Language:
    """The link's ``lang``, else the switcher's cookie, else the language the signed link
    was made for, else the browser's."""
    return choose_language(
        requested=lang,
        chosen=request.cookies.get("lang"),
        stored=stored if isinstance(stored, str) else None,
        accept_language=request.headers.get("accept-language"),
    )


def _render(name: str, language: Language, status: int = 200, **context: Any) -> HTMLResponse:
    return render(
        f"return_portal/{name}",
        status=status,
        t=ui_text("return_portal", language),
        language=language,
        **context,
    )


@router.get("/r/start", response_class=HTMLResponse)
def get_start(request: Request, lang: str | None = None) -> HTMLResponse:
    """Order number and e-mail form."""
    return _render("start.html", _language(request, lang))


@router.post("/r/start", response_class=HTMLResponse)
async def post_start(request: Request, settings: SettingsDep) -> Response:
    """Find the order; the same answer for a wrong number and a wrong address."""
    client = request.client.host if request.client else "unknown"
    enforce(
        storage_url=settings.server.rate_limit_storage,
        limit=settings.returns.start_rate_limit,
        scope="return portal",
        key=client,
    )
    form = await request.form()
    asked = form.get("lang")
    language = _language(request, asked if isinstance(asked, str) else None)
    order_id = str(form.get("order_id", "")).strip()[:128]
    email = str(form.get("email", "")).strip().lower()[:320]
    customer_id = _match(settings, order_id, email)
    if customer_id is None:
        return _render("start.html", language, 404, error=True, order_id=order_id, email=email)
    link = portal_link(settings, order_id=order_id, customer_id=customer_id, language=language)
    return RedirectResponse(link.removeprefix(settings.server.public_base_url.rstrip("/")), 303)


def _match(settings: Settings, order_id: str, email: str) -> str | None:
    if not order_id or "@" not in email:
        return None
    order = _order(settings, order_id)
    if order is None:
        return None
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        matches = service.email_matches_order(session=session, order=order, email=email)
    return order.customer_id if matches else None


def _order(settings: Settings, order_id: str) -> OrderFacts | None:
    backend = connect(settings.storage.resolved_warehouse_url, create_tables=False)
    try:
        return service.load_order(backend=backend, order_id=order_id)
    except NotFound:
        return None
    finally:
        backend.disconnect()


@dataclass(frozen=True)
class Link:
    order_id: str
    customer_id: str
    language: Language


def _link(request: Request, settings: Settings, token: str, lang: str | None) -> Link | None:
    try:
        claims = read(secret=signing_key(settings), purpose=PURPOSE, token=token, at=utcnow())
    except BadLink:
        return None
    return Link(str(claims["o"]), str(claims["c"]), _language(request, lang, claims.get("l")))


@router.get("/r/{token}", response_class=HTMLResponse)
def get_portal(
    request: Request, settings: SettingsDep, token: str, lang: str | None = None
) -> HTMLResponse:
    """The return form of the order the signed link names."""
    link = _link(request, settings, token, lang)
    order = _order(settings, link.order_id) if link else None
    if link is None or order is None or order.customer_id != link.customer_id:
        return _render("start.html", _language(request, lang), 410, expired=True)
    return _form(settings, link, order, token, {}, None, None)


def _form(
    settings: Settings,
    link: Link,
    order: OrderFacts,
    token: str,
    chosen: dict[str, Any],
    preview: service.Preview | None,
    error: str | None,
    status: int = 200,
) -> HTMLResponse:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        policy = service.load_policy(session=session)
        taken = service.returned_units(session=session, order_id=order.order_id)
        earlier = service.returns_of_order(session=session, order_id=order.order_id)
    left = {
        line.line_number: line.quantity - taken.get(line.line_number, 0) for line in order.lines
    }
    lines = [
        {"line": line, "left": left[line.line_number]}
        for line in order.lines
        if left[line.line_number] > 0
    ]
    return _render(
        "portal.html",
        link.language,
        status,
        token=token,
        order=order,
        lines=lines,
        policy=policy,
        bonus=policy.store_credit_bonus_percent,
        chosen=chosen,
        preview=preview,
        error=error,
        earlier=earlier,
        key=chosen.get("key") or secrets.token_urlsafe(16),
    )


@router.post("/r/{token}", response_class=HTMLResponse)
async def post_portal(
    request: Request, settings: SettingsDep, token: str, lang: str | None = None
) -> HTMLResponse:
    """Preview the outcome, or submit the request (``action`` says which)."""
    link = _link(request, settings, token, lang)
    order = _order(settings, link.order_id) if link else None
    if link is None or order is None or order.customer_id != link.customer_id:
        return _render("start.html", _language(request, lang), 410, expired=True)
    form = await request.form()
    chosen = _chosen(form, order)
    items = _items(chosen, order)
    if not items:
        return _form(
            settings,
            link,
            order,
            token,
            chosen,
            None,
            ui_text("return_portal", link.language)["pick"],
            422,
        )
    try:
        with session_scope(settings.storage.store_url) as session:
            policy = service.load_policy(session=session)
            if chosen["reason"] not in policy.reasons:
                raise ReturnError("pick a reason from the list")
            if form.get("action") != "submit":
                seen = _preview(session, policy, order, items, chosen)
                return _form(settings, link, order, token, chosen, seen, None)
            photos = await _save_photos(settings, form)
            made = service.request_return(
                session=session,
                policy=policy,
                order=order,
                items=items,
                reason=chosen["reason"],
                wanted=chosen["resolution"],
                key=f"portal:{chosen['key']}",
                at=utcnow(),
                actor=f"customer:{link.customer_id}",
                comment=chosen["comment"] or None,
                exchange_for=chosen["exchange_for"] or None,
                photos=photos,
                language=link.language,
            )
            return _render("done.html", link.language, request=made, order=order)
    except ReturnError as error:
        return _form(settings, link, order, token, chosen, None, str(error), 422)


def _preview(
    session: Any,
    policy: Policy,
    order: OrderFacts,
    items: list[ItemRequest],
    chosen: dict[str, Any],
) -> service.Preview:
    return service.preview(
        session=session,
        policy=policy,
        order=order,
        items=items,
        reason=chosen["reason"],
        wanted=chosen["resolution"],
        at=utcnow(),
    )


def _chosen(form: FormData, order: OrderFacts) -> dict[str, Any]:
    resolution = str(form.get("resolution", "refund"))
    chosen: dict[str, Any] = {
        "reason": str(form.get("reason", ""))[:64],
        "comment": str(form.get("comment", ""))[:2000],
        "resolution": resolution if resolution in ("refund", "credit", "exchange") else "refund",
        "exchange_for": str(form.get("exchange_for", ""))[:128],
        "key": str(form.get("key", ""))[:64] or secrets.token_urlsafe(16),
    }
    for line in order.lines:
        chosen[f"qty_{line.line_number}"] = _int(form.get(f"qty_{line.line_number}"))
        condition = str(form.get(f"condition_{line.line_number}", "unopened"))
        chosen[f"condition_{line.line_number}"] = condition[:32]
    return chosen


def _int(value: object) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def _items(chosen: dict[str, Any], order: OrderFacts) -> list[ItemRequest]:
    return [
        ItemRequest(
            line.line_number,
            chosen[f"qty_{line.line_number}"],
            chosen[f"condition_{line.line_number}"],
        )
        for line in order.lines
        if chosen[f"qty_{line.line_number}"] > 0
    ]


async def _save_photos(settings: Settings, form: FormData) -> list[str]:
    """Store the uploaded photos under ``<data dir>/returns/photos``; their file names."""
    uploads = [item for item in form.getlist("photos") if isinstance(item, UploadFile)]
    uploads = [item for item in uploads if item.filename]
    if len(uploads) > MAX_PHOTOS:
        raise ReturnError(f"at most {MAX_PHOTOS} photos")
    checked = []
    for upload in uploads:
        data = await upload.read(settings.returns.photo_max_bytes + 1)
        if len(data) > settings.returns.photo_max_bytes:
            raise ReturnError(
                f"{upload.filename}: larger than {settings.returns.photo_max_bytes} bytes"
            )
        kind = next((ext for magic, ext in IMAGE_TYPES.items() if data.startswith(magic)), None)
        if kind is None or (kind == "webp" and data[8:12] != b"WEBP"):
            raise ReturnError(f"{upload.filename}: not a JPEG, PNG or WebP image")
        checked.append((data, kind))
    folder = settings.storage.data_dir / "returns" / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for data, kind in checked:
        name = f"{secrets.token_hex(12)}.{kind}"
        (folder / name).write_bytes(data)
        names.append(name)
    return names
