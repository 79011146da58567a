"""``/api/v1/messages``, ``/api/v1/templates``, customer consent and the bounce webhook.

``router`` holds the API routes. ``public_router`` holds the bounce webhook, outside API
authentication because its HMAC signature is the credential. The unsubscribe and preference
pages are ``retain.web.public.preferences``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from sqlalchemy.orm import Session

from retain.auth.dependencies import allow
from retain.auth.roles import ANALYSE, READ_AGGREGATES, READ_CUSTOMERS, SERVE_CUSTOMERS
from retain.clock import utcnow
from retain.dependencies import SessionDep, SettingsDep, WarehouseDep
from retain.locales import language_or_default
from retain.messaging import consent, preferences, service, templates
from retain.messaging.context import message_context
from retain.messaging.schemas import (
    PRINTABLE,
    BounceCreate,
    BounceRead,
    ConsentRead,
    ConsentUpdate,
    DeliveryRead,
    PreviewCreate,
    PreviewRead,
    TemplateRead,
    TemplateSource,
    TemplateSummary,
)
from retain.pagination import Page, PageDep, WholePageDep, page_of
from retain.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_problem

router = APIRouter(prefix="/api/v1", tags=["messaging"])
public_router = APIRouter(tags=["messaging pages"])
CustomerId = Annotated[str, Path(max_length=128, pattern=PRINTABLE)]
Status = Annotated[str | None, Query(max_length=16, description="Only deliveries in this status.")]


@router.get("/messages", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_messages(session: SessionDep, page: PageDep, status: Status = None) -> Page[DeliveryRead]:
    """Deliveries, newest first."""
    rows, total = service.list_deliveries(
        session=session, status=status, limit=page.limit, offset=page.offset
    )
    items = [DeliveryRead.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/templates", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_templates(session: SessionDep, page: WholePageDep) -> Page[TemplateSummary]:
    """Every message template, shipped or edited."""
    found = [TemplateSummary(**row) for row in templates.list_templates(session=session)]
    return page_of(found, page)


@router.get("/templates/{name}", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_template(session: SessionDep, name: str) -> TemplateRead:
    """One template's content in every language."""
    return TemplateRead(name=name, template=_loaded(session=session, name=name))


@router.delete("/templates/{name}", dependencies=[Depends(allow(ANALYSE))], status_code=204)
def delete_template(session: SessionDep, name: str) -> None:
    """Remove an edited template: the shipped one of that name applies again."""
    if not templates.delete_override(session=session, name=name):
        raise HTTPException(status_code=404, detail=f"no edited template named {name!r}")


@router.put("/templates/{name}", dependencies=[Depends(allow(ANALYSE))])
def put_template(session: SessionDep, name: str, body: TemplateSource) -> TemplateRead:
    """Store an edited template that overrides the shipped one of the same name."""
    if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 128:
        raise HTTPException(status_code=422, detail="a template name is letters, digits, - and _")
    try:
        spec = templates.save_override(session=session, name=name, source=body.source, at=utcnow())
    except templates.TemplateProblem as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    return TemplateRead(name=name, template=spec)


@router.post("/templates/{name}/preview", dependencies=[Depends(allow(READ_CUSTOMERS))])
def preview_template(
    settings: SettingsDep,
    session: SessionDep,
    backend: WarehouseDep,
    name: str,
    body: PreviewCreate,
) -> PreviewRead:
    """The template rendered with a customer's real context."""
    context = message_context(session=session, backend=backend, customer_id=body.customer_id)
    language = language_or_default(body.language or context["customer"].get("language"))
    context |= preferences.sample_links(settings, customer_id=body.customer_id, language=language)
    try:
        rendered = templates.render(
            session=session, template=name, language=language, context=context
        )
    except templates.TemplateProblem as error:
        raise HTTPException(
            status_code=404 if "no template" in str(error) else 422, detail=str(error)
        ) from None
    return PreviewRead(**rendered.__dict__)


@router.get("/customers/{customer_id}/consent", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_consent(
    session: SessionDep, customer_id: CustomerId, page: WholePageDep
) -> Page[ConsentRead]:
    """The customer's recorded consent, per channel."""
    found = consent.consents(session=session, customer_id=customer_id)
    return page_of([ConsentRead.model_validate(row) for row in found], page)


@router.put("/customers/{customer_id}/consent", dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def put_consent(session: SessionDep, customer_id: CustomerId, body: ConsentUpdate) -> ConsentRead:
    """Record the customer's consent for one channel (for example, given on the phone)."""
    row = consent.set_consent(
        session=session,
        customer_id=customer_id,
        channel=body.channel,
        granted=body.granted,
        source=body.source,
        at=utcnow(),
    )
    return ConsentRead.model_validate(row)


@public_router.post("/api/v1/messages/bounces", tags=["messaging"])
async def post_bounce(request: Request, settings: SettingsDep, session: SessionDep) -> BounceRead:
    """The mail provider's bounce or complaint, signed with RETAIN_BOUNCE_SECRET."""
    if settings.email.bounce_secret is None:
        # No key, no way to tell the provider from anyone else: refuse every caller.
        raise HTTPException(
            status_code=401, detail="bounces are refused: RETAIN_BOUNCE_SECRET is not set"
        )
    raw = await request.body()
    problem = signature_problem(
        secret=settings.email.bounce_secret.get_secret_value(),
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        sent=request.headers.get(SIGNATURE_HEADER),
        body=raw,
    )
    if problem:
        raise HTTPException(status_code=401, detail=problem)
    try:
        bounce = BounceCreate.model_validate(json.loads(raw or b"null"))
    except ValueError as error:
        raise HTTPException(status_code=422, detail=f"bad bounce body: {error}") from None
    marked = service.record_bounce(
        session=session, address=bounce.address, channel=bounce.channel, reason=bounce.reason
    )
    return BounceRead(address=bounce.address, deliveries_marked=marked)


def _loaded(*, session: Session, name: str) -> dict[str, Any]:
    try:
        return templates.load_template(session=session, name=name)
    except templates.TemplateProblem as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
