"""``/api/v1/customers/{customer_id}``: the customer-360 view."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from retain.auth.dependencies import allow
from retain.auth.roles import READ_CUSTOMERS
from retain.customer360.schemas import Customer360
from retain.customer360.service import customer_360
from retain.dependencies import SessionDep, WarehouseDep

router = APIRouter(
    prefix="/api/v1", tags=["customers"], dependencies=[Depends(allow(READ_CUSTOMERS))]
)


@router.get("/customers/{customer_id}")
def get_customer(customer_id: str, session: SessionDep, backend: WarehouseDep) -> Customer360:
    """Profile, orders, subscriptions, usage, tickets, feedback, loyalty, returns, messages and
    predictions of one customer."""
    found = customer_360(session=session, backend=backend, customer_id=customer_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no customer with id {customer_id!r}")
    return found
