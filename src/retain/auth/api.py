"""``/api/v1/users``, ``/api/v1/keys``, ``/api/v1/audit`` (admins) and ``/api/v1/me``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from retain.auth import service
from retain.auth.dependencies import CurrentUser, allow
from retain.auth.roles import ADMINISTER
from retain.auth.schemas import AuditRead, KeyCreate, KeyIssued, KeyRead, Me, UserCreate, UserRead
from retain.auth.service import AuthError, Principal
from retain.dependencies import SessionDep, answering
from retain.pagination import Page, PageDep, page_of

router = APIRouter(prefix="/api/v1", tags=["auth"])
Admin = Annotated[Principal, Depends(allow(ADMINISTER))]


@router.get("/me")
def get_me(principal: CurrentUser) -> Me:
    """Who the credentials belong to and their role."""
    return Me(kind=principal.kind, name=principal.name, role=principal.role)


@router.get("/users")
def get_users(session: SessionDep, _: Admin, page: PageDep) -> Page[UserRead]:
    """Dashboard users, by name."""
    users = [UserRead.model_validate(user) for user in service.list_users(session=session)]
    return page_of(users, page)


@router.post("/users", status_code=201)
def post_user(body: UserCreate, session: SessionDep, principal: Admin) -> UserRead:
    """Create a dashboard user."""
    with answering({AuthError: 409}):
        user = service.create_user(
            session=session,
            username=body.username,
            password=body.password,
            role=body.role,
            language=body.language,
            actor=principal.label,
        )
    return UserRead.model_validate(user)


@router.get("/keys")
def get_keys(session: SessionDep, _: Admin, page: PageDep) -> Page[KeyRead]:
    """API keys without their secrets, newest first."""
    keys = [KeyRead.model_validate(key) for key in service.list_keys(session=session)]
    return page_of(keys, page)


@router.post("/keys", status_code=201)
def post_key(body: KeyCreate, session: SessionDep, principal: Admin) -> KeyIssued:
    """Issue an API key; the token in the answer is shown only this once."""
    issued = service.create_key(
        session=session, name=body.name, role=body.role, actor=principal.label
    )
    return KeyIssued(id=issued.id, name=issued.name, role=issued.role, token=issued.token)


@router.delete("/keys/{key_id}")
def delete_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, principal: Admin
) -> KeyRead:
    """Revoke an API key."""
    with answering({AuthError: 404}):
        key = service.revoke_key(session=session, key_id=key_id, actor=principal.label)
    return KeyRead.model_validate(key)


@router.get("/audit")
def get_audit(
    session: SessionDep,
    _: Admin,
    page: PageDep,
    action: Annotated[str | None, Query(description="Only entries of this action.")] = None,
) -> Page[AuditRead]:
    """The audit log, newest first."""
    entries, total = service.list_audit(
        session=session, limit=page.limit, offset=page.offset, action=action
    )
    items = [AuditRead.model_validate(entry) for entry in entries]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
