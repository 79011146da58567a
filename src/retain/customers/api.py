"""``/api/v1/customers``: the searchable list (the customer-360 view is in ``customer360``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from retain.auth.dependencies import allow
from retain.auth.roles import READ_CUSTOMERS
from retain.customers.schemas import CustomerListItem
from retain.customers.service import list_customers
from retain.dependencies import SessionDep
from retain.pagination import Page, PageDep

router = APIRouter(
    prefix="/api/v1", tags=["customers"], dependencies=[Depends(allow(READ_CUSTOMERS))]
)
Sort = Literal["customer_id", "-customer_id", "signup_at", "-signup_at", "clv", "-clv"]


@router.get("/customers")
def get_customers(
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of id, name or e-mail.")
    ] = None,
    country: Annotated[str | None, Query(pattern="^[A-Za-z]{2}$")] = None,
    sort: Annotated[
        Sort, Query(description="Column to sort by; '-' for descending.")
    ] = "customer_id",
) -> Page[CustomerListItem]:
    """Customers, searched, filtered and sorted, one page at a time."""
    items, total = list_customers(
        session=session,
        limit=page.limit,
        offset=page.offset,
        search=q,
        country=country,
        sort=sort,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
