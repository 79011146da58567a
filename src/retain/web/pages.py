"""Dashboard pages in English and Simplified Chinese: overview, cohorts, customers, lifetime value.

Each chart's data is embedded in its page as JSON (rendered by ECharts, served from the package),
shown again as a table, and downloadable as CSV from the same service functions as the API.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BeforeValidator
from sqlalchemy import select

from retain.assistant.report import assistant_summary
from retain.auth import service as auth_service
from retain.auth.dependencies import check_csrf
from retain.auth.ratelimit import enforce
from retain.auth.roles import READ_AGGREGATES, READ_CUSTOMERS, Role
from retain.auth.service import Principal
from retain.auth.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    issue_login_token,
    issue_session,
    login_token_valid,
)
from retain.churn.jobs import renewal_report
from retain.churn.model import ChurnInputError
from retain.churn.models import ChurnScore
from retain.churn.schemas import ChurnScoreRead, TaskRead, UsageAlertRead
from retain.churn.service import list_scores
from retain.churn.tasks import list_alerts, list_tasks
from retain.clock import utcnow
from retain.currency.service import MissingRateError, stored_money
from retain.customer360.service import customer_360
from retain.customers.service import list_customers
from retain.dependencies import SettingsDep, WarehouseDep
from retain.engage import service as engage_service
from retain.engage.definition import parse_playbook
from retain.lifetime.service import ClvInputError, ClvQuery, validate_model
from retain.lifetime.tables import CustomerPrediction
from retain.locales import Language, choose_language, normalise_language, ui_text, vocab
from retain.locales.jinja import install_vocabulary
from retain.messaging.models import FINAL_STATUSES, RECEIVED_STATUSES
from retain.metrics.service import (
    CohortQuery,
    MetricsInputError,
    MetricsQuery,
    compute_cohorts,
    compute_metrics,
)
from retain.pagination import MAX_OFFSET
from retain.returns import report as returns_report
from retain.returns import service as returns_service
from retain.settings import Settings
from retain.spreadsheets import write_rows
from retain.store import ensure_store, migrated_session, session_scope
from retain.support import csat, knowledge
from retain.support import service as support_service
from retain.support.deadlines import calendar_for, sla_board
from retain.warehouse import on_warehouse
from retain.web import access, errors
from retain.web.access import page_user
from retain.web.i18n import Formatter

STATIC_DIR = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _lang_query(params: Any, language: str) -> str:
    """The page's query string with ``lang`` set to ``language``."""
    kept = [(key, value) for key, value in params.multi_items() if key != "lang"]
    return urlencode([*kept, ("lang", language)])


templates.env.filters["lang_query"] = _lang_query
install_vocabulary(templates.env)
Reader = Annotated[Principal, Depends(page_user(READ_AGGREGATES))]
CustomerReader = Annotated[Principal, Depends(page_user(READ_CUSTOMERS))]


def _blank_is_none(value: Any) -> Any:
    # A date field the user left empty is sent as "from=": it means no bound, not a bad date.
    return None if value == "" else value


From = Annotated[date | None, BeforeValidator(_blank_is_none), Query(alias="from")]
To = Annotated[date | None, BeforeValidator(_blank_is_none), Query(alias="to")]
Period = Literal["month", "quarter", "year"]
OVERVIEW_SERIES = ("crr", "churn_rate", "grr", "ndr", "nps")
OVERVIEW_COLUMNS = ("period_start", "customers_end", "crr", "churn_rate", "grr", "ndr", "nps")
CLV_BINS = 20
RISK_BINS = 10
TRACKING_WEEKS = 26
# One "aspect (mentions)" item of the regret table's top complaints.
ASPECT_COUNT = re.compile(r"([\w-]+) \((\d+)\)")
MIN_COHORT_SIZE = 10


def install(app: FastAPI) -> None:
    """Sign-in redirects, the forbidden page and error pages in the reader's language."""
    access.install(app, lambda request: _render(request, "forbidden.html", status=403))
    errors.install(app, _error_page)


def _error_page(
    request: Request, status: int, fields: list[str], headers: Mapping[str, str] | None
) -> HTMLResponse:
    """The error page for ``status`` in the reader's language, naming the invalid ``fields``."""
    response = _render(
        request,
        "error.html",
        status=status,
        words=ui_text("errors", _language(request)),
        message=errors.message_key(status),
        code=status,
        fields=fields,
    )
    response.headers.update(headers or {})
    return response


def _language(request: Request, principal: Principal | None = None) -> Language:
    """The link's ``lang``, else the switcher's cookie, else the user's own stored choice,
    else the browser's: a user who never chose follows the browser, signed in or not."""
    return choose_language(
        requested=request.query_params.get("lang"),
        chosen=request.cookies.get("lang"),
        stored=principal.language if principal else None,
        accept_language=request.headers.get("accept-language"),
    )


def _render(
    request: Request,
    name: str,
    *,
    principal: Principal | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    language = _language(request, principal)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": ui_text("dashboard", language),
            "lang": language,
            "other": "en" if language != "en" else "zh-CN",
            "fmt": Formatter(language),
            "principal": principal,
            "csrf": principal.session_csrf if principal else None,
            **context,
        },
        status_code=status,
    )
    if normalise_language(request.query_params.get("lang")) is not None:
        response.set_cookie("lang", language, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return _login_form(request, settings, next_path=next)


def _login_form(
    request: Request, settings: Settings, *, next_path: str, error: str | None = None
) -> HTMLResponse:
    token = issue_login_token(settings)
    response = _render(
        request,
        "login.html",
        status=401 if error else 200,
        token=token,
        next_path=_safe_next(next_path),
        error=error,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=512)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Check the password; on success set the session cookie and go where the user was going."""
    client = request.client.host if request.client else "unknown"
    enforce(
        storage_url=settings.server.rate_limit_storage,
        limit=settings.auth.login_rate_limit,
        scope="sign-in",
        key=f"{client}:{username.lower()}",
    )
    t = ui_text("dashboard", _language(request))
    if not login_token_valid(
        settings, cookie=request.cookies.get(LOGIN_CSRF_COOKIE), form=csrf_token
    ):
        return _login_form(request, settings, next_path=next, error=t["bad_form"])
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        user = auth_service.authenticate_user(session=session, username=username, password=password)
        outcome = "user.sign_in" if user else "user.sign_in_failed"
        auth_service.record(
            session=session, actor=f"user:{username}", action=outcome, target=client
        )
        ticket = (
            issue_session(settings, user_id=user.id, epoch=user.session_epoch) if user else None
        )
    if ticket is None:
        return _login_form(request, settings, next_path=next, error=t["bad_login"])
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        ticket[0],
        max_age=settings.auth.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    settings: SettingsDep,
    principal: Reader,
    csrf_token: Annotated[str, Form(max_length=512)],
) -> RedirectResponse:
    """End every session of the user (the cookie alone is not trusted to be forgotten)."""
    check_csrf(csrf_token, principal)
    with session_scope(settings.storage.store_url) as session:
        user = auth_service.get_user(session=session, username=principal.name)
        if user is not None:
            auth_service.end_sessions(session=session, user=user)
            auth_service.record(
                session=session, actor=principal.label, action="user.sign_out", target=user.username
            )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _safe_next(path: str) -> str:
    # Only paths on this site: "//host" and "http://host" would send the user elsewhere.
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/"


def _warehouse_rows(
    settings: Settings, work: Callable[[Any, Any], list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], str | None]:
    """Rows of ``work``, or none and the text key of why not."""
    try:
        money = stored_money(settings=settings)
        return on_warehouse(settings.storage.resolved_warehouse_url, work, money), None
    except (MetricsInputError, ClvInputError, MissingRateError):
        return [], "no_data"
    except Exception:  # a locked or unreachable warehouse shows a message, not an error page
        return [], "warehouse_busy"


def metrics_query(
    settings: SettingsDep, start: From = None, end: To = None, period: Period = "month"
) -> MetricsQuery:
    """The overview's range and period, from the query string."""
    return MetricsQuery(
        start=start,
        end=end,
        period=period,
        active_window_days=settings.metrics.active_window_days,
        crr_target=settings.metrics.crr_target,
    )


def cohort_query(
    start: From = None,
    end: To = None,
    by: Literal["week", "month", "quarter"] = "month",
    value: Literal["customers", "revenue"] = "customers",
    mode: Literal["classic", "unbounded"] = "classic",
) -> CohortQuery:
    """The cohort table's range and shape, from the query string."""
    return CohortQuery(start=start, end=end, period=by, value=value, mode=mode)


MetricsQueryDep = Annotated[MetricsQuery, Depends(metrics_query)]
CohortQueryDep = Annotated[CohortQuery, Depends(cohort_query)]


def _metrics_rows(
    settings: Settings, query: MetricsQuery
) -> tuple[list[dict[str, Any]], str | None]:
    return _warehouse_rows(
        settings, lambda backend, money: compute_metrics(backend=backend, query=query, money=money)
    )


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, settings: SettingsDep, principal: Reader, query: MetricsQueryDep
) -> HTMLResponse:
    """Headline retention figures against their targets, with trends."""
    rows, problem = _metrics_rows(settings, query)
    chart = {
        "periods": [row["period_start"].date().isoformat() for row in rows],
        "series": {name: [row.get(name) for row in rows] for name in OVERVIEW_SERIES},
        "revenue": [row.get("revenue") for row in rows],
        "mrr_end": [row.get("mrr_end") for row in rows],
        "target": settings.metrics.crr_target,
    }
    return _render(
        request,
        "overview.html",
        principal=principal,
        rows=rows,
        latest=_last_complete(rows),
        problem=problem,
        chart=chart,
        average_clv=_average_clv(settings),
        query={"from": query.start, "to": query.end, "period": query.period},
        columns=OVERVIEW_COLUMNS,
    )


@router.get("/overview.csv")
def overview_csv(settings: SettingsDep, _: Reader, query: MetricsQueryDep) -> Response:
    """The overview's metrics, every column, as CSV."""
    rows, _problem = _metrics_rows(settings, query)
    return _csv(rows, "retain-metrics.csv")


def _last_complete(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest period that has ended (the running one would show half a month as a trend)."""
    today = utcnow()
    ended = [row for row in rows if row["period_end"] <= today]
    return ended[-1] if ended else (rows[-1] if rows else None)


def _average_clv(settings: Settings) -> float | None:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        values = list(session.scalars(select(CustomerPrediction.clv)))
    return float(np.mean(values)) if values else None


def _cohort_rows(settings: Settings, query: CohortQuery) -> tuple[list[dict[str, Any]], str | None]:
    return _warehouse_rows(
        settings, lambda backend, money: compute_cohorts(backend=backend, query=query, money=money)
    )


@router.get("/cohorts", response_class=HTMLResponse)
def cohorts(
    request: Request,
    settings: SettingsDep,
    principal: Reader,
    query: CohortQueryDep,
    min_size: Annotated[int, Query(ge=1, le=1_000_000)] = MIN_COHORT_SIZE,
) -> HTMLResponse:
    """A retention heatmap: acquisition cohorts by periods since acquisition."""
    rows, problem = _cohort_rows(settings, query)
    return _render(
        request,
        "cohorts.html",
        principal=principal,
        rows=rows,
        problem=problem,
        chart=_cohort_chart(rows, min_size=min_size),
        grid=_cohort_grid(rows),
        min_size=min_size,
        query={
            "from": query.start,
            "to": query.end,
            "by": query.period,
            "value": query.value,
            "mode": query.mode,
        },
    )


def _cohort_chart(rows: list[dict[str, Any]], *, min_size: int) -> dict[str, Any]:
    """The heatmap's cells, with cohorts under ``min_size`` apart: they stay off the colour scale.

    Two customers make a share of 0 % or 100 %; coloured like a large cohort, that reads as a fact.
    """
    labels = sorted({row["cohort"].date().isoformat() for row in rows})
    index = {label: position for position, label in enumerate(labels)}
    sizes = {row["cohort"].date().isoformat(): int(row["cohort_size"]) for row in rows}
    cells: list[list[Any]] = []
    small: list[list[Any]] = []
    for row in rows:
        label = row["cohort"].date().isoformat()
        cell = [int(row["period"]), index[label], row["share"]]
        (small if sizes[label] < min_size else cells).append(cell)
    shares = [cell[2] for cell in cells if cell[2] is not None and np.isfinite(cell[2])]
    return {
        "cohorts": labels,
        "sizes": [sizes[label] for label in labels],
        "periods": sorted({int(row["period"]) for row in rows}),
        "cells": cells,
        "small": small,
        # Revenue retention passes 100 % when cohorts spend more later.
        "max": max([1.0, *shares]),
    }


def _cohort_grid(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Cohorts as rows and periods as columns, for the table under the heatmap."""
    periods = sorted({int(row["period"]) for row in rows})
    cohorts: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = cohorts.setdefault(
            row["cohort"].date().isoformat(), {"size": row["cohort_size"], "shares": {}}
        )
        entry["shares"][int(row["period"])] = row["share"]
    return {"periods": periods, "cohorts": cohorts}


@router.get("/cohorts.csv")
def cohorts_csv(settings: SettingsDep, _: Reader, query: CohortQueryDep) -> Response:
    """The cohort table as CSV, one row per cohort and period."""
    rows, _problem = _cohort_rows(settings, query)
    return _csv(rows, "retain-cohorts.csv")


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
    return _render(
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
        return _render(request, "not_found.html", principal=principal, status=404)
    chart = {
        "weeks": [week.week.date().isoformat() for week in found.usage_weekly],
        "events": [week.events for week in found.usage_weekly],
    }
    return _render(
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
    return _csv(weeks, f"retain-usage-{re.sub(r'[^A-Za-z0-9_-]', '_', customer_id)}.csv")


@router.get("/at-risk", response_class=HTMLResponse)
def at_risk(request: Request, settings: SettingsDep, principal: CustomerReader) -> HTMLResponse:
    """Customers by churn risk with reasons, usage alerts, renewals in 90 days, tasks by owner."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        scores = [ChurnScoreRead.model_validate(s) for s in list_scores(session=session, limit=50)]
        alerts = [UsageAlertRead.model_validate(a) for a in list_alerts(session=session, limit=50)]
        tasks = [TaskRead.model_validate(t) for t in list_tasks(session=session, limit=200)]
        probabilities = list(session.scalars(select(ChurnScore.probability)))
    renewals, problem = _renewals(settings)
    counts, _edges = np.histogram(probabilities, bins=RISK_BINS, range=(0.0, 1.0))
    chart = {
        "x": [f"{low:.0%}–{low + 1 / RISK_BINS:.0%}" for low in _edges[:-1]],
        "y": [int(count) for count in counts],
    }
    owners: dict[str, list[TaskRead]] = {}
    for task in tasks:
        owners.setdefault(task.owner, []).append(task)
    return _render(
        request,
        "at_risk.html",
        principal=principal,
        scores=scores,
        alerts=alerts,
        renewals=renewals,
        problem=problem,
        owners=owners,
        chart=chart,
    )


def _renewals(settings: Settings) -> tuple[list[dict[str, Any]], str | None]:
    try:
        report = renewal_report(settings=settings, as_of=None, within_days=90)
    except ChurnInputError:
        return [], "no_data"
    except Exception:  # a locked or unreachable warehouse shows a message, not an error page
        return [], "warehouse_busy"
    pipeline = report.pipeline
    rows = pipeline.astype(object).where(pipeline.notna(), None).to_dict("records")
    return [{str(key): value for key, value in row.items()} for row in rows], None


@router.get("/lifetime", response_class=HTMLResponse)
def lifetime(
    request: Request,
    settings: SettingsDep,
    principal: Reader,
    calibration_end: date | None = None,
) -> HTMLResponse:
    """The distribution of predicted CLV and the model's tracking of actual repeat purchases."""
    histogram = _clv_histogram(settings)
    tracking, problem = _tracking(settings, calibration_end)
    chart = {
        "bins": [row["range"] for row in histogram],
        "counts": [row["customers"] for row in histogram],
        "weeks": [row["week_end"].isoformat() for row in tracking],
        "actual": [row["actual"] for row in tracking],
        "model": [row["model"] for row in tracking],
        "calibration_weeks": sum(1 for row in tracking if row["period"] == "calibration"),
    }
    return _render(
        request,
        "lifetime.html",
        principal=principal,
        histogram=histogram,
        tracking=tracking,
        problem=problem,
        chart=chart,
        reporting_currency=settings.region.reporting_currency,
    )


@router.get("/lifetime.csv")
def lifetime_csv(settings: SettingsDep, _: Reader) -> Response:
    """The CLV distribution as CSV."""
    return _csv(_clv_histogram(settings), "retain-clv-distribution.csv")


@router.get("/lifetime-tracking.csv")
def lifetime_tracking_csv(
    settings: SettingsDep, _: Reader, calibration_end: date | None = None
) -> Response:
    """The model's weekly tracking (cumulative repeat purchases, actual and predicted) as CSV."""
    tracking, _problem = _tracking(settings, calibration_end)
    return _csv(tracking, "retain-clv-tracking.csv")


def _clv_histogram(settings: Settings) -> list[dict[str, Any]]:
    """Customers per CLV range; the last range collects the top 1% so outliers don't flatten it."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        values = np.array(list(session.scalars(select(CustomerPrediction.clv))), dtype=float)
    if values.size == 0:
        return []
    top = float(np.quantile(values, 0.99)) or float(values.max()) or 1.0
    edges = np.linspace(0.0, top, CLV_BINS + 1)
    counts, _edges = np.histogram(np.clip(values, 0.0, top), bins=edges)
    last = len(counts) - 1
    return [
        {
            # The last range also holds everything above the 99th percentile.
            "range": f"{low:,.0f}+" if index == last else f"{low:,.0f}–{high:,.0f}",
            "low": round(float(low), 2),
            "high": None if index == last else round(float(high), 2),
            "customers": int(count),
        }
        for index, (low, high, count) in enumerate(zip(edges[:-1], edges[1:], counts, strict=True))
    ]


def _tracking(
    settings: Settings, calibration_end: date | None
) -> tuple[list[dict[str, Any]], str | None]:
    def work(backend: Any, money: Any) -> list[dict[str, Any]]:
        holdout_end = _latest_order_day(backend)
        calibration = calibration_end or holdout_end - timedelta(weeks=TRACKING_WEEKS)
        report = validate_model(
            backend=backend,
            query=ClvQuery(calibration_end=calibration),
            holdout_end=holdout_end,
            money=money,
        )
        return report.tracking

    return _warehouse_rows(settings, work)


def _latest_order_day(backend: Any) -> date:
    latest = backend.table("order").ordered_at.max().execute()
    if latest is None:
        raise ClvInputError("no orders yet")
    return latest.date()  # type: ignore[no-any-return]


@router.get("/playbooks", response_class=HTMLResponse)
def playbooks(
    request: Request, settings: SettingsDep, backend: WarehouseDep, principal: Reader
) -> HTMLResponse:
    """Each playbook with its sends by step and the lift it caused over its holdout."""
    rows, sends = _playbook_rows(settings, backend)
    measured = [row for row in rows if row["lift_30"] is not None]
    language = _language(request, principal)
    chart = {
        "x": [vocab(row["playbook"], "playbook", language) for row in measured],
        "y": [round(100 * row["lift_30"], 2) for row in measured],
    }
    return _render(
        request,
        "playbooks.html",
        principal=principal,
        rows=rows,
        sends={name: _sends_by_step(steps) for name, steps in sends.items()},
        chart=chart,
    )


def _sends_by_step(steps: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Per step: messages that left, those still waiting to leave, and those that never will."""
    return [
        {
            "step": step,
            "sent": sum(n for status, n in statuses.items() if status in RECEIVED_STATUSES),
            "waiting": sum(n for status, n in statuses.items() if status not in FINAL_STATUSES),
            "not_sent": sum(
                n
                for status, n in statuses.items()
                if status in FINAL_STATUSES and status not in RECEIVED_STATUSES
            ),
        }
        for step, statuses in steps.items()
    ]


@router.get("/playbooks.csv")
def playbooks_csv(settings: SettingsDep, backend: WarehouseDep, _: Reader) -> Response:
    """Each playbook's entries, conversion in both groups, lift and its interval, as CSV."""
    return _csv(_playbook_rows(settings, backend)[0], "retain-playbooks.csv")


def _playbook_rows(
    settings: Settings, backend: Any
) -> tuple[list[dict[str, Any]], dict[str, dict[str, dict[str, int]]]]:
    ensure_store(settings.storage.store_url)
    now = utcnow()
    rows, sends = [], {}
    with session_scope(settings.storage.store_url) as session:
        for record in engage_service.list_records(session=session):
            stats = engage_service.playbook_stats(
                session=session, backend=backend, name=record.name, at=now
            )
            repurchase = stats.lifts[0]
            revenue = stats.incremental_revenue_90
            sends[record.name] = stats.sends
            rows.append(
                {
                    "playbook": record.name,
                    "enabled": record.enabled,
                    "trigger": parse_playbook(record.definition).trigger.kind,
                    "entered": stats.entered,
                    "treated": repurchase.treated,
                    "held_out": repurchase.held_out,
                    "treated_rate_30": repurchase.treated_rate,
                    "held_out_rate_30": repurchase.held_out_rate,
                    "lift_30": repurchase.absolute.estimate if repurchase.absolute else None,
                    "lift_30_low": repurchase.absolute.low if repurchase.absolute else None,
                    "lift_30_high": repurchase.absolute.high if repurchase.absolute else None,
                    "incremental_revenue_90": revenue.estimate if revenue else None,
                    "incremental_revenue_90_low": revenue.low if revenue else None,
                    "incremental_revenue_90_high": revenue.high if revenue else None,
                }
            )
    return rows, sends


def _csv(rows: list[dict[str, Any]], filename: str) -> Response:
    buffer = io.StringIO()
    write_rows(buffer, rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page(
    request: Request,
    settings: SettingsDep,
    backend: WarehouseDep,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """NPS and CSAT with intervals, topic trends, products with regret and verbatim search."""
    from retain.feedback import regret, report

    ensure_store(settings.storage.store_url)
    scores = report.survey_scores(backend, period="month")
    now = utcnow()
    ranked = regret.rank_regret(backend, at=now, min_orders=20, limit=10)
    with session_scope(settings.storage.store_url) as session:
        topics = report.topic_trends(session=session, period="month")
        # Verbatims are what single customers wrote: not for the read-only role.
        verbatims = (
            report.search_verbatims(session=session, query=q, limit=50)
            if q and principal.role.value != "viewer"
            else []
        )
    measured = [row for row in scores if row["nps"] is not None]
    chart = {
        "x": [row["period"].strftime("%Y-%m") for row in measured],
        "value": [row["nps"] for row in measured],
        "low": [row["nps_low"] for row in measured],
        "high": [row["nps_high"] for row in measured],
    }
    language = _language(request, principal)
    regret_rows = [
        {**row, "top_negative_aspects": _aspect_counts(row["top_negative_aspects"], language)}
        for row in ranked.to_dict("records")
    ]
    return _render(
        request,
        "feedback.html",
        principal=principal,
        scores=scores,
        chart=chart,
        topics=topics[-30:],
        regret=regret_rows,
        verbatims=verbatims,
        q=q or "",
    )


def _aspect_counts(text: str, language: Language) -> str:
    """ "delivery (3), price (2)" as the reader says the aspects: 物流配送 (3), 价格 (2)."""
    return ASPECT_COUNT.sub(
        lambda found: f"{vocab(found[1], 'aspect', language)} ({found[2]})", text or ""
    )


@router.get("/returns", response_class=HTMLResponse)
def returns_page(
    request: Request, settings: SettingsDep, backend: WarehouseDep, principal: CustomerReader
) -> HTMLResponse:
    """Return rates by category and reason, serial returners, retention after a return."""
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        details = returns_report.processing_details(
            returns_service.processing_rows(session=session)
        )
        open_states = returns_service.state_counts(session=session, at=utcnow())
    categories = returns_report.rate_by_line_field(backend, "category").to_pandas()
    categories = categories[categories["returned_orders"] > 0].head(20)
    reasons = returns_report.rate_by_reason(backend).to_pandas()
    customers = returns_report.rate_by_customer(backend).to_pandas()
    language = _language(request, principal)
    retention = _splitting_cuts(
        [
            row
            for row in returns_report.retention_after_return(backend, details=details)
            if row["days"] == 90 and row["outcome"] == "repurchased"
        ]
    )
    return _render(
        request,
        "returns.html",
        principal=principal,
        categories=categories.to_dict(orient="records"),
        reasons=reasons.to_dict(orient="records"),
        serial=customers[customers["serial"]].head(50).to_dict(orient="records"),
        retention=retention,
        open_states=open_states,
        category_chart={
            "x": [vocab(value, "category", language) for value in categories["category"]],
            "y": [round(100 * float(value), 2) for value in categories["return_rate"]],
        },
        reason_chart={
            "x": [vocab(value, "return_reason", language) for value in reasons["reason"]],
            "y": [int(value) for value in reasons["returns"]],
        },
    )


def _splitting_cuts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The "all" rows and the cuts that split the returners into two groups or more.

    A cut with one group (every return refunded, or no processing times recorded) holds every
    returner, so its row would repeat the "all" row.
    """
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row["cut"], set()).add(row["group"])
    return [row for row in rows if row["cut"] == "all" or len(groups[row["cut"]]) > 1]


@router.get("/support", response_class=HTMLResponse)
def support(request: Request, settings: SettingsDep, principal: Reader) -> HTMLResponse:
    """Open tickets by state and priority, SLA at risk and breached, CSAT, deflecting articles."""
    with migrated_session(settings.storage.store_url) as session:
        counts = support_service.counts_by_state(session=session)
        board = sla_board(
            session,
            calendar=calendar_for(settings),
            warning=timedelta(hours=settings.support.warning_hours),
            at=utcnow(),
        )
        ratings = csat.csat_report(session)
        deflecting = knowledge.deflecting_articles(session, limit=10)
    if principal.role == Role.viewer:
        # Subjects are the customer's words: viewers see aggregates only.
        board = [replace(item, subject="") for item in board]
    language = _language(request, principal)
    chart = {
        "x": [vocab(state, "ticket_state", language) for state in counts],
        "y": [sum(row.values()) for row in counts.values()],
    }
    return _render(
        request,
        "support.html",
        principal=principal,
        counts=counts,
        priorities=support_service.PRIORITIES,
        chart=chart,
        board=board,
        ratings=ratings,
        deflecting=deflecting,
    )


@router.get("/assistant", response_class=HTMLResponse)
def assistant_page(request: Request, settings: SettingsDep, principal: Reader) -> HTMLResponse:
    """Auto-resolution, escalation, answered accuracy, CSAT and unanswered questions (30 days)."""
    since = utcnow() - timedelta(days=30)
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        summary = assistant_summary(session, since=since)
    return _render(request, "assistant.html", principal=principal, summary=summary)
