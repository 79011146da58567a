"""An application on a fresh store and warehouse, with one API key per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from retain.api import create_app
from retain.auth.roles import Role
from retain.auth.service import create_key, create_user
from retain.settings import Settings
from retain.store import ensure_store, session_scope

PASSWORD = "a long enough password"


@pytest.fixture
def client(environment: Settings) -> Iterator[TestClient]:
    """A client of the application on ``environment``'s store and warehouse."""
    with TestClient(create_app(), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def tokens(environment: Settings) -> dict[Role, str]:
    """An API key for each role."""
    ensure_store(environment.storage.store_url)
    with session_scope(environment.storage.store_url) as session:
        return {
            role: create_key(
                session=session, name=f"{role.value} key", role=role, actor="test"
            ).token
            for role in Role
        }


@pytest.fixture
def users(environment: Settings) -> dict[Role, str]:
    """A dashboard user per role, named after the role, all with PASSWORD."""
    ensure_store(environment.storage.store_url)
    with session_scope(environment.storage.store_url) as session:
        for role in Role:
            create_user(
                session=session, username=role.value, password=PASSWORD, role=role, actor="test"
            )
    return {role: role.value for role in Role}


@pytest.fixture
def configure(environment: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set RETAIN_* variables for the apps a test makes; rate counters start from zero."""
    from retain.settings import get_settings

    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(f"RETAIN_{name.upper()}", value)
        # A storage URL of its own gives the test fresh in-memory counters.
        monkeypatch.setenv(
            "RETAIN_RATE_LIMIT_STORAGE", f"memory://?test={environment.storage.data_dir}"
        )
        get_settings.cache_clear()

    return apply


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
