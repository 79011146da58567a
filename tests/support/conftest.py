"""Shared fixtures: the API app with one key per role (tests/api), a real SMTP inbox (messaging)."""

from tests.api.conftest import client, configure, tokens, users
from tests.messaging.conftest import smtp_server

__all__ = ["client", "configure", "smtp_server", "tokens", "users"]
