"""Errors on pages are pages: a person who follows a link or submits a form reads an error page
in their language, never a JSON body. ``/api/`` and the other machine routes keep RFC 9457
problem details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from retain import problem_details

# Routes that machines call: they answer errors as application/problem+json.
MACHINE_PREFIXES = ("/api/", "/health", "/docs", "/redoc")
# Where the invalid value was: query strings, path parts and form fields name it for a person.
NAMED_LOCATIONS = frozenset({"query", "path", "body", "header", "cookie"})

ErrorPage = Callable[[Request, int, list[str], Mapping[str, str] | None], HTMLResponse]

MESSAGE_KEYS = {
    400: "error_invalid",
    401: "error_unauthorized",
    403: "error_forbidden",
    404: "error_not_found",
    410: "error_gone",
    413: "error_too_large",
    422: "error_invalid",
    429: "error_too_many",
    500: "error_internal",
    503: "error_unavailable",
}


def message_key(status: int) -> str:
    """The key of the ``errors`` text section that says what went wrong for ``status``."""
    return MESSAGE_KEYS.get(status, "error_other")


def shows_page(request: Request) -> bool:
    """Whether the request came from a person on a page rather than a program on the API."""
    return not request.url.path.startswith(MACHINE_PREFIXES)


def invalid_fields(error: RequestValidationError) -> list[str]:
    """The names a person typed or saw (``from``, ``period``), once each, in order."""
    names: list[str] = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        name = location[1] if len(location) > 1 and location[0] in NAMED_LOCATIONS else ""
        if name and name not in names:
            names.append(name)
    return names


def install(app: FastAPI, page: ErrorPage) -> None:
    """Answer errors on pages with ``page``; the API keeps its problem details."""

    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        if not shows_page(request):
            return await problem_details.http_problem(request, error)
        return page(request, error.status_code, [], error.headers)

    async def on_invalid_input(request: Request, error: RequestValidationError) -> Response:
        if not shows_page(request):
            return await problem_details.validation_problem(request, error)
        return page(request, 422, invalid_fields(error), None)

    async def on_crash(request: Request, _error: Exception) -> Response:
        # Starlette still re-raises the error after this answer, so it is logged as before.
        if not shows_page(request):
            return problem_details.problem_response(request, 500, "an internal error occurred")
        return page(request, 500, [], None)

    handlers: dict[Any, Any] = {
        StarletteHTTPException: on_http_error,
        RequestValidationError: on_invalid_input,
        Exception: on_crash,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
