"""Every error answer in one shape: RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One invalid input: where it is (e.g. ``body.events.3.amount``) and what is wrong."""

    location: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem: ``detail`` says what went wrong in words a caller can act on."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


def install(app: FastAPI) -> None:
    """Answer HTTP errors and validation errors as problem details."""
    app.add_exception_handler(StarletteHTTPException, http_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_problem)  # type: ignore[arg-type]


def problem_body(
    request: Request, status: int, detail: str, *, errors: list[FieldError] | None = None
) -> dict[str, Any]:
    """The JSON body of a problem for ``request``."""
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return jsonable_encoder(problem, exclude_none=True)  # type: ignore[no-any-return]


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem-details response for ``request``."""
    return JSONResponse(
        problem_body(request, status, detail, errors=errors),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


async def http_problem(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """An HTTP error as a problem."""
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    return problem_response(request, error.status_code, detail, headers=error.headers)


async def validation_problem(request: Request, error: RequestValidationError) -> JSONResponse:
    """Invalid input as a problem that lists every invalid field."""
    errors = [_field_error(item) for item in error.errors()]
    first = errors[0] if errors else FieldError(location="request", message="invalid")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    detail = f"{first.location}: {first.message}{more}"
    return problem_response(request, 422, detail, errors=errors)


def _field_error(item: dict[str, Any]) -> FieldError:
    location = ".".join(str(part) for part in item.get("loc", ()))
    return FieldError(location=location or "request", message=str(item.get("msg", "invalid")))
