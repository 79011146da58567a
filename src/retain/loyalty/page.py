"""The member page: a signed, expiring link showing a member their points, tier and rewards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from retain import signed_links
from retain.locales import Language, language_or_default, normalise_language
from retain.locales.jinja import install_vocabulary
from retain.loyalty import ledger, tiers
from retain.loyalty.referrals import referral_link
from retain.loyalty.rules import Rules
from retain.loyalty.service import get_member, history

PURPOSE = "loyalty-member"
BadLink = signed_links.BadLink
TEMPLATES = Path(__file__).parent / "templates"
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
)
install_vocabulary(_environment)


@dataclass(frozen=True)
class LinkClaims:
    """What a valid member link says."""

    customer_id: str
    language: Language


def sign_link(*, secret: str, customer_id: str, language: str, expires_at: datetime) -> str:
    """A URL-safe token naming the member, the language and when it stops working."""
    claims = {"c": customer_id, "l": language_or_default(language)}
    return signed_links.sign(secret=secret, purpose=PURPOSE, claims=claims, expires_at=expires_at)


def read_link(*, secret: str, token: str, at: datetime) -> LinkClaims:
    """The claims of ``token``; BadLink when its signature is wrong or it has expired."""
    claims = signed_links.read(secret=secret, purpose=PURPOSE, token=token, at=at)
    # Links made before the BCP 47 tags say "zh": they keep working.
    language = normalise_language(claims.get("l"))
    if language is None or not isinstance(claims.get("c"), str):
        raise BadLink("the link is malformed")
    return LinkClaims(claims["c"], language)


def link_expiry(at: datetime, days: int) -> datetime:
    """When a link made at ``at`` for ``days`` days stops working (whole seconds)."""
    return (at + timedelta(days=days)).replace(microsecond=0)


def member_view(
    *, session: Session, rules: Rules, customer_id: str, at: datetime
) -> dict[str, Any]:
    """Everything the member page shows, as plain values."""
    member = get_member(session=session, customer_id=customer_id)
    points = ledger.balance(session=session, customer_id=customer_id, at=at)
    value = tiers.qualifying_values(session=session, rules=rules, at=at).get(
        customer_id, Decimal(0)
    )
    standing = tiers.progress(rules=rules, member=member, value=value)
    tier = rules.tier(member.tier)
    return {
        "customer_id": customer_id,
        "available": points.available,
        "pending": points.pending,
        "tier": member.tier,
        "free_shipping": bool(tier and tier.free_shipping),
        "multiplier": tier.multiplier if tier else 1.0,
        "qualify_by": rules.qualify_by,
        "qualifying_value": standing.value,
        "next_tier": standing.next_tier,
        "needed": standing.needed,
        "history": [
            {
                "at": entry.created_at,
                "kind": entry.kind,
                "source": entry.source,
                "points": entry.points,
            }
            for entry in history(session=session, customer_id=customer_id, limit=20, offset=0)
        ],
        "rewards": [
            {
                "name": reward.name,
                "kind": reward.kind,
                "cost": reward.cost,
                "affordable": reward.cost <= points.available,
            }
            for reward in rules.rewards
            if rules.tier_rank(member.tier) >= rules.tier_rank(reward.tier)
        ],
        "referral_link": referral_link(rules=rules, member=member),
    }


def render_member_page(view: dict[str, Any], *, language: str) -> str:
    """The member page as HTML in ``language``."""
    template = _environment.get_template("member.html")
    language = language_or_default(language)
    return template.render(view=view, text=TEXT[language], language=language)


def render_referral_page(*, rules: Rules, code: str, language: str) -> str:
    """The landing page of a referral link: the friend's offer, without the referrer's data."""
    template = _environment.get_template("referral.html")
    language = language_or_default(language)
    minimum = rules.referral.minimum_order
    return template.render(
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
