"""``/api/v1/loyalty/...``: thin routes over the loyalty services (the member page customers
open is ``retain.web.public.loyalty``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from sqlalchemy.orm import Session

from retain.auth.dependencies import allow
from retain.auth.roles import ANALYSE, READ_CUSTOMERS, SERVE_CUSTOMERS
from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.dependencies import SessionDep, SettingsDep, answering
from retain.loyalty import ledger, member_page, referrals, rewards, tiers
from retain.loyalty.ledger import InsufficientPoints, LoyaltyError, NotAMember
from retain.loyalty.report import programme_summary
from retain.loyalty.rules import RulesError
from retain.loyalty.schemas import (
    AdjustmentCreate,
    BalanceRead,
    CouponRead,
    EntryRead,
    EventCreate,
    LinkCreate,
    LinkRead,
    MemberCreate,
    MemberRead,
    RedemptionCreate,
    RedemptionRead,
    ReferralRead,
    RulesText,
    TierChangeRead,
    VisitCreate,
)
from retain.loyalty.service import (
    adjust,
    earn_event,
    enroll,
    get_member,
    history_query,
    load_rules,
    members_query,
    save_rules,
)
from retain.pagination import Limit, Offset, Page, page_of_query

router = APIRouter(prefix="/api/v1/loyalty", tags=["loyalty"])


# The loyalty errors as HTTP answers, subclasses before their bases.
LOYALTY_ERRORS: dict[type[Exception], int] = {
    NotAMember: 404,
    InsufficientPoints: 409,
    LoyaltyError: 409,
    RulesError: 409,
}


@router.get("/members", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_members(session: SessionDep, limit: Limit = 100, offset: Offset = 0) -> Page[MemberRead]:
    """Members in enrolment order."""
    return page_of_query(
        session, members_query(), MemberRead.model_validate, limit=limit, offset=offset
    )


@router.post("/members", status_code=201, dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_member(session: SessionDep, body: MemberCreate) -> MemberRead:
    """Enrol a customer; enrolling twice returns the same member."""
    with answering(LOYALTY_ERRORS):
        member = enroll(session=session, enrolled_at=utcnow(), **body.model_dump())
        return MemberRead.model_validate(member)


@router.get("/members/{customer_id}/balance", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_balance(session: SessionDep, customer_id: str) -> BalanceRead:
    """Points available now and pending until their return window ends."""
    with answering(LOYALTY_ERRORS):
        get_member(session=session, customer_id=customer_id)
        found = ledger.balance(session=session, customer_id=customer_id, at=utcnow())
        return BalanceRead(**found.__dict__)


@router.get("/members/{customer_id}/entries", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_entries(
    session: SessionDep, customer_id: str, limit: Limit = 100, offset: Offset = 0
) -> Page[EntryRead]:
    """The member's ledger, newest first."""
    return page_of_query(
        session,
        history_query(customer_id=customer_id),
        EntryRead.model_validate,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/members/{customer_id}/events", status_code=201, dependencies=[Depends(allow(SERVE_CUSTOMERS))]
)
def post_event(session: SessionDep, customer_id: str, body: EventCreate) -> EntryRead:
    """Earn the points for a review, survey answer, completed profile or birthday (once each)."""
    with answering(LOYALTY_ERRORS):
        posting = earn_event(
            session=session,
            rules=load_rules(session=session),
            customer_id=customer_id,
            event=body.event,
            key=body.key,
            at=utcnow(),
        )
        return EntryRead.model_validate(posting.entry)


@router.post(
    "/members/{customer_id}/adjustments",
    status_code=201,
    dependencies=[Depends(allow(SERVE_CUSTOMERS))],
)
def post_adjustment(session: SessionDep, customer_id: str, body: AdjustmentCreate) -> EntryRead:
    """A manual correction, written as a compensating entry."""
    if body.points == 0:
        raise HTTPException(status_code=422, detail="an adjustment needs a non-zero number")
    with answering(LOYALTY_ERRORS):
        posting = adjust(
            session=session,
            rules=load_rules(session=session),
            customer_id=customer_id,
            at=utcnow(),
            **body.model_dump(),
        )
        return EntryRead.model_validate(posting.entry)


@router.post(
    "/members/{customer_id}/redemptions",
    status_code=201,
    dependencies=[Depends(allow(SERVE_CUSTOMERS))],
)
def post_redemption(
    session: SessionDep, customer_id: str, body: RedemptionCreate
) -> RedemptionRead:
    """Reserve a reward: its points are held until it is confirmed or released."""
    with answering(LOYALTY_ERRORS):
        redemption = rewards.reserve_reward(
            session=session,
            rules=load_rules(session=session),
            customer_id=customer_id,
            reward_name=body.reward,
            key=body.key,
            at=utcnow(),
        )
        return RedemptionRead.model_validate(redemption)


@router.get("/redemptions", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_redemptions(
    session: SessionDep,
    customer_id: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[RedemptionRead]:
    """Redemptions, newest first, of one member or all."""
    rows, total = rewards.list_redemptions(
        session=session, customer_id=customer_id, limit=limit, offset=offset
    )
    items = [RedemptionRead.model_validate(redemption) for redemption in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/redemptions/{code}/confirm", dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_confirm(session: SessionDep, code: str) -> RedemptionRead:
    """Confirm a reserved reward; its coupon becomes valid."""
    with answering(LOYALTY_ERRORS):
        found = rewards.confirm_redemption(session=session, code=code, at=utcnow())
        return RedemptionRead.model_validate(found)


@router.post("/redemptions/{code}/release", dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_release(session: SessionDep, code: str) -> RedemptionRead:
    """Release a reserved reward; its points go back to the member."""
    with answering(LOYALTY_ERRORS):
        found = rewards.release_redemption(session=session, code=code, at=utcnow())
        return RedemptionRead.model_validate(found)


@router.get("/coupons/{code}", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_coupon(session: SessionDep, code: str, customer_id: str | None = None) -> CouponRead:
    """For the shop: whether a coupon code may be accepted now, and what it is worth."""
    return _coupon(session, rewards.check_coupon, code, customer_id)


@router.post("/coupons/{code}/use", dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_coupon_use(session: SessionDep, code: str, customer_id: str | None = None) -> CouponRead:
    """For the shop at checkout: accept a valid coupon, exactly once."""
    return _coupon(session, rewards.use_coupon, code, customer_id)


def _coupon(
    session: Session, action: Callable[..., Any], code: str, customer_id: str | None
) -> CouponRead:
    with answering(LOYALTY_ERRORS):
        checked = action(
            session=session,
            rules=load_rules(session=session),
            code=code,
            at=utcnow(),
            customer_id=customer_id,
        )
        return CouponRead(**checked.__dict__)


@router.get("/rules", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_rules(session: SessionDep) -> dict[str, Any]:
    """The rules in force."""
    with answering(LOYALTY_ERRORS):
        return load_rules(session=session).model_dump(mode="json")


@router.put("/rules", dependencies=[Depends(allow(ANALYSE))])
def put_rules(session: SessionDep, body: RulesText) -> dict[str, Any]:
    """Replace the rules in force with the YAML given (validated first)."""
    try:
        with answering(LOYALTY_ERRORS):
            return save_rules(session=session, text=body.yaml, at=utcnow()).model_dump(mode="json")
    except HTTPException as error:
        raise HTTPException(status_code=422, detail=error.detail) from None


@router.post("/referrals", status_code=201, dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_referral(session: SessionDep, body: VisitCreate) -> ReferralRead:
    """Record a friend who arrived with a referral code; fraud checks decide its status."""
    with answering(LOYALTY_ERRORS):
        referral = referrals.register_referral(
            session=session,
            rules=load_rules(session=session),
            visit=referrals.Visit(**body.model_dump()),
            at=utcnow(),
        )
        return ReferralRead.model_validate(referral)


@router.get("/referrals", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_referrals(
    session: SessionDep, status: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> Page[ReferralRead]:
    """Referrals, newest first; ``status=review`` lists those waiting for a person."""
    return page_of_query(
        session,
        referrals.referrals_query(status=status),
        ReferralRead.model_validate,
        limit=limit,
        offset=offset,
    )


@router.post("/referrals/{referral_id}/approve", dependencies=[Depends(allow(ANALYSE))])
def post_approve(
    session: SessionDep, referral_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> ReferralRead:
    """Clear a referral flagged for review."""
    with answering(LOYALTY_ERRORS):
        referral = referrals.approve_referral(
            session=session, rules=load_rules(session=session), referral_id=referral_id
        )
        return ReferralRead.model_validate(referral)


@router.get("/tiers/history", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_tier_history(
    session: SessionDep, customer_id: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> Page[TierChangeRead]:
    """Tier promotions and demotions, newest first."""
    return page_of_query(
        session,
        tiers.tier_history_query(customer_id=customer_id),
        TierChangeRead.model_validate,
        limit=limit,
        offset=offset,
    )


@router.get("/summary", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_summary(session: SessionDep) -> dict[str, Any]:
    """Members, points earned, redeemed and outstanding, liability, redemption rate."""
    with answering(LOYALTY_ERRORS):
        return programme_summary(session=session, rules=load_rules(session=session), at=utcnow())


@router.post("/members/{customer_id}/link", dependencies=[Depends(allow(SERVE_CUSTOMERS))])
def post_link(
    settings: SettingsDep, session: SessionDep, customer_id: str, body: LinkCreate
) -> LinkRead:
    """A signed, expiring link to the member's page."""
    secret = signing_key(settings)
    with answering(LOYALTY_ERRORS):
        get_member(session=session, customer_id=customer_id)
    expires_at = member_page.link_expiry(utcnow(), body.days)
    token = member_page.sign_link(
        secret=secret, customer_id=customer_id, language=body.language, expires_at=expires_at
    )
    return LinkRead(path=member_page.member_path(token), expires_at=expires_at)
