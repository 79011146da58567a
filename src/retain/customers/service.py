"""Customer profiles in the store: who a customer is, and the searchable list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from retain.customers.models import CustomerProfile
from retain.customers.schemas import CustomerListItem
from retain.lifetime.tables import CustomerPrediction
from retain.store import upsert


def upsert_profiles(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new profiles and refresh existing ones, matched by customer_id."""
    upsert(session, CustomerProfile, rows)


def get_profile(*, session: Session, customer_id: str) -> CustomerProfile | None:
    """One customer's profile, or None."""
    return session.scalars(
        select(CustomerProfile).where(CustomerProfile.customer_id == customer_id)
    ).one_or_none()


SORTS = {
    "customer_id": CustomerProfile.customer_id,
    "signup_at": CustomerProfile.signup_at,
    "clv": CustomerPrediction.clv,
}


def list_customers(
    *,
    session: Session,
    limit: int,
    offset: int,
    search: str | None = None,
    country: str | None = None,
    sort: str = "customer_id",
) -> tuple[list[CustomerListItem], int]:
    """Customers matching ``search`` (id, name or e-mail) and ``country``, one page, and the total.

    ``sort`` names a column of SORTS, with a leading ``-`` for descending order.
    """
    query = select(CustomerProfile, CustomerPrediction).outerjoin(
        CustomerPrediction, CustomerPrediction.customer_id == CustomerProfile.customer_id
    )
    if search:
        query = query.where(
            or_(
                CustomerProfile.customer_id.icontains(search, autoescape=True),
                CustomerProfile.name.icontains(search, autoescape=True),
                CustomerProfile.email.icontains(search, autoescape=True),
            )
        )
    if country:
        query = query.where(CustomerProfile.country == country.upper())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = SORTS[sort.removeprefix("-")]
    order = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    rows = session.execute(
        query.order_by(order, CustomerProfile.customer_id).limit(limit).offset(offset)
    )
    return [_list_item(profile, prediction) for profile, prediction in rows], total


def _list_item(profile: CustomerProfile, prediction: CustomerPrediction | None) -> CustomerListItem:
    return CustomerListItem(
        customer_id=profile.customer_id,
        name=profile.name,
        email=profile.email,
        country=profile.country,
        language=profile.language,
        signup_at=profile.signup_at,
        clv=prediction.clv if prediction else None,
        probability_alive=prediction.probability_alive if prediction else None,
    )
