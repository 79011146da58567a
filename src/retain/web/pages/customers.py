"""Customers: the searchable list and everything about one customer."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from retain.customer360.service import customer_360
from retain.customers.service import list_customers
from retain.dependencies import SettingsDep, WarehouseDep
from retain.pagination import MAX_OFFSET
from retain.store import ensure_store, session_scope
from retain.web.access import CustomerReader
from retain.web.pages.base import csv_download, render_page

router = APIRouter()
CustomerSort = Literal["customer_id", "-customer_id", "signup_at", "-signup_at", "clv", "-clv"]


@router.get("/customers", response_class=HTMLResponse)
def customers(
    request: Request,
    settings: SettingsDep,
    principal: CustomerReader,
    q: Annotated[str | None, Query(max_length=200)] = None,
    country: Annotated[str | None, Query(pattern="^[A-Za-z]{0,2}$")] = None,
    sort: CustomerSort = "-clv",
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> HTMLResponse:
    """A searchable customer list; HTMX requests get only the rows."""
    limit = 50
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        items, total = list_customers(
            session=session,
            limit=limit,
            offset=offset,
            search=q or None,
            country=country or None,
            sort=sort,
        )
    template = "customer_rows.html" if request.headers.get("HX-Request") else "customers.html"
    return render_page(
        request,
        template,
        principal=principal,
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        query={"q": q or "", "country": country or "", "sort": sort},
        reporting_currency=settings.region.reporting_currency,
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request,
    customer_id: str,
    settings: SettingsDep,
    backend: WarehouseDep,
    principal: CustomerReader,
) -> HTMLResponse:
    """Everything about one customer."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        found = customer_360(session=session, backend=backend, customer_id=customer_id)
    if found is None:
        return render_page(request, "not_found.html", principal=principal, status=404)
    chart = {
        "weeks": [week.week.date().isoformat() for week in found.usage_weekly],
        "events": [week.events for week in found.usage_weekly],
    }
    return render_page(
        request,
        "customer.html",
        principal=principal,
        c=found,
        chart=chart,
        reporting_currency=settings.region.reporting_currency,
    )


@router.get("/customers/{customer_id}/usage.csv")
def customer_usage_csv(
    customer_id: str, settings: SettingsDep, backend: WarehouseDep, _: CustomerReader
) -> Response:
    """The customer's weekly usage as CSV."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        found = customer_360(session=session, backend=backend, customer_id=customer_id)
    weeks = [week.model_dump() for week in found.usage_weekly] if found else []
    return csv_download(weeks, f"retain-usage-{re.sub(r'[^A-Za-z0-9_-]', '_', customer_id)}.csv")
