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
from retain.locales import Language, language_or_default, normalise_language, ui_text
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
    return template.render(view=view, text=ui_text("member_page", language), language=language)


def render_referral_page(*, rules: Rules, code: str, language: str) -> str:
    """The landing page of a referral link: the friend's offer, without the referrer's data."""
    template = _environment.get_template("referral.html")
    language = language_or_default(language)
    minimum = rules.referral.minimum_order
    return template.render(
        text=ui_text("member_page", language),
        language=language,
        code=code,
        points=rules.referral.friend_points,
        minimum=minimum if minimum > 0 else None,
    )
