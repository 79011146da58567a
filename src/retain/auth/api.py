"""``/api/v1/users``, ``/api/v1/keys``, ``/api/v1/audit`` (admins) and ``/api/v1/me``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from retain.auth import service
from retain.auth.dependencies import SettingsDep, allow
from retain.auth.roles import ADMINISTER, Role
from retain.auth.schemas import AuditRead, KeyCreate, KeyIssued, KeyRead, Me, UserCreate, UserRead
from retain.auth.service import AuthError, Principal
from retain.pagination import Page, PageDep, PageRequest
from retain.store import ensure_store, session_scope

router = APIRouter(prefix="/api/v1", tags=["auth"])
Admin = Annotated[Principal, Depends(allow(ADMINISTER))]
Anyone = Annotated[Principal, Depends(allow(frozenset(Role)))]


@router.get("/me")
def get_me(principal: Anyone) -> Me:
    """Who the credentials belong to and their role."""
    return Me(kind=principal.kind, name=principal.name, role=principal.role)


@router.get("/users")
def get_users(settings: SettingsDep, _: Admin, page: PageDep) -> Page[UserRead]:
    """Dashboard users, by name."""
    ensure_store(settings.store_url)
    with session_scope(settings.store_url) as session:
        users = [UserRead.model_validate(user) for user in service.list_users(session=session)]
    return _page(users, page)


@router.post("/users", status_code=201)
def post_user(body: UserCreate, settings: SettingsDep, principal: Admin) -> UserRead:
    """Create a dashboard user."""
    ensure_store(settings.store_url)
    try:
        with session_scope(settings.store_url) as session:
            user = service.create_user(
                session=session,
                username=body.username,
                password=body.password,
                role=body.role,
                language=body.language,
                actor=principal.label,
            )
            return UserRead.model_validate(user)
    except AuthError as error:
        raise HTTPException(status_code=409, detail=str(error)) from None


@router.get("/keys")
def get_keys(settings: SettingsDep, _: Admin, page: PageDep) -> Page[KeyRead]:
    """API keys without their secrets, newest first."""
    ensure_store(settings.store_url)
    with session_scope(settings.store_url) as session:
        keys = [KeyRead.model_validate(key) for key in service.list_keys(session=session)]
    return _page(keys, page)


def _page(items: list[Any], page: PageRequest) -> Page[Any]:
    # Users and keys number in the tens: paging the list in memory keeps the store query simple.
    window = items[page.offset : page.offset + page.limit]
    return Page(items=window, total=len(items), limit=page.limit, offset=page.offset)


@router.post("/keys", status_code=201)
def post_key(body: KeyCreate, settings: SettingsDep, principal: Admin) -> KeyIssued:
    """Issue an API key; the token in the answer is shown only this once."""
    ensure_store(settings.store_url)
    with session_scope(settings.store_url) as session:
        issued = service.create_key(
            session=session, name=body.name, role=body.role, actor=principal.label
        )
    return KeyIssued(id=issued.id, name=issued.name, role=issued.role, token=issued.token)


@router.delete("/keys/{key_id}")
def delete_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], settings: SettingsDep, principal: Admin
) -> KeyRead:
    """Revoke an API key."""
    ensure_store(settings.store_url)
    try:
        with session_scope(settings.store_url) as session:
            key = service.revoke_key(session=session, key_id=key_id, actor=principal.label)
            return KeyRead.model_validate(key)
    except AuthError as error:
        raise HTTPException(status_code=404, detail=str(error)) from None


@router.get("/audit")
def get_audit(
    settings: SettingsDep,
    _: Admin,
    page: PageDep,
    action: Annotated[str | None, Query(description="Only entries of this action.")] = None,
) -> Page[AuditRead]:
    """The audit log, newest first."""
    ensure_store(settings.store_url)
    with session_scope(settings.store_url) as session:
        entries, total = service.list_audit(
            session=session, limit=page.limit, offset=page.offset, action=action
        )
        items = [AuditRead.model_validate(entry) for entry in entries]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
