"""The ``vocab`` filter for Jinja environments: ``{{ order.status|vocab("order_status") }}``."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from retain.locales import vocab


@pass_context
def vocab_filter(context: Context, value: Any, kind: str, name: bool = False) -> str:
    """The value's word in the page's language (``lang`` or ``language`` in the context)."""
    language = context.get("lang") or context.get("language") or "en"
    return vocab(value, kind, str(language), name=name)


def install_vocabulary(environment: Environment) -> None:
    """Make ``vocab`` available to the environment's templates."""
    environment.filters["vocab"] = vocab_filter
