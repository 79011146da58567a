"""Retain: open-source customer retention.

``import retain`` gives the functions the ``retain`` commands call (see "Python API" in the
README). Each name loads its module on first use, so ``import retain`` itself loads no
data-science or database library (tests/test_python_api.py holds this).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Name -> the module that defines it, grouped as the commands are.
_API: dict[str, str] = {
    # settings, the store and the warehouse
    "Settings": "retain.settings",
    "get_settings": "retain.settings",
    "migrated_session": "retain.store",
    "connect": "retain.warehouse",
    # retain ingest
    "ingest_file": "retain.ingest.service",
    # retain metrics, retain cohorts
    "Money": "retain.currency.money",
    "store_money": "retain.currency.service",
    "MetricsQuery": "retain.metrics.service",
    "compute_metrics": "retain.metrics.service",
    "CohortQuery": "retain.metrics.service",
    "compute_cohorts": "retain.metrics.service",
    # retain clv
    "ClvQuery": "retain.lifetime.service",
    "fit_models": "retain.lifetime.service",
    "predict_customers": "retain.lifetime.service",
    "save_predictions": "retain.lifetime.service",
    "validate_model": "retain.lifetime.service",
    # retain churn, retain health, retain renewals, retain tasks
    "ChurnQuery": "retain.churn.service",
    "train_table": "retain.churn.service",
    "score_table": "retain.churn.service",
    "load_model": "retain.churn.service",
    "save_model": "retain.churn.service",
    "train_on_warehouse": "retain.churn.jobs",
    "score_on_warehouse": "retain.churn.jobs",
    "detect_usage_alerts": "retain.churn.jobs",
    "score_health": "retain.churn.jobs",
    "renewal_report": "retain.churn.jobs",
    "generate_tasks": "retain.churn.jobs",
    # retain segments
    "list_segments": "retain.segments.service",
    "define_segment": "retain.segments.service",
    "refresh_segments": "retain.segments.service",
    "current_members": "retain.segments.service",
    # retain playbooks
    "install_shipped": "retain.engage.service",
    "save_playbook": "retain.engage.service",
    "run_playbooks": "retain.engage.service",
    "playbook_stats": "retain.engage.service",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """Load ``name`` from its module the first time it is asked for."""
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'retain' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
