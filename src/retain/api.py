"""The FastAPI application: health, OpenAPI docs and each domain's router."""

from __future__ import annotations

import os
from typing import Literal

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import text

from retain import __version__, problem_details
from retain.assistant import api as assistant_api
from retain.auth import api as auth_api
from retain.churn import api as churn_api
from retain.customer360 import api as customer360_api
from retain.customers import api as customers_api
from retain.dependencies import SettingsDep, refuse_nul
from retain.engage import api as engage_api
from retain.feedback import api as feedback_api
from retain.ingest import api as ingest_api
from retain.lifetime import api as lifetime_api
from retain.loyalty import api as loyalty_api
from retain.messaging import api as messaging_api
from retain.metrics import api as metrics_api
from retain.returns import api as returns_api
from retain.segments import api as segments_api
from retain.settings import Settings, get_settings
from retain.store import get_engine
from retain.support import api as support_api
from retain.warehouse import connect
from retain.web import pages, public
from retain.web.rendering import STATIC_DIR


class ComponentHealth(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str = ""


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    store: ComponentHealth
    warehouse: ComponentHealth


OPENAPI_URL = "/api/v1/openapi.json"


def create_app(*, api_docs: bool | None = None) -> FastAPI:
    """A new application; settings are read per request through the SettingsDep dependency.

    The API description and its interactive docs are served only when ``api_docs`` (default:
    the ``RETAIN_API_DOCS`` setting) says so: they map every route for anyone who asks.
    """
    documented = get_settings().server.api_docs if api_docs is None else api_docs
    app = FastAPI(
        title="Retain",
        version=__version__,
        docs_url="/docs" if documented else None,
        redoc_url="/redoc" if documented else None,
        openapi_url=OPENAPI_URL if documented else None,
        dependencies=[Depends(refuse_nul)],
    )

    @app.get("/health", tags=["health"])
    def health(settings: SettingsDep) -> Health:
        """Whether the store and the warehouse answer."""
        store, warehouse = _check_store(settings), _check_warehouse(settings)
        healthy = store.status == warehouse.status == "ok"
        return Health(
            status="ok" if healthy else "degraded",
            version=__version__,
            store=store,
            warehouse=warehouse,
        )

    problem_details.install(app)
    pages.install(app)
    app.include_router(auth_api.router)
    app.include_router(customers_api.router)
    app.include_router(customer360_api.router)
    app.include_router(ingest_api.router)
    app.include_router(metrics_api.router)
    app.include_router(lifetime_api.router)
    app.include_router(churn_api.router)
    app.include_router(loyalty_api.router)
    app.include_router(engage_api.router)
    app.include_router(segments_api.router)
    app.include_router(messaging_api.router)
    app.include_router(messaging_api.public_router)
    app.include_router(feedback_api.router)
    app.include_router(returns_api.router)
    app.include_router(support_api.router)
    app.include_router(assistant_api.router)
    app.include_router(public.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _check_store(settings: Settings) -> ComponentHealth:
    try:
        with get_engine(settings.storage.store_url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means the same to a health check
        return ComponentHealth(status="unavailable", detail=type(error).__name__)
    return ComponentHealth(status="ok")


def _check_warehouse(settings: Settings) -> ComponentHealth:
    try:
        url = settings.storage.resolved_warehouse_url
        connect(url, create_tables=False, busy_wait_seconds=0).disconnect()
    except Exception as error:  # a locked DuckDB file or a refused connection alike
        return ComponentHealth(status="unavailable", detail=type(error).__name__)
    return ComponentHealth(status="ok")


def serve(*, host: str = "127.0.0.1", port: int = 8000, dev: bool = False) -> None:
    """Run the application with uvicorn until interrupted; ``dev`` serves the API docs too."""
    import uvicorn

    follow_served_address(host=host, port=port)
    proxies = get_settings().server.trusted_proxies.strip()
    uvicorn.run(
        create_app(api_docs=True if dev else None),
        host=host,
        port=port,
        log_level="info",
        # Forwarded headers name the client only when a configured proxy sent them: anyone
        # else could pick a new address per request and never meet a rate limit.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


def follow_served_address(*, host: str, port: int) -> None:
    """Unless RETAIN_PUBLIC_BASE_URL is set, links in messages point at the address served."""
    if "public_base_url" in get_settings().server.model_fields_set:
        return
    os.environ["RETAIN_PUBLIC_BASE_URL"] = served_base_url(host=host, port=port)
    get_settings.cache_clear()


def served_base_url(*, host: str, port: int) -> str:
    """The URL a browser on this machine reaches a server listening on ``host``:``port`` at."""
    reachable = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    shown = f"[{reachable}]" if ":" in reachable else reachable
    return f"http://{shown}:{port}"
