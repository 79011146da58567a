"""Dependency aliases shared by every router: settings, a store session, a warehouse connection."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from retain.settings import Settings, get_settings
from retain.store import migrated_session
from retain.warehouse.pool import pool_for

SettingsDep = Annotated[Settings, Depends(get_settings)]


def settings_for_request(request: Request, settings: SettingsDep) -> Settings:
    """The settings; unless set explicitly, ``public_base_url`` is where this request arrived."""
    if "public_base_url" in settings.server.model_fields_set:
        return settings
    return settings.replacing(server={"public_base_url": str(request.base_url).rstrip("/")})


# For answers that carry links the caller follows at once (the chat): they point back here.
RequestSettingsDep = Annotated[Settings, Depends(settings_for_request)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """A store session for one request: committed when it succeeds, rolled back otherwise."""
    with migrated_session(settings.storage.store_url) as session:
        yield session


# Scoped to the route function: the transaction commits before the answer is sent, so a failed
# commit is answered as an error and the caller's next request sees what this one wrote.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@contextmanager
def answering(statuses: Mapping[type[Exception], int]) -> Iterator[None]:
    """Domain errors raised inside become HTTP answers (and roll the request's session back).

    ``statuses`` maps error classes to HTTP status codes; the first class the error is an
    instance of decides, so list subclasses before their bases.
    """
    try:
        yield
    except tuple(statuses) as error:
        status = next(code for kind, code in statuses.items() if isinstance(error, kind))
        raise HTTPException(status_code=status, detail=str(error)) from None


def warehouse_backend(settings: SettingsDep) -> Iterator[BaseBackend]:
    """A warehouse connection for one request, from the process's pool."""
    pool = pool_for(
        settings.storage.resolved_warehouse_url, idle_seconds=settings.server.warehouse_idle_seconds
    )
    try:
        backend = pool.acquire()
    except Exception as error:  # a locked DuckDB file or a refused connection alike
        raise HTTPException(
            status_code=503,
            detail=f"the warehouse is busy or unreachable ({type(error).__name__}); retry shortly",
            headers={"Retry-After": "5"},
        ) from None
    try:
        yield backend
    except HTTPException:
        pool.release(backend)  # the request failed, not the connection
        raise
    except BaseException:
        pool.release(backend, broken=True)
        raise
    pool.release(backend)


WarehouseDep = Annotated[BaseBackend, Depends(warehouse_backend)]


NUL = "\x00"
NUL_PROBLEM = "contains a NUL character, which no text field can hold"


async def refuse_nul(request: Request) -> None:
    """Refuse a request whose text holds a NUL character, naming where: no store can keep one
    (PostgreSQL refuses it mid-transaction), so it is bad input, not a server error.

    Uploaded files may hold NUL bytes; the import that reads such a file locates a NUL itself.
    """
    places: list[tuple[str | int, ...]] = [
        ("query", name) for name, value in request.query_params.multi_items() if NUL in name + value
    ]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        places += [
            ("body", name)
            for name, value in form.multi_items()
            if NUL in name or (isinstance(value, str) and NUL in value)
        ]
    elif content_type.startswith("application/json"):
        places += _nul_places(await request.body())
    if places:
        raise RequestValidationError(
            [{"loc": place, "msg": NUL_PROBLEM, "type": "value_error"} for place in places[:10]]
        )


def _nul_places(body: bytes) -> list[tuple[str | int, ...]]:
    if b"\x00" not in body and b"\\u0000" not in body.lower():
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # FastAPI answers malformed JSON itself
    return list(_walk(document, ("body",)))


def _walk(value: Any, place: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str) and NUL in value:
        yield place
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from ((*place, key),) if NUL in key else _walk(item, (*place, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*place, index))
