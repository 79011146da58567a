"""One Jinja environment renders every page: sandboxed, autoescaped, its templates in one folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

import retain
from retain.locales import ui_text
from retain.web.rendering import TEMPLATES_DIR, environment, render_html

SOURCES = Path(retain.__file__).parent
# Messages are rendered apart, by the bounded sandbox: text and HTML with their own escaping,
# not pages.
MESSAGE_RENDERERS = {
    SOURCES / "sandbox.py",
    SOURCES / "messaging" / "templates.py",
    SOURCES / "support" / "canned.py",
}


def test_what_a_customer_typed_is_escaped() -> None:
    page = environment.from_string("<p>{{ comment }}</p>").render(comment="<script>x</script>")
    assert page == "<p>&lt;script&gt;x&lt;/script&gt;</p>"


def test_a_template_cannot_reach_python_internals() -> None:
    with pytest.raises(SecurityError):
        environment.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


def test_the_vocabulary_filter_speaks_the_page_language() -> None:
    template = environment.from_string('{{ "paid"|vocab("order_status") }}')
    assert template.render(lang="zh-CN") != template.render(lang="en")


def test_every_html_template_lives_in_the_web_templates_folder() -> None:
    stray = [
        path
        for path in SOURCES.rglob("*.html")
        if TEMPLATES_DIR not in path.parents and "static" not in path.parts
    ]
    assert stray == []


def test_every_template_compiles() -> None:
    for path in TEMPLATES_DIR.rglob("*.html"):
        environment.get_template(path.relative_to(TEMPLATES_DIR).as_posix())


def test_no_page_builds_its_own_jinja_environment() -> None:
    building = re.compile(r"(Environment|Jinja2Templates|BoundedSandbox)\(")
    found = {
        path for path in SOURCES.rglob("*.py") if building.search(path.read_text(encoding="utf-8"))
    }
    assert found == {SOURCES / "web" / "rendering.py", *MESSAGE_RENDERERS}


def test_render_html_fills_a_public_page() -> None:
    page = render_html(
        "reorder/reorder.html", items=[], language="en", text=ui_text("reorder_page", "en")
    )
    assert "<html" in page
