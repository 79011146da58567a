"""The API fixtures (an application, a key per role, RETAIN_* settings) for the returns tests."""

from tests.api.conftest import client, configure, tokens

__all__ = ["client", "configure", "tokens"]
