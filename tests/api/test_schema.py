"""Schemathesis against the OpenAPI schema: whatever the inputs, no server errors."""

from __future__ import annotations

from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error

from retain.api import create_app
from retain.auth.roles import Role
from retain.settings import Settings, StorageSettings
from tests.api.conftest import auth

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(api_docs=True))


@pytest.fixture
def settings_for_schema(tmp_path: Path) -> Settings:
    return Settings(
        storage=StorageSettings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'retain.db'}",
            warehouse_url=f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        )
    )


@pytest.fixture
def settings(settings_for_schema: Settings) -> Settings:
    """The embedded store only: the generated inputs, not the backend, are under test here."""
    return settings_for_schema


@schema.parametrize()
# Derandomized: the same cases every run, so a CI failure can be replayed.
@hypothesis.settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_no_input_makes_the_server_fail(case: schemathesis.Case, tokens: dict[Role, str]) -> None:
    response = case.call(headers=auth(tokens[Role.admin]))
    case.validate_response(response, checks=(not_a_server_error,))
