"""The customer's own pages, reached through signed links: unsubscribe and preferences."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.dependencies import SessionDep, SettingsDep
from retain.locales import language_or_default, ui_text, vocab
from retain.messaging import consent, preferences
from retain.settings import Settings
from retain.web.rendering import render_html

router = APIRouter(tags=["messaging pages"])


@router.get("/m/unsubscribe/{token}", response_class=HTMLResponse)
def get_unsubscribe(settings: SettingsDep, token: str) -> HTMLResponse:
    """The confirmation page of an unsubscribe link."""
    claims = _claims(settings, consent.UNSUBSCRIBE, token)
    return HTMLResponse(render_unsubscribe(claims=claims, token=token, done=False))


@router.post("/m/unsubscribe/{token}", response_class=HTMLResponse)
def post_unsubscribe(settings: SettingsDep, session: SessionDep, token: str) -> HTMLResponse:
    """Unsubscribe at once: the confirmation button and RFC 8058 one-click POSTs alike."""
    claims = _claims(settings, consent.UNSUBSCRIBE, token)
    consent.set_consent(
        session=session,
        customer_id=claims["c"],
        channel=claims["ch"],
        granted=False,
        source="unsubscribe link",
        at=utcnow(),
    )
    return HTMLResponse(render_unsubscribe(claims=claims, token=token, done=True))


@router.get("/m/preferences/{token}", response_class=HTMLResponse)
def get_preferences(settings: SettingsDep, session: SessionDep, token: str) -> HTMLResponse:
    """Per-channel toggles for the customer who holds the link."""
    claims = _claims(settings, consent.PREFERENCES, token)
    choices = preferences.channel_choices(settings, session=session, customer_id=claims["c"])
    return HTMLResponse(render_preferences(claims=claims, choices=choices, saved=False))


@router.post("/m/preferences/{token}", response_class=HTMLResponse)
async def post_preferences(
    request: Request, settings: SettingsDep, session: SessionDep, token: str
) -> HTMLResponse:
    """Save the toggles: a ticked channel is granted, an unticked one revoked."""
    claims = _claims(settings, consent.PREFERENCES, token)
    ticked = set((await request.form()).getlist("channel"))
    for channel in preferences.channel_names(settings):
        consent.set_consent(
            session=session,
            customer_id=claims["c"],
            channel=channel,
            granted=channel in ticked,
            source="preferences page",
            at=utcnow(),
        )
    choices = preferences.channel_choices(settings, session=session, customer_id=claims["c"])
    return HTMLResponse(render_preferences(claims=claims, choices=choices, saved=True))


def _claims(settings: Settings, purpose: consent.Purpose, token: str) -> dict[str, str]:
    try:
        return consent.read_customer_link(
            secret=signing_key(settings), purpose=purpose, token=token, at=utcnow()
        )
    except consent.BadLink as error:
        raise HTTPException(status_code=403, detail=str(error)) from None


def render_unsubscribe(*, claims: dict[str, str], token: str, done: bool) -> str:
    """The unsubscribe page: a confirmation button, or the confirmation that it is done."""
    language = language_or_default(claims["l"])
    return render_html(
        "preferences/unsubscribe.html",
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
    return render_html(
        "preferences/preferences.html",
        text=ui_text("message_preferences", language),
        language=language,
        choices=labelled,
        saved=saved,
    )
