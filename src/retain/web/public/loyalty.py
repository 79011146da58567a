"""The loyalty pages customers open: their member page (a signed, expiring link showing their
points, tier and rewards) and the landing page of a member's referral link."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.dependencies import SessionDep, SettingsDep, answering
from retain.locales import language_or_default, ui_text
from retain.loyalty import member_page, referrals
from retain.loyalty.ledger import LoyaltyError, NotAMember
from retain.loyalty.rules import Rules, RulesError
from retain.loyalty.service import load_rules
from retain.web.rendering import render_html

router = APIRouter(prefix="/loyalty", tags=["loyalty pages"])
# What the pages' reads may raise, as HTTP statuses.
ERROR_STATUSES: dict[type[Exception], int] = {NotAMember: 404, LoyaltyError: 409, RulesError: 409}


@router.get("/member/{token}", response_class=HTMLResponse)
def get_member_page(settings: SettingsDep, session: SessionDep, token: str) -> HTMLResponse:
    """The member's page, for whoever holds a valid signed link."""
    try:
        claims = member_page.read_link(secret=signing_key(settings), token=token, at=utcnow())
    except member_page.BadLink as error:
        raise HTTPException(status_code=403, detail=str(error)) from None
    with answering(ERROR_STATUSES):
        view = member_page.member_view(
            session=session,
            rules=load_rules(session=session),
            customer_id=claims.customer_id,
            at=utcnow(),
        )
    return HTMLResponse(render_member_page(view, language=claims.language))


@router.get("/r/{code}", response_class=HTMLResponse)
def get_referral_page(
    session: SessionDep, code: str, language: Literal["en", "zh-CN", "zh"] = "en"
) -> HTMLResponse:
    """The landing page of a member's referral link (the code itself is the credential)."""
    with answering(ERROR_STATUSES):
        referrer = referrals.find_referrer(session=session, code=code)
        if referrer is None:
            raise HTTPException(status_code=404, detail="unknown referral code")
        rules = load_rules(session=session)
    page_html = render_referral_page(rules=rules, code=code.upper(), language=language)
    return HTMLResponse(page_html)


def render_member_page(view: dict[str, Any], *, language: str) -> str:
    """The member page as HTML in ``language``."""
    language = language_or_default(language)
    return render_html(
        "loyalty/member.html", view=view, text=ui_text("member_page", language), language=language
    )


def render_referral_page(*, rules: Rules, code: str, language: str) -> str:
    """The landing page of a referral link: the friend's offer, without the referrer's data."""
    language = language_or_default(language)
    minimum = rules.referral.minimum_order
    return render_html(
        "loyalty/referral.html",
        text=ui_text("member_page", language),
        language=language,
        code=code,
        points=rules.referral.friend_points,
        minimum=minimum if minimum > 0 else None,
    )
