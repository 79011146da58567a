"""Message templates: YAML files shipped in ``messages/``, overridable in the store.

Templates are rendered in Jinja2's sandbox: an analyst may edit them through the API, so a
template must not reach Python internals (``''.__class__.__mro__`` and the like raise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Template, TemplateError, Undefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.locales import DEFAULT_LANGUAGE, LANGUAGES, language_or_default, normalise_language
from retain.messaging.models import MessageTemplate
from retain.sandbox import BoundedSandbox, load_yaml, render_bounded

TEMPLATES = Path(__file__).parent / "messages"
PARTS = ("subject", "text", "html")

# Text parts (subject, plain text, chat) are not HTML: escaping them would show &amp; to people.
_text_environment = BoundedSandbox(autoescape=False, undefined=Undefined)
_html_environment = BoundedSandbox(autoescape=True, undefined=Undefined)


class TemplateProblem(ValueError):
    """A template that is missing, malformed, or fails to render."""


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready for a channel: subject, plain text and optional HTML."""

    template: str
    language: str
    subject: str
    text: str
    html: str | None


def shipped_names() -> list[str]:
    """Names of the templates shipped as files."""
    return sorted(path.stem for path in TEMPLATES.glob("*.yaml"))


def list_templates(*, session: Session) -> list[dict[str, Any]]:
    """Every template, shipped or stored, with its languages and whether it is overridden."""
    stored = set(session.scalars(select(MessageTemplate.name)))
    rows = []
    for name in sorted(stored | set(shipped_names())):
        spec = load_template(session=session, name=name)
        rows.append(
            {
                "name": name,
                "description": spec.get("description", ""),
                "languages": sorted(spec["languages"]),
                "overridden": name in stored,
            }
        )
    return rows


def load_template(*, session: Session, name: str) -> dict[str, Any]:
    """The template's parsed YAML: the stored override, else the shipped file."""
    override = session.get(MessageTemplate, name)
    if override is not None:
        return parse_template(override.source)
    path = TEMPLATES / f"{name}.yaml"
    if not name.replace("-", "").replace("_", "").isalnum() or not path.is_file():
        raise TemplateProblem(f"no template named {name!r}")
    return parse_template(path.read_text(encoding="utf-8"))


def parse_template(source: str) -> dict[str, Any]:
    """The checked content of a template's YAML: languages each with subject and text."""
    try:
        spec = load_yaml(source)
    except yaml.YAMLError as error:
        raise TemplateProblem(f"the template is not valid YAML: {error}") from None
    languages = spec.get("languages") if isinstance(spec, dict) else None
    if not isinstance(languages, dict):
        raise TemplateProblem("a template needs languages with at least 'en'")
    spec["languages"] = _by_language_tag(languages)
    if DEFAULT_LANGUAGE not in spec["languages"]:
        raise TemplateProblem("a template needs languages with at least 'en'")
    for language, parts in spec["languages"].items():
        if not isinstance(parts.get("subject"), str) or not isinstance(parts.get("text"), str):
            raise TemplateProblem(f"language {language!r} needs a subject and a text")
        for part in PARTS:
            if part in parts:
                _compile(part, parts[part])  # a syntax error shows when saving, not sending
    return spec


def _by_language_tag(languages: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    """The template's parts keyed by BCP 47 tag: overrides saved before the tags say ``zh``."""
    tagged: dict[str, dict[str, Any]] = {}
    for written, parts in languages.items():
        language = normalise_language(written)
        if language is None or not isinstance(parts, dict):
            raise TemplateProblem(f"language {written!r} is not one of {', '.join(LANGUAGES)}")
        if language in tagged:
            raise TemplateProblem(f"language {language!r} is written twice")
        tagged[language] = parts
    return tagged


def delete_override(*, session: Session, name: str) -> bool:
    """Remove the stored edit of template ``name`` (the shipped file applies again); whether
    there was one."""
    found = session.get(MessageTemplate, name)
    if found is not None:
        session.delete(found)
        session.flush()
    return found is not None


def save_override(*, session: Session, name: str, source: str, at: datetime) -> dict[str, Any]:
    """Store an edited template under ``name``; it replaces the shipped file from now on."""
    spec = parse_template(source)
    found = session.get(MessageTemplate, name)
    if found is None:
        session.add(MessageTemplate(name=name, source=source, updated_at=at))
    else:
        found.source, found.updated_at = source, at
    return spec


def render(
    *, session: Session, template: str, language: str, context: dict[str, Any]
) -> RenderedMessage:
    """The template rendered in ``language``, or in English when it lacks that language."""
    spec = load_template(session=session, name=template)
    return render_spec(spec, name=template, language=language, context=context)


def render_spec(
    spec: dict[str, Any], *, name: str, language: str, context: dict[str, Any]
) -> RenderedMessage:
    """Render a parsed template; the worker calls this with a spec it loaded once per pass."""
    chosen = language_or_default(language)
    chosen = chosen if chosen in spec["languages"] else DEFAULT_LANGUAGE
    parts = spec["languages"][chosen]
    try:
        html = _render("html", parts, context) if parts.get("html") else None
        return RenderedMessage(
            template=name,
            language=chosen,
            subject=_render("subject", parts, context).strip(),
            text=_render("text", parts, context),
            html=html,
        )
    except TemplateError as error:  # includes SecurityError from the sandbox
        raise TemplateProblem(f"template {name!r} failed to render: {error}") from None


def _render(part: str, parts: dict[str, str], context: dict[str, Any]) -> str:
    return render_bounded(_compile(part, parts[part]), context)


@lru_cache(maxsize=512)
def _compile(part: str, source: str) -> Template:
    # Compiling costs far more than rendering; a pass renders thousands of one template.
    environment = _html_environment if part == "html" else _text_environment
    try:
        return environment.from_string(source)
    except TemplateError as error:
        raise TemplateProblem(f"the {part} part does not compile: {error}") from None
