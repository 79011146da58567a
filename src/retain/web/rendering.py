"""The one Jinja environment of every page, staff and public, and the helper that renders them.

Every HTML template lives in ``web/templates/``: the staff dashboard's at the top level, each
public page group's in a folder named after its module in ``web/public/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from retain.locales.jinja import install_vocabulary

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def lang_query(params: Any, language: str) -> str:
    """The page's query string with ``lang`` set to ``language``."""
    kept = [(key, value) for key, value in params.multi_items() if key != "lang"]
    return urlencode([*kept, ("lang", language)])


# Sandboxed, because some templates are edited by users: none may reach Python's internals.
# Autoescaped, because pages show what customers and staff typed.
environment = SandboxedEnvironment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True)
environment.filters["lang_query"] = lang_query
install_vocabulary(environment)


def render_html(name: str, **context: Any) -> str:
    """The template ``name`` rendered with ``context``."""
    return environment.get_template(name).render(**context)


def render(name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` rendered with ``context`` as an HTML response."""
    return HTMLResponse(render_html(name, **context), status_code=status)
