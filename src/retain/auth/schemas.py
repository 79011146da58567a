"""Request and response bodies of the auth routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from retain.auth.roles import Role


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=10, max_length=1024)
    role: Role
    # Without a language the dashboard follows the user's browser.
    language: str | None = Field(default=None, pattern="^(en|zh-CN)$")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    language: str | None
    active: bool
    created_at: datetime


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    role: Role


class KeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: Role
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyIssued(BaseModel):
    """The new key; ``token`` is shown this once and cannot be retrieved again."""

    id: int
    name: str
    role: Role
    token: str


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class Me(BaseModel):
    kind: str
    name: str
    role: Role
