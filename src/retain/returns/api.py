"""``/api/v1/returns/...``: thin routes over the returns services.

Agents (and analysts and admins) process returns, analysts read the reports, admins set the
policy and the shop webhook. The shop's confirmation callback is public: its HMAC signature
authenticates it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from retain.auth.dependencies import allow
from retain.auth.roles import ADMINISTER, ANALYSE, SERVE_CUSTOMERS
from retain.auth.service import Principal, record
from retain.clock import utcnow
from retain.dependencies import SessionDep, WarehouseDep, answering
from retain.pagination import Limit, Offset, Page, PageDep
from retain.returns import credit, report, service, webhooks
from retain.returns.credit import CreditError
from retain.returns.policy import PolicyError
from retain.returns.schemas import (
    CreditRead,
    DeclineIn,
    InstructionRead,
    LineRead,
    PolicyText,
    PreviewRead,
    ResolveIn,
    ReturnCreate,
    ReturnDetail,
    ReturnRead,
    StepRead,
    TransitionIn,
    WebhookIn,
    WebhookRead,
)
from retain.returns.service import ItemRequest, NotFound, ReturnError
from retain.returns.webhooks import WebhookError
from retain.returns.workflow import IllegalTransition

router = APIRouter(prefix="/api/v1/returns", tags=["returns"])
Agent = Annotated[Principal, Depends(allow(SERVE_CUSTOMERS))]
Analyst = Annotated[Principal, Depends(allow(ANALYSE))]
Admin = Annotated[Principal, Depends(allow(ADMINISTER))]


# The returns errors as HTTP answers, subclasses before their bases.
RETURNS_ERRORS: dict[type[Exception], int] = {
    NotFound: 404,
    IllegalTransition: 409,
    ReturnError: 422,
    PolicyError: 422,
    WebhookError: 422,
    CreditError: 422,
}


def read(request: Any) -> ReturnRead:
    found = ReturnRead.model_validate(request)
    found.overdue = service.overdue(request=request, at=utcnow())
    return found


def _detail(session: Session, return_id: str) -> ReturnDetail:
    request = service.get(session=session, return_id=return_id)
    return ReturnDetail(
        **read(request).model_dump(),
        lines=[
            LineRead.model_validate(line)
            for line in service.lines_of(session=session, return_id=return_id)
        ],
        history=[
            StepRead.model_validate(step)
            for step in service.history(session=session, return_id=return_id)
        ],
    )


@router.get("")
def get_returns(
    session: SessionDep,
    _: Agent,
    page: PageDep,
    state: str | None = None,
    overdue: bool = False,
) -> Page[ReturnRead]:
    """Return requests, newest first; only one state, or only overdue ones."""
    with answering(RETURNS_ERRORS):
        found, total = service.list_returns(
            session=session,
            state=state,
            overdue_at=utcnow() if overdue else None,
            limit=page.limit,
            offset=page.offset,
        )
        return Page(
            items=[read(item) for item in found], total=total, limit=page.limit, offset=page.offset
        )


def _items(body: ReturnCreate) -> list[ItemRequest]:
    return [ItemRequest(item.line_number, item.quantity, item.condition) for item in body.items]


@router.post("/preview")
def post_preview(
    session: SessionDep, backend: WarehouseDep, _: Agent, body: ReturnCreate
) -> PreviewRead:
    """What the request would come to (decision, fees, refund); nothing is written."""
    with answering(RETURNS_ERRORS):
        return preview_of(
            session, backend, body.order_id, _items(body), body.reason, body.resolution
        )


def preview_of(
    session: Session,
    backend: BaseBackend,
    order_id: str,
    items: list[ItemRequest],
    reason: str,
    wanted: Any,
) -> PreviewRead:
    seen = service.preview(
        session=session,
        policy=service.load_policy(session=session),
        order=service.load_order(backend=backend, order_id=order_id),
        items=items,
        reason=reason,
        wanted=wanted,
        at=utcnow(),
    )
    return PreviewRead(
        outcome=seen.decision.outcome,
        decline_reason=seen.decision.reason,
        note=seen.decision.note,
        items_value=seen.outcome.items_value,
        fees=seen.outcome.fees,
        refund=seen.outcome.refund,
        bonus=seen.outcome.bonus,
    )


@router.post("", status_code=201)
def post_return(
    session: SessionDep, backend: WarehouseDep, principal: Agent, body: ReturnCreate
) -> ReturnDetail:
    """Ask for a return for a customer; the policy approves, declines or leaves it for review."""
    with answering(RETURNS_ERRORS):
        request = service.request_return(
            session=session,
            policy=service.load_policy(session=session),
            order=service.load_order(backend=backend, order_id=body.order_id),
            items=_items(body),
            reason=body.reason,
            wanted=body.resolution,
            key=body.key,
            at=utcnow(),
            actor=principal.label,
            comment=body.comment,
            exchange_for=body.exchange_for,
        )
        session.flush()
        return _detail(session, request.return_id)


@router.get("/policy")
def get_policy(session: SessionDep, _: Agent) -> PolicyText:
    """The return policy in force, as YAML."""
    with answering(RETURNS_ERRORS):
        return PolicyText(text=service.policy_text(session=session))


@router.put("/policy")
def put_policy(session: SessionDep, principal: Admin, body: PolicyText) -> PolicyText:
    """Replace the return policy (checked first; applies to requests from now on)."""
    with answering(RETURNS_ERRORS):
        service.save_policy(session=session, text=body.text, actor=principal.label, at=utcnow())
        return body


@router.get("/webhook")
def get_webhook(session: SessionDep, _: Admin) -> WebhookRead:
    """Where instructions go (the secret is never shown)."""
    with answering(RETURNS_ERRORS):
        hook = webhooks.endpoint(session=session)
        return WebhookRead(url=hook.url if hook else None, configured=hook is not None)


@router.put("/webhook")
def put_webhook(session: SessionDep, principal: Admin, body: WebhookIn) -> WebhookRead:
    """Set the shop's webhook URL and signing secret."""
    with answering(RETURNS_ERRORS):
        hook = webhooks.configure(session=session, url=body.url, secret=body.secret, at=utcnow())
        record(session=session, actor=principal.label, action="returns.webhook", target=hook.url)
        return WebhookRead(url=hook.url, configured=True)


@router.get("/instructions")
def get_instructions(
    session: SessionDep, _: Agent, status: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> Page[InstructionRead]:
    """Refund and exchange instructions to the shop, newest first."""
    rows, total = webhooks.list_instructions(
        session=session, status=status, limit=limit, offset=offset
    )
    items = [InstructionRead.model_validate(item) for item in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/instructions/{key}/confirm")
async def post_confirmation(
    session: SessionDep,
    key: str,
    request: Request,
    x_retain_timestamp: Annotated[str, Header()],
    x_retain_signature: Annotated[str, Header()],
) -> dict[str, bool]:
    """The shop confirms an instruction (signed like the instructions it receives)."""
    body = await request.body()
    try:
        with answering(RETURNS_ERRORS):
            news = webhooks.confirm_callback(
                session=session,
                key=key,
                timestamp=x_retain_timestamp,
                sent=x_retain_signature,
                body=body,
                at=utcnow(),
            )
    except HTTPException as error:
        if error.status_code == 422:  # a bad signature is an authentication failure
            raise HTTPException(status_code=401, detail=error.detail) from None
        raise
    return {"confirmed": True, "new": news}


@router.get("/report")
def get_report(session: SessionDep, backend: WarehouseDep, _: Analyst) -> dict[str, Any]:
    """Return rates by category and reason, serial returners, retention after a return."""
    with answering(RETURNS_ERRORS):
        details = report.processing_details(service.processing_rows(session=session))
    customers = report.rate_by_customer(backend).to_pandas()
    return {
        "by_category": _records(report.rate_by_line_field(backend, "category").to_pandas()),
        "by_reason": _records(report.rate_by_reason(backend).to_pandas()),
        "serial_returners": _records(customers[customers["serial"]].head(100)),
        "retention": report.retention_after_return(backend, details=details),
    }


def _records(frame: Any) -> list[dict[str, Any]]:
    return [
        {key: (None if value != value else value) for key, value in row.items()}  # NaN -> None
        for row in frame.to_dict(orient="records")
    ]


@router.get("/credit/{customer_id}")
def get_credit(session: SessionDep, _: Agent, customer_id: str) -> CreditRead:
    """The customer's store-credit balance."""
    with answering(RETURNS_ERRORS):
        return CreditRead(
            customer_id=customer_id,
            balance=credit.balance(session=session, customer_id=customer_id),
        )


@router.get("/{return_id}")
def get_return(session: SessionDep, _: Agent, return_id: str) -> ReturnDetail:
    """One return with its lines and history."""
    with answering(RETURNS_ERRORS):
        return _detail(session, return_id)


@router.post("/{return_id}/approve")
def post_approve(session: SessionDep, principal: Agent, return_id: str) -> ReturnDetail:
    """Approve a request under review."""
    return _transition(session, principal, return_id, TransitionIn(to="approved"))


@router.post("/{return_id}/receive")
def post_receive(session: SessionDep, principal: Agent, return_id: str) -> ReturnDetail:
    """The items arrived back."""
    return _transition(session, principal, return_id, TransitionIn(to="received"))


@router.post("/{return_id}/transition")
def post_transition(
    session: SessionDep, principal: Agent, return_id: str, body: TransitionIn
) -> ReturnDetail:
    """Move the return to another state the workflow allows."""
    return _transition(session, principal, return_id, body)


def _transition(
    session: Session, principal: Principal, return_id: str, body: TransitionIn
) -> ReturnDetail:
    with answering(RETURNS_ERRORS):
        service.transition(
            session=session,
            policy=service.load_policy(session=session),
            return_id=return_id,
            to=body.to,
            actor=principal.label,
            at=utcnow(),
            note=body.note,
        )
        return _detail(session, return_id)


@router.post("/{return_id}/decline")
def post_decline(
    session: SessionDep, principal: Agent, return_id: str, body: DeclineIn
) -> ReturnDetail:
    """Decline a request with a reason and a note for the customer."""
    with answering(RETURNS_ERRORS):
        service.decline(
            session=session,
            policy=service.load_policy(session=session),
            return_id=return_id,
            reason=body.reason,
            note=body.note,
            actor=principal.label,
            at=utcnow(),
        )
        return _detail(session, return_id)


@router.post("/{return_id}/resolve")
def post_resolve(
    session: SessionDep, principal: Agent, return_id: str, body: ResolveIn
) -> ReturnDetail:
    """Refund, credit or exchange an inspected return (once: repeating changes nothing)."""
    with answering(RETURNS_ERRORS):
        service.resolve(
            session=session,
            policy=service.load_policy(session=session),
            return_id=return_id,
            actor=principal.label,
            at=utcnow(),
            resolution=body.resolution,
        )
        return _detail(session, return_id)
