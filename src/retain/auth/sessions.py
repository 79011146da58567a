"""Signed session cookies for the dashboard, and the CSRF token that rides in each session."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from retain.settings import Settings

SESSION_COOKIE = "retain_session"
LOGIN_CSRF_COOKIE = "retain_login_csrf"
SECRET_FILE = "secret.key"


@dataclass(frozen=True)
class SessionData:
    user_id: int
    epoch: int
    csrf: str


def signing_key(settings: Settings) -> str:
    """RETAIN_SECRET_KEY, or else a random key kept in ``<data dir>/secret.key`` (mode 0600)."""
    if settings.auth.secret_key is not None:
        return settings.auth.secret_key.get_secret_value()
    return _generated_key(settings.storage.data_dir.resolve())


@cache
def _generated_key(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker created it first: use theirs
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key(settings), salt=f"retain.{purpose}")


def issue_session(settings: Settings, *, user_id: int, epoch: int) -> tuple[str, SessionData]:
    """A signed cookie value for a new session, and what it holds."""
    data = SessionData(user_id=user_id, epoch=epoch, csrf=secrets.token_urlsafe(24))
    value = _serializer(settings, "session").dumps([data.user_id, data.epoch, data.csrf])
    return value, data


def read_session(settings: Settings, cookie: str) -> SessionData | None:
    """The session a cookie holds, or None when it is forged, altered or expired."""
    try:
        user_id, epoch, csrf = _serializer(settings, "session").loads(
            cookie, max_age=settings.auth.session_hours * 3600
        )
    except (BadSignature, ValueError, TypeError):
        return None
    return SessionData(user_id=int(user_id), epoch=int(epoch), csrf=str(csrf))


def issue_login_token(settings: Settings) -> str:
    """A signed token for the sign-in form (double-submitted as cookie and form field)."""
    return _serializer(settings, "login").dumps(secrets.token_urlsafe(16))


def login_token_valid(settings: Settings, *, cookie: str | None, form: str | None) -> bool:
    """Whether the sign-in form carries the token its cookie was issued with."""
    if not cookie or not form or not secrets.compare_digest(cookie, form):
        return False
    try:
        _serializer(settings, "login").loads(form, max_age=3600)
    except BadSignature:
        return False
    return True
