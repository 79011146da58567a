"""The churn domain's jobs: each opens a short-lived warehouse connection, then writes the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from retain.churn.features import churn_features
from retain.churn.health import HealthConfig, health_scores, save_health
from retain.churn.renewals import (
    build_pipeline,
    forecast_renewed_mrr,
    owners_from_attributes,
    renewing_subscriptions,
    stored_signals,
)
from retain.churn.service import (
    AnyChurnModel,
    ChurnQuery,
    Snapshots,
    backtest,
    load_model,
    resolve_as_of,
    save_model,
    save_scores,
    score_warehouse,
    train_warehouse_model,
)
from retain.churn.tasks import drafts_from_alerts, drafts_from_renewals, open_tasks, save_alerts
from retain.churn.usage import AlertThresholds, detect_declines, usage_windows
from retain.currency.service import stored_money
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import on_warehouse

DEFAULT_MIN_RISK = 0.3
DEFAULT_MAX_HEALTH = 50.0


def default_model_path(settings: Settings) -> Path:
    """Where ``retain churn train`` keeps the warehouse model."""
    return settings.storage.data_dir / "churn" / "model.joblib"


def train_on_warehouse(
    *, settings: Settings, query: ChurnQuery, model_path: Path
) -> tuple[AnyChurnModel, dict[str, Any]]:
    """Backtest, then fit on every complete snapshot and save the model with the report."""

    def work(backend: Any, money: Any) -> tuple[AnyChurnModel, dict[str, Any]]:
        # The training snapshots are among the backtest's: computing each once saves six of
        # fifteen feature queries (issue 16: the demo's churn step was its slowest).
        computed: Snapshots = {}
        report = backtest(backend=backend, query=query, money=money, computed=computed)
        model = train_warehouse_model(
            backend=backend, query=query, money=money, kind=report["kept"], computed=computed
        )
        return model, report

    model, report = on_warehouse(
        settings.storage.resolved_warehouse_url, work, stored_money(settings=settings)
    )
    save_model(model=model, path=model_path, report=report)
    return model, report


def score_on_warehouse(*, settings: Settings, query: ChurnQuery, model_path: Path) -> pd.DataFrame:
    """Score every active subscriber, store scores and reasons, return them riskiest first."""
    model = load_model(path=model_path)
    scores = on_warehouse(
        settings.storage.resolved_warehouse_url,
        lambda backend, money: score_warehouse(
            backend=backend, model=model, query=query, money=money
        ),
        stored_money(settings=settings),
    )
    with session_scope(settings.storage.store_url) as session:
        save_scores(
            session=session, scores=scores, horizon_days=model.horizon_days or query.horizon_days
        )
    return scores.sort_values("probability", ascending=False, ignore_index=True)


def detect_usage_alerts(
    *, settings: Settings, as_of: datetime | None, thresholds: AlertThresholds
) -> pd.DataFrame:
    """Find and store today's usage-decline alerts."""

    def work(backend: Any, money: Any) -> pd.DataFrame:
        moment = resolve_as_of(backend=backend, query=ChurnQuery(as_of=as_of))
        windows = usage_windows(backend, as_of=moment, thresholds=thresholds, money=money)
        return detect_declines(windows.execute(), thresholds=thresholds, as_of=moment)

    alerts = on_warehouse(
        settings.storage.resolved_warehouse_url, work, stored_money(settings=settings)
    )
    with session_scope(settings.storage.store_url) as session:
        save_alerts(session=session, alerts=alerts)
    return alerts


def score_health(
    *, settings: Settings, as_of: datetime | None, config: HealthConfig
) -> pd.DataFrame:
    """Compute and store every active subscriber's health score for the day."""

    def work(backend: Any, money: Any) -> tuple[datetime, pd.DataFrame]:
        moment = resolve_as_of(backend=backend, query=ChurnQuery(as_of=as_of))
        return moment, churn_features(backend, as_of=moment, money=money).execute()

    moment, features = on_warehouse(
        settings.storage.resolved_warehouse_url, work, stored_money(settings=settings)
    )
    with session_scope(settings.storage.store_url) as session:
        signals = stored_signals(session=session, customer_ids=features.customer_id.tolist())
        probability = signals.set_index("customer_id").risk.reindex(features.customer_id)
        probability.index = features.index
        scores = health_scores(features, probability, config=config)
        save_health(session=session, scores=scores, scored_on=moment.date())
    return scores.sort_values(["score", "customer_id"], ignore_index=True)


@dataclass(frozen=True)
class RenewalReport:
    """Renewals in the window and the renewed-MRR forecast."""

    as_of: datetime
    pipeline: pd.DataFrame
    forecast: dict[str, float]


def renewal_report(
    *, settings: Settings, as_of: datetime | None, within_days: int
) -> RenewalReport:
    """Subscriptions renewing within ``within_days``, with stored risk and health."""

    def work(backend: Any, money: Any) -> tuple[datetime, pd.DataFrame]:
        moment = resolve_as_of(backend=backend, query=ChurnQuery(as_of=as_of))
        renewals = renewing_subscriptions(
            backend, as_of=moment, within_days=within_days, money=money
        )
        return moment, renewals.execute()

    moment, renewals = on_warehouse(
        settings.storage.resolved_warehouse_url, work, stored_money(settings=settings)
    )
    with session_scope(settings.storage.store_url) as session:
        signals = stored_signals(session=session, customer_ids=renewals.customer_id.tolist())
    pipeline = build_pipeline(renewals, signals, as_of=moment)
    return RenewalReport(moment, pipeline, forecast_renewed_mrr(pipeline))


def generate_tasks(
    *,
    settings: Settings,
    as_of: datetime | None,
    thresholds: AlertThresholds,
    within_days: int = 30,
    min_risk: float = DEFAULT_MIN_RISK,
    max_health: float = DEFAULT_MAX_HEALTH,
) -> int:
    """Open tasks from today's usage alerts and at-risk renewals; returns how many are new."""
    alerts = detect_usage_alerts(settings=settings, as_of=as_of, thresholds=thresholds)
    report = renewal_report(settings=settings, as_of=as_of, within_days=within_days)
    owners = _owners(settings, alerts.customer_id.tolist())
    today = report.as_of.date()
    drafts = [
        *drafts_from_alerts(alerts, owners, today=today),
        *drafts_from_renewals(
            report.pipeline, today=today, min_risk=min_risk, max_health=max_health
        ),
    ]
    with session_scope(settings.storage.store_url) as session:
        return open_tasks(session=session, drafts=drafts)


def _owners(settings: Settings, customer_ids: list[str]) -> dict[str, str]:
    """Each customer's owner from the ``owner`` key of their attributes."""
    if not customer_ids:
        return {}

    def work(backend: Any) -> pd.DataFrame:
        customers = backend.table("customer")
        chosen = customers.filter(customers.customer_id.isin(customer_ids))
        return chosen.select("customer_id", "attributes").execute()

    found = on_warehouse(settings.storage.resolved_warehouse_url, work)
    return dict(zip(found.customer_id, owners_from_attributes(found.attributes), strict=True))
