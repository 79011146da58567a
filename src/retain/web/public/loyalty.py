"""The loyalty pages customers open: their member page (a signed, expiring link showing their
points, tier and rewards) and the landing page of a member's referral link."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from retain.auth.sessions import signing_key
from retain.dependencies import SettingsDep, store_answering
from retain.locales import language_or_default
from retain.loyalty import member_page, referrals
from retain.loyalty.ledger import LoyaltyError, NotAMember, utcnow
from retain.loyalty.rules import Rules, RulesError
from retain.loyalty.service import load_rules
from retain.web.rendering import render_html

router = APIRouter(prefix="/loyalty", tags=["loyalty pages"])
# What the pages' reads may raise, as HTTP statuses.
ERROR_STATUSES: dict[type[Exception], int] = {NotAMember: 404, LoyaltyError: 409, RulesError: 409}


@router.get("/member/{token}", response_class=HTMLResponse)
def get_member_page(settings: SettingsDep, token: str) -> HTMLResponse:
    """The member's page, for whoever holds a valid signed link."""
    try:
        claims = member_page.read_link(secret=signing_key(settings), token=token, at=utcnow())
    except member_page.BadLink as error:
        raise HTTPException(status_code=403, detail=str(error)) from None
    with store_answering(settings, ERROR_STATUSES) as session:
        view = member_page.member_view(
            session=session,
            rules=load_rules(session=session),
            customer_id=claims.customer_id,
            at=utcnow(),
        )
    return HTMLResponse(render_member_page(view, language=claims.language))


@router.get("/r/{code}", response_class=HTMLResponse)
def get_referral_page(
    settings: SettingsDep, code: str, language: Literal["en", "zh-CN", "zh"] = "en"
) -> HTMLResponse:
    """The landing page of a member's referral link (the code itself is the credential)."""
    with store_answering(settings, ERROR_STATUSES) as session:
        referrer = referrals.find_referrer(session=session, code=code)
        if referrer is None:
            raise HTTPException(status_code=404, detail="unknown referral code")
        rules = load_rules(session=session)
    page_html = render_referral_page(rules=rules, code=code.upper(), language=language)
    return HTMLResponse(page_html)


def render_member_page(view: dict[str, Any], *, language: str) -> str:
    """The member page as HTML in ``language``."""
    language = language_or_default(language)
    return render_html("loyalty/member.html", view=view, text=TEXT[language], language=language)


def render_referral_page(*, rules: Rules, code: str, language: str) -> str:
    """The landing page of a referral link: the friend's offer, without the referrer's data."""
    language = language_or_default(language)
    minimum = rules.referral.minimum_order
    return render_html(
        "loyalty/referral.html",
        text=TEXT[language],
        language=language,
        code=code,
        points=rules.referral.friend_points,
        minimum=minimum if minimum > 0 else None,
    )


TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your rewards",
        "available": "Points available",
        "pending": "Pending (after the return window)",
        "tier": "Tier",
        "no_tier": "No tier yet",
        "next": "To reach {tier}: {needed} more",
        "top": "You are in the highest tier",
        "free_shipping": "Free shipping",
        "history": "History",
        "rewards": "Rewards",
        "affordable": "You can redeem this",
        "points": "points",
        "refer": "Invite friends with your link",
        "invite_title": "A friend invited you",
        "invite_offer": "Get {points} points with your first order",
        "invite_minimum": "For a first order of at least {minimum}.",
        "invite_code": "Your friend's code:",
    },
    "zh-CN": {
        "title": "我的积分",
        "available": "可用积分",
        "pending": "待生效积分（退货期结束后可用）",
        "tier": "会员等级",
        "no_tier": "暂无等级",
        "next": "距离 {tier} 还差 {needed}",
        "top": "您已是最高等级",
        "free_shipping": "免运费",
        "history": "积分记录",
        "rewards": "可兑换奖励",
        "affordable": "可立即兑换",
        "points": "积分",
        "refer": "用您的专属链接邀请好友",
        "invite_title": "您的好友邀请您加入",
        "invite_offer": "首单即可获得 {points} 积分",
        "invite_minimum": "首单金额需满 {minimum}。",
        "invite_code": "好友邀请码：",
    },
}
