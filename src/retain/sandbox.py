"""Reading what users write: YAML and Jinja templates, bounded so that none can exhaust the server.

Analysts save playbooks, rules and message templates through the API. The Jinja sandbox stops
attribute escapes but not resource exhaustion: a 479-byte YAML alias bomb expands to hundreds of
megabytes, and ``{{ 'a' * 100000000 }}`` renders 100 MB. Here YAML aliases are refused (no
configuration needs them), nesting and size are bounded, and templates render within a budget.
"""

from __future__ import annotations

import operator
from typing import Any

import yaml
from jinja2 import Template
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

MAX_YAML_CHARACTERS = 1_000_000
MAX_YAML_DEPTH = 64
MAX_RENDERED_CHARACTERS = 1_000_000


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases and with bounded nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted: write the value out", mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str) -> Any:
    """The YAML document in ``text``; :class:`yaml.YAMLError` for aliases, depth or size."""
    if len(text) > MAX_YAML_CHARACTERS:
        raise yaml.YAMLError(f"longer than {MAX_YAML_CHARACTERS:,} characters")
    return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with ``*`` and ``**`` unable to build huge strings, lists or numbers."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > 1_000:
                raise SecurityError("the exponent is too large")
            return operator.pow(left, right)
        for sequence, times in ((left, right), (right, left)):
            repeated = isinstance(sequence, str | list | tuple) and isinstance(times, int)
            if repeated and len(sequence) * times > MAX_RENDERED_CHARACTERS:
                raise SecurityError("the repeated text would be too long")
        return operator.mul(left, right)


def render_bounded(template: Template, context: dict[str, Any]) -> str:
    """``template`` rendered, refused with :class:`SecurityError` past the output budget."""
    parts: list[str] = []
    size = 0
    for part in template.generate(context):
        size += len(part)
        if size > MAX_RENDERED_CHARACTERS:
            raise SecurityError(f"the output would be longer than {MAX_RENDERED_CHARACTERS:,}")
        parts.append(part)
    return "".join(parts)
