"""Users, API keys and the audit log: plain functions over a store session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from retain.auth.models import ApiKey, AuditEntry, User
from retain.auth.roles import Role
from retain.clock import utcnow
from retain.locales import LANGUAGES, normalise_language
from retain.store import migrated_session

KEY_PREFIX = "rtn"
MIN_PASSWORD_LENGTH = 10
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_hasher = PasswordHasher()


@cache
def _unknown_user_hash() -> str:
    """A real hash to verify against when the user does not exist: the timing stays the same."""
    # Made on first use, not at import: an argon2 hash takes a tenth of a second.
    return _hasher.hash(secrets.token_hex(16))


class AuthError(ValueError):
    """A request to the auth domain that cannot be carried out, with the reason."""


@dataclass(frozen=True)
class Principal:
    """Who is making a request: a signed-in user or an API key."""

    kind: str  # "user" or "key"
    name: str
    role: Role
    user_id: int | None = None
    key_id: int | None = None
    session_csrf: str | None = None  # set for cookie sessions, whose unsafe requests need it
    language: str | None = None  # the user's own choice of language; None follows the browser

    @property
    def label(self) -> str:
        """Who, unambiguously: user names are unique, key names need not be."""
        if self.key_id is not None:
            return f"key:{self.key_id}:{self.name}"
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class IssuedKey:
    """A new API key: the secret is in ``token`` and is never retrievable again."""

    id: int
    name: str
    role: Role
    token: str


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: Role,
    actor: str,
    language: str | None = None,
) -> User:
    """Add a user with an argon2 password hash; refuses short passwords and taken names.
    Without a ``language`` the dashboard follows the user's browser."""
    username = username.strip()
    chosen = normalise_language(language) if language is not None else None
    if language is not None and chosen is None:
        raise AuthError(f"language must be one of {', '.join(LANGUAGES)}")
    if not username:
        raise AuthError("username must not be empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if get_user(session=session, username=username) is not None:
        raise AuthError(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        role=role.value,
        language=chosen,
        active=True,
        session_epoch=0,
        created_at=utcnow(),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise AuthError(f"user {username!r} already exists") from None
    record(session=session, actor=actor, action="user.create", target=username, role=role.value)
    return user


def get_user(*, session: Session, username: str) -> User | None:
    """The user with this name, or None."""
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def list_users(*, session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def authenticate_user(*, session: Session, username: str, password: str) -> User | None:
    """The active user whose password matches, or None (same cost either way)."""
    user = get_user(session=session, username=username)
    stored = user.password_hash if user is not None and user.active else _unknown_user_hash()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def set_password(*, session: Session, username: str, password: str, actor: str) -> User:
    """Replace a user's password; every session they hold ends."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = get_user(session=session, username=username)
    if user is None:
        raise AuthError(f"no user {username!r}")
    user.password_hash = _hasher.hash(password)
    end_sessions(session=session, user=user)
    record(session=session, actor=actor, action="user.password", target=username)
    return user


def first_admin(*, session: Session, actor: str) -> tuple[str, str] | None:
    """When nobody can sign in yet, an ``admin`` user with a random password: (name, password)."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(12)
    create_user(session=session, username="admin", password=password, role=Role.admin, actor=actor)
    return "admin", password


def end_sessions(*, session: Session, user: User) -> None:
    """Invalidate every session cookie the user holds."""
    user.session_epoch += 1


def create_key(*, session: Session, name: str, role: Role, actor: str) -> IssuedKey:
    """Issue an API key; only its digest is stored."""
    prefix = secrets.token_hex(4)
    token = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name,
        prefix=prefix,
        digest=_digest(token),
        role=role.value,
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    record(session=session, actor=actor, action="key.create", target=f"{key.id}:{name}")
    return IssuedKey(id=key.id, name=name, role=role, token=token)


def revoke_key(*, session: Session, key_id: int, actor: str) -> ApiKey:
    """Revoke a key; requests with it are refused from now on."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise AuthError(f"no API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        _verified_keys.clear()
        record(session=session, actor=actor, action="key.revoke", target=f"{key.id}:{key.name}")
    return key


def list_keys(*, session: Session) -> list[ApiKey]:
    """Every API key (without secrets), newest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


@dataclass(frozen=True)
class VerifiedKey:
    id: int
    name: str
    role: Role


# Keys verified lately, by digest: most requests then skip the store. A revocation in this
# process clears it at once; one made by another process takes effect within KEY_CACHE_SECONDS.
KEY_CACHE_SECONDS = 5.0
_verified_keys: dict[str, tuple[float, VerifiedKey]] = {}


def verify_key(*, store_url: str, token: str) -> VerifiedKey | None:
    """The live key matching ``token``, from the recent-keys cache or the store."""
    digest, moment = _digest(token), time.monotonic()
    cached = _verified_keys.get(digest)
    if cached is not None and cached[0] > moment:
        return cached[1]
    with migrated_session(store_url) as session:
        key = authenticate_key(session=session, token=token)
        found = VerifiedKey(id=key.id, name=key.name, role=Role(key.role)) if key else None
    if found is not None:
        _verified_keys[digest] = (moment + KEY_CACHE_SECONDS, found)
    return found


def authenticate_key(*, session: Session, token: str) -> ApiKey | None:
    """The live key matching ``token``, with its last-used time refreshed; else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == parts[1])).one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.digest, _digest(token)):
        return None
    moment = utcnow()
    if key.last_used_at is None or moment - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = moment
    return key


def record(*, session: Session, actor: str, action: str, target: str, **detail: Any) -> None:
    """Append an audit entry."""
    session.add(AuditEntry(at=utcnow(), actor=actor, action=action, target=target, detail=detail))


def list_audit(
    *, session: Session, limit: int, offset: int, action: str | None = None
) -> tuple[list[AuditEntry], int]:
    """Audit entries, newest first, and how many match in all."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(page)), total


def _digest(token: str) -> str:
    # API keys carry 256 random bits, so a fast digest is safe, unlike for passwords.
    return hashlib.sha256(token.encode()).hexdigest()
