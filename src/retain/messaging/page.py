"""The customer's own pages, reached through signed links: unsubscribe and preferences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.locales import language_or_default, ui_text, vocab
from retain.messaging.consent import PREFERENCES, UNSUBSCRIBE, consents, sign_customer_link
from retain.settings import Settings

PAGES = Path(__file__).parent / "pages"
_environment = Environment(loader=FileSystemLoader(PAGES), autoescape=select_autoescape(["html"]))


def channel_names(settings: Settings) -> list[str]:
    """The channels a customer can switch on or off: email and each chat or SMS service."""
    return ["email", *sorted(settings.messaging.apprise_urls)]


def channel_choices(
    settings: Settings, *, session: Session, customer_id: str
) -> list[dict[str, Any]]:
    """Each channel with whether it is on for the customer (the configured default otherwise)."""
    recorded = {
        row.channel: row.granted for row in consents(session=session, customer_id=customer_id)
    }
    default = settings.messaging.consent_default == "opt-out"
    return [
        {"name": name, "granted": recorded.get(name, default)} for name in channel_names(settings)
    ]


def sample_links(settings: Settings, *, customer_id: str, language: str) -> dict[str, str]:
    """Working unsubscribe and preference links for a preview, made for the email channel."""
    base = settings.server.public_base_url.rstrip("/")
    links = {}
    for name, purpose, path in (
        ("unsubscribe_url", UNSUBSCRIBE, "unsubscribe"),
        ("preferences_url", PREFERENCES, "preferences"),
    ):
        token = sign_customer_link(
            secret=signing_key(settings),
            purpose=purpose,
            customer_id=customer_id,
            channel="email",
            language=language,
            at=utcnow(),
        )
        links[name] = f"{base}/m/{path}/{token}"
    return links


def render_unsubscribe(*, claims: dict[str, str], token: str, done: bool) -> str:
    """The unsubscribe page: a confirmation button, or the confirmation that it is done."""
    language = language_or_default(claims["l"])
    return _environment.get_template("unsubscribe.html").render(
        text=ui_text("message_preferences", language),
        language=language,
        token=token,
        done=done,
        channel=vocab(claims["ch"], "channel", language),
    )


def render_preferences(
    *, claims: dict[str, str], choices: list[dict[str, Any]], saved: bool
) -> str:
    """The preferences page with one toggle per channel."""
    language = language_or_default(claims["l"])
    labelled = [
        {**choice, "label": vocab(choice["name"], "channel", language)} for choice in choices
    ]
    return _environment.get_template("preferences.html").render(
        text=ui_text("message_preferences", language),
        language=language,
        choices=labelled,
        saved=saved,
    )
