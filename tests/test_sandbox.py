"""User-written YAML and templates cannot exhaust the server; ordinary ones work as before."""

from __future__ import annotations

import pytest
import yaml
from jinja2.exceptions import SecurityError

from retain.messaging.templates import TemplateProblem, parse_template, render_spec
from retain.sandbox import BoundedSandbox, load_yaml, render_bounded

ALIAS_BOMB = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
languages: {en: {subject: "hi", text: "{{ g }}"}}
"""


def test_an_alias_bomb_is_refused_naming_the_line() -> None:
    with pytest.raises(yaml.YAMLError, match="aliases") as raised:
        load_yaml(ALIAS_BOMB)
    assert "line 3" in str(raised.value)


def test_a_template_built_on_aliases_is_refused_when_saved() -> None:
    with pytest.raises(TemplateProblem, match="aliases"):
        parse_template(ALIAS_BOMB)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(yaml.YAMLError, match="nested deeper"):
        load_yaml("[" * 500 + "]" * 500)


def test_ordinary_yaml_reads_as_before() -> None:
    text = "name: win-back\nsteps:\n  - {id: offer, send: {channel: email}}\nholdout: 0.1\n"
    assert load_yaml(text) == yaml.safe_load(text)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 100000000 }}",
        "{{ 100000000 * 'a' }}",
        "{{ [1] * 100000000 }}",
        "{{ 2 ** 10000000 }}",
        "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
    ],
)
def test_a_template_cannot_render_an_enormous_message(source: str) -> None:
    template = BoundedSandbox().from_string(source)
    with pytest.raises(SecurityError):
        render_bounded(template, {})


def test_a_message_template_that_would_explode_fails_to_render_with_a_problem() -> None:
    spec = parse_template("languages: {en: {subject: hi, text: \"{{ 'a' * 100000000 }}\"}}")
    with pytest.raises(TemplateProblem, match="failed to render"):
        render_spec(spec, name="huge", language="en", context={})


def test_ordinary_templates_render_as_before() -> None:
    spec = parse_template(
        "languages: {en: {subject: 'Hi {{ name }}', text: '{{ \"-\" * 3 }} {{ 2 ** 3 }}'}}"
    )
    message = render_spec(spec, name="ok", language="en", context={"name": "Ann"})
    assert (message.subject, message.text) == ("Hi Ann", "--- 8")
