"""Segment routes under ``/api/v1/segments``: list, define, delete, members, refresh."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from retain.auth.dependencies import allow
from retain.auth.roles import ANALYSE, READ_CUSTOMERS
from retain.clock import utcnow_to_the_second
from retain.dependencies import SessionDep, WarehouseDep
from retain.pagination import Page, PageDep, WholePageDep, page_of
from retain.problem_details import FieldError, problem_response
from retain.segments.rules import RuleError
from retain.segments.schemas import (
    MemberRead,
    SegmentDefine,
    SegmentRead,
    SegmentRefreshRead,
    SegmentRefreshRequest,
)
from retain.segments.service import (
    SegmentError,
    SegmentNotFound,
    current_members,
    define_segment,
    delete_segment,
    list_segments,
    refresh_segments,
)

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])


@router.get("", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_segments(session: SessionDep, page: WholePageDep) -> Page[SegmentRead]:
    """Every segment: built-in RFM segments first, then rule segments by name."""
    found = [SegmentRead.model_validate(segment) for segment in list_segments(session=session)]
    return page_of(found, page)


@router.put(
    "/{name}",
    dependencies=[Depends(allow(ANALYSE))],
    response_model=SegmentRead,
    responses={422: {"description": "The rule cannot be read or does not fit the attributes."}},
)
def put_segment(
    request: Request, session: SessionDep, name: str, body: SegmentDefine
) -> SegmentRead | JSONResponse:
    """Define or replace a rule segment; a bad rule answers 422 with the column at fault."""
    try:
        segment = define_segment(
            session=session, name=name, rule=body.rule, description=body.description
        )
    except RuleError as error:
        problem = FieldError(location=f"body.rule.column.{error.column}", message=error.reason)
        return problem_response(request, 422, error.one_line, errors=[problem])
    except SegmentError as error:
        raise HTTPException(422, str(error)) from None
    return SegmentRead.model_validate(segment)


@router.delete("/{name}", dependencies=[Depends(allow(ANALYSE))], status_code=204)
def remove_segment(session: SessionDep, name: str) -> None:
    """Remove a rule segment and its membership history (built-in segments stay)."""
    try:
        delete_segment(session=session, name=name)
    except SegmentNotFound as error:
        raise HTTPException(404, str(error)) from None
    except SegmentError as error:
        raise HTTPException(409, str(error)) from None


@router.get("/{name}/members", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_members(session: SessionDep, name: str, page: PageDep) -> Page[MemberRead]:
    """The segment's current members by customer id, one page."""
    try:
        members, total = current_members(
            session=session, name=name, limit=page.limit, offset=page.offset
        )
    except SegmentNotFound as error:
        raise HTTPException(404, str(error)) from None
    return Page(
        items=[MemberRead.model_validate(member) for member in members],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


# A segment that could not be evaluated says why in ``error``; the others leave it out.
@router.post("/refresh", dependencies=[Depends(allow(ANALYSE))], response_model_exclude_none=True)
def post_refresh(
    session: SessionDep, backend: WarehouseDep, body: SegmentRefreshRequest | None = None
) -> list[SegmentRefreshRead]:
    """Evaluate segments (all, or ``names``) at ``at`` (default now) and record the changes."""
    wanted = body or SegmentRefreshRequest()
    at = wanted.at or utcnow_to_the_second()
    try:
        found = refresh_segments(session=session, backend=backend, at=at, names=wanted.names)
    except SegmentNotFound as error:
        raise HTTPException(404, str(error)) from None
    except SegmentError as error:
        raise HTTPException(409, str(error)) from None
    return [SegmentRefreshRead.model_validate(result) for result in found]
