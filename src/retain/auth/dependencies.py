"""FastAPI dependencies: who is asking (API key or session cookie) and whether their role may."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from retain.auth import service
from retain.auth.models import User
from retain.auth.roles import Role
from retain.auth.service import Principal
from retain.auth.sessions import SESSION_COOKIE, read_session
from retain.dependencies import SettingsDep
from retain.settings import Settings
from retain.store import migrated_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"

# Declared as security schemes so that /docs offers both ways to authenticate.
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer rtn_...`")
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


def identify(
    request: Request,
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_key_header)],
) -> Principal | None:
    """The caller, from an API key header or a session cookie; None when anonymous."""
    token = bearer.credentials if bearer is not None else header_key
    if token:
        return _principal_from_key(settings, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    return _principal_from_session(settings, cookie) if cookie else None


def allow(roles: Collection[Role]) -> Callable[..., Principal]:
    """A dependency admitting only ``roles``: 401 for anonymous callers, 403 for other roles."""
    admitted = frozenset(roles)
    names = ", ".join(sorted(role.value for role in admitted))

    def require(
        request: Request, principal: Annotated[Principal | None, Depends(identify)]
    ) -> Principal:
        if principal is None:
            raise HTTPException(
                status_code=401,
                detail="authentication required: send an API key or sign in",
                headers={"WWW-Authenticate": 'Bearer realm="retain"'},
            )
        if principal.role not in admitted:
            raise HTTPException(
                status_code=403,
                detail=f"role {principal.role.value!r} may not do this; it needs one of: {names}",
            )
        if principal.session_csrf is not None and request.method not in SAFE_METHODS:
            check_csrf(request.headers.get(CSRF_HEADER), principal)
        request.state.principal = principal
        return principal

    return require


CurrentUser = Annotated[Principal, Depends(allow(frozenset(Role)))]
"""Whoever is signed in or holds an API key, whatever their role (401 for anonymous callers)."""


def check_csrf(sent: str | None, principal: Principal) -> None:
    """Refuse a state-changing cookie request that lacks its session's CSRF token."""
    if not sent or not secrets.compare_digest(sent, principal.session_csrf or ""):
        raise HTTPException(
            status_code=403, detail="missing or wrong CSRF token; reload the page and try again"
        )


def _principal_from_key(settings: Settings, token: str) -> Principal:
    key = service.verify_key(store_url=settings.storage.store_url, token=token)
    if key is None:
        raise HTTPException(
            status_code=401,
            detail="invalid or revoked API key",
            headers={"WWW-Authenticate": 'Bearer realm="retain", error="invalid_token"'},
        )
    return Principal(kind="key", name=key.name, role=key.role, key_id=key.id)


def _principal_from_session(settings: Settings, cookie: str) -> Principal | None:
    data = read_session(settings, cookie)
    if data is None:
        return None
    with migrated_session(settings.storage.store_url) as session:
        user = session.get(User, data.user_id)
        if user is None or not user.active or user.session_epoch != data.epoch:
            return None
        return Principal(
            kind="user",
            name=user.username,
            role=Role(user.role),
            user_id=user.id,
            session_csrf=data.csrf,
            language=user.language,
        )
