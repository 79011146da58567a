"""``POST /api/v1/events``: batches from a shop or CRM, idempotent by ``Idempotency-Key``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from retain.auth.dependencies import allow
from retain.auth.ratelimit import enforce
from retain.auth.roles import WRITE_EVENTS
from retain.auth.service import Principal, record
from retain.dependencies import SettingsDep
from retain.ingest.intake import (
    EventBatch,
    IntakeProblem,
    KeyConflict,
    Replay,
    apply_batch,
    claim_key,
    release_key,
    settle_key,
)
from retain.ingest.schemas import IntakeResult
from retain.problem_details import FieldError, problem_body
from retain.settings import Settings
from retain.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_problem
from retain.store import migrated_session

router = APIRouter(prefix="/api/v1", tags=["events"])
Writer = Annotated[Principal, Depends(allow(WRITE_EVENTS))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Any unique string; a retry with the same key gets the first answer again.",
    ),
]


async def verified_body(request: Request, settings: SettingsDep) -> bytes:
    """The raw body, its HMAC signature checked when a webhook secret is configured."""
    body = await request.body()
    if settings.server.webhook_secret is not None:
        problem = signature_problem(
            secret=settings.server.webhook_secret.get_secret_value(),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            sent=request.headers.get(SIGNATURE_HEADER),
            body=body,
        )
        if problem:
            raise HTTPException(status_code=401, detail=problem)
    return body


@router.post(
    "/events",
    status_code=200,
    response_model=IntakeResult,
    responses={409: {"description": "Idempotency-Key in use"}, 422: {"description": "Bad rows"}},
)
def post_events(
    request: Request,
    batch: EventBatch,  # type: ignore[valid-type]
    settings: SettingsDep,
    principal: Writer,
    raw: Annotated[bytes, Depends(verified_body)],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Customers, orders, order lines, subscription changes, usage events, survey responses,
    ticket and return events, in one batch; each row checked as an import checks a file."""
    enforce(
        storage_url=settings.server.rate_limit_storage,
        limit=settings.server.intake_rate_limit,
        scope="intake",
        key=principal.label,
    )
    # Each step commits on its own, not in the request's one transaction: the claimed key must be
    # visible to a concurrent retry before the batch is applied, and settled after.
    if idempotency_key is None:
        status, answer = _apply(request, batch, settings, principal)
        return JSONResponse(answer, status_code=status, media_type=_media(status))
    replay = _claim(principal, idempotency_key, raw, settings)
    if replay is not None:
        return JSONResponse(
            replay.response,
            status_code=replay.status_code,
            media_type=_media(replay.status_code),
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        status, answer = _apply(request, batch, settings, principal)
    except BaseException:
        with migrated_session(settings.storage.store_url) as session:
            release_key(session=session, caller=principal.label, key=idempotency_key)
        raise
    with migrated_session(settings.storage.store_url) as session:
        settle_key(
            session=session,
            caller=principal.label,
            key=idempotency_key,
            status_code=status,
            response=answer,
        )
    return JSONResponse(answer, status_code=status, media_type=_media(status))


def _claim(principal: Principal, key: str, raw: bytes, settings: Settings) -> Replay | None:
    try:
        with migrated_session(settings.storage.store_url) as session:
            return claim_key(session=session, caller=principal.label, key=key, body=raw)
    except KeyConflict as error:
        raise HTTPException(status_code=409, detail=str(error)) from None
    except IntegrityError:
        raise HTTPException(
            status_code=409, detail="a request with this Idempotency-Key is still being processed"
        ) from None


def _apply(
    request: Request, batch: Any, settings: Settings, principal: Principal
) -> tuple[int, dict[str, Any]]:
    """The status and body to answer with: the result, or the rows' problems as a 422."""
    try:
        result = apply_batch(batch=batch, settings=settings)
    except IntakeProblem as error:
        errors = [
            FieldError(location=f"{p.file}.{p.column}" if p.column else p.file, message=_why(p))
            for p in error.problems
        ]
        return 422, problem_body(request, 422, str(error), errors=errors)
    with migrated_session(settings.storage.store_url) as session:
        record(
            session=session,
            actor=principal.label,
            action="events.intake",
            target="warehouse",
            **{r.kind: r.inserted for r in result.results},
        )
    return 200, jsonable_encoder(result)


def _why(problem: Any) -> str:
    shown = f" (value {problem.value!r})" if problem.value is not None else ""
    return f"{problem.reason}{shown}"


def _media(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"
