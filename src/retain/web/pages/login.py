"""Signing in and out of the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from retain.auth import service as auth_service
from retain.auth.dependencies import check_csrf
from retain.auth.ratelimit import enforce
from retain.auth.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    issue_login_token,
    issue_session,
    login_token_valid,
)
from retain.dependencies import SettingsDep
from retain.locales import ui_text
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.web.access import Reader
from retain.web.pages.base import page_language, render_page

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return _login_form(request, settings, next_path=next)


def _login_form(
    request: Request, settings: Settings, *, next_path: str, error: str | None = None
) -> HTMLResponse:
    token = issue_login_token(settings)
    response = render_page(
        request,
        "login.html",
        status=401 if error else 200,
        token=token,
        next_path=_safe_next(next_path),
        error=error,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=512)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Check the password; on success set the session cookie and go where the user was going."""
    client = request.client.host if request.client else "unknown"
    enforce(
        storage_url=settings.server.rate_limit_storage,
        limit=settings.auth.login_rate_limit,
        scope="sign-in",
        key=f"{client}:{username.lower()}",
    )
    t = ui_text("dashboard", page_language(request))
    if not login_token_valid(
        settings, cookie=request.cookies.get(LOGIN_CSRF_COOKIE), form=csrf_token
    ):
        return _login_form(request, settings, next_path=next, error=t["bad_form"])
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        user = auth_service.authenticate_user(session=session, username=username, password=password)
        outcome = "user.sign_in" if user else "user.sign_in_failed"
        auth_service.record(
            session=session, actor=f"user:{username}", action=outcome, target=client
        )
        ticket = (
            issue_session(settings, user_id=user.id, epoch=user.session_epoch) if user else None
        )
    if ticket is None:
        return _login_form(request, settings, next_path=next, error=t["bad_login"])
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        ticket[0],
        max_age=settings.auth.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    settings: SettingsDep,
    principal: Reader,
    csrf_token: Annotated[str, Form(max_length=512)],
) -> RedirectResponse:
    """End every session of the user (the cookie alone is not trusted to be forgotten)."""
    check_csrf(csrf_token, principal)
    with session_scope(settings.storage.store_url) as session:
        user = auth_service.get_user(session=session, username=principal.name)
        if user is not None:
            auth_service.end_sessions(session=session, user=user)
            auth_service.record(
                session=session, actor=principal.label, action="user.sign_out", target=user.username
            )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _safe_next(path: str) -> str:
    # Only paths on this site: "//host" and "http://host" would send the user elsewhere.
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/"
