"""The API fixtures (an app on a fresh store, one key per role), shared with tests/api."""

from tests.api.conftest import client, configure, tokens, users

__all__ = ["client", "configure", "tokens", "users"]
