"""Churn risk: time-based backtests, training, scoring with reasons, and bring-your-own tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from retain.churn.defaults import DEFAULT_HORIZON_DAYS
from retain.churn.features import FEATURES, churn_features, churn_labels, latest_fact_at
from retain.churn.linear import LinearChurnModel, fit_linear_churn_model
from retain.churn.model import (
    ChurnInputError,
    ChurnModel,
    evaluate_scores,
    fit_baseline,
    fit_churn_model,
    predict_baseline,
)
from retain.churn.models import ChurnScore
from retain.churn.reasons import top_reasons
from retain.churn.table import PreparedTable, prepare_table, read_table
from retain.currency.money import Money
from retain.store import upsert

# Training stacks this many past snapshots, each H days apart: more churners to learn from.
DEFAULT_SNAPSHOTS = 6
# The backtest evaluates at this many points, H days apart, and pools their customers.
DEFAULT_ROLLS = 3
CROSS_VALIDATION_FOLDS = 5
CATEGORICAL_FEATURES = ["plan"]
TREES = "gradient_boosted_trees"
LOGISTIC = "logistic_regression"
AnyChurnModel = ChurnModel | LinearChurnModel


@dataclass(frozen=True)
class ChurnQuery:
    """When to measure and how far ahead "churned" looks."""

    as_of: datetime | None = None
    horizon_days: int = DEFAULT_HORIZON_DAYS
    snapshots: int = DEFAULT_SNAPSHOTS
    rolls: int = DEFAULT_ROLLS
    seed: int = 0


def labelled_frame(
    *, backend: BaseBackend, as_of: datetime, horizon_days: int, money: Money
) -> pd.DataFrame:
    """Features as of ``as_of`` with ``churned`` (1/0) over the next ``horizon_days``."""
    features = churn_features(backend, as_of=as_of, money=money)
    labels = churn_labels(backend, as_of=as_of, horizon_days=horizon_days)
    joined = features.left_join(labels, "customer_id").drop("customer_id_right")
    frame = joined.mutate(churned=joined.churned.fill_null(0)).order_by("customer_id").execute()
    frame["as_of"] = as_of
    return frame


def resolve_as_of(*, backend: BaseBackend, query: ChurnQuery) -> datetime:
    """The query's date, or the day after the warehouse's latest subscription or usage fact."""
    if query.as_of is not None:
        return query.as_of
    latest = latest_fact_at(backend)
    if latest is None:
        raise ChurnInputError("the warehouse has no subscription changes or usage to learn from")
    return datetime.combine(latest.date() + timedelta(days=1), datetime.min.time())


Snapshots = dict[datetime, pd.DataFrame]


def _snapshots(
    backend: BaseBackend,
    *,
    dates: list[datetime],
    horizon_days: int,
    money: Money,
    computed: Snapshots | None = None,
) -> Snapshots:
    """A labelled frame per date, each computed once (and kept in ``computed`` when given)."""
    kept: Snapshots = {} if computed is None else computed
    for at in sorted(set(dates)):
        if at not in kept:
            kept[at] = labelled_frame(
                backend=backend, as_of=at, horizon_days=horizon_days, money=money
            )
    return {at: kept[at] for at in sorted(set(dates))}


def _training_dates(end: datetime, query: ChurnQuery) -> list[datetime]:
    """end - H, end - 2H, ...: each snapshot's label window ends where the next one starts."""
    horizon = timedelta(days=query.horizon_days)
    return [end - horizon * step for step in range(1, query.snapshots + 1)]


def _fit(frame: pd.DataFrame, *, seed: int) -> tuple[ChurnModel, Any]:
    model = fit_churn_model(
        frame=frame,
        label=frame.churned,
        numeric=list(FEATURES),
        categorical=CATEGORICAL_FEATURES,
        seed=seed,
    )
    baseline = fit_baseline(
        frame=frame, label=frame.churned, numeric=list(FEATURES), categorical=CATEGORICAL_FEATURES
    )
    return model, baseline


def backtest(
    *, backend: BaseBackend, query: ChurnQuery, money: Money, computed: Snapshots | None = None
) -> dict[str, Any]:
    """Rolling: for T = as_of − H, as_of − 2H, ..., train on snapshots before T, test at T.

    The labelled snapshots it computes are kept in ``computed`` when given: training on the
    same warehouse afterwards needs the same dates.
    """
    as_of = resolve_as_of(backend=backend, query=query)
    horizon = timedelta(days=query.horizon_days)
    tests = [as_of - horizon * step for step in range(1, query.rolls + 1)]
    dates = [*tests, *(at for test in tests for at in _training_dates(test, query))]
    frames = _snapshots(
        backend, dates=dates, horizon_days=query.horizon_days, money=money, computed=computed
    )
    truth, scores, baseline_scores = [], [], []
    for test_at in tests:
        test = frames[test_at]
        train = pd.concat([frames[at] for at in _training_dates(test_at, query)])
        if test.empty or train.churned.nunique() < 2:
            continue
        model, baseline = _fit(train, seed=query.seed)
        truth.append(test.churned.to_numpy())
        scores.append(model.predict(test))
        baseline_scores.append(
            predict_baseline(
                baseline, test, numeric=list(FEATURES), categorical=CATEGORICAL_FEATURES
            )
        )
    if not truth or np.concatenate(truth).max() == 0:
        raise ChurnInputError(f"no churners to evaluate on before {as_of:%Y-%m-%d}")
    report = evaluate_scores(
        np.concatenate(truth),
        np.concatenate(scores),
        np.concatenate(baseline_scores),
        seed=query.seed,
    )
    return {
        "horizon_days": query.horizon_days,
        "evaluated_as_of": [f"{at:%Y-%m-%d}" for at in tests],
        "snapshots_per_training": query.snapshots,
        **report,
        "kept": choose_model(report=report),
    }


def choose_model(*, report: dict[str, Any]) -> str:
    """The kind that ranked churners better on held-out data; the trees when they tie."""
    trees, logistic = report["roc_auc"]["value"], report["baseline_roc_auc"]["value"]
    return LOGISTIC if logistic > trees else TREES


def fit_model(
    *,
    kind: str,
    frame: pd.DataFrame,
    label: Any,
    numeric: list[str],
    categorical: list[str],
    seed: int,
) -> AnyChurnModel:
    """Fit the chosen kind of model on every row given."""
    if kind == LOGISTIC:
        return fit_linear_churn_model(
            frame=frame, label=label, numeric=numeric, categorical=categorical
        )
    return fit_churn_model(
        frame=frame, label=label, numeric=numeric, categorical=categorical, seed=seed
    )


def train_warehouse_model(
    *,
    backend: BaseBackend,
    query: ChurnQuery,
    money: Money,
    kind: str = TREES,
    computed: Snapshots | None = None,
) -> AnyChurnModel:
    """A model from every complete snapshot up to ``as_of``, for scoring today's customers."""
    as_of = resolve_as_of(backend=backend, query=query)
    dates = _training_dates(as_of, query)
    frames = _snapshots(
        backend, dates=dates, horizon_days=query.horizon_days, money=money, computed=computed
    )
    frame = pd.concat(frames.values(), ignore_index=True)
    model = fit_model(
        kind=kind,
        frame=frame,
        label=frame.churned,
        numeric=list(FEATURES),
        categorical=CATEGORICAL_FEATURES,
        seed=query.seed,
    )
    model.horizon_days = query.horizon_days
    model.meta = {"trained_as_of": f"{as_of:%Y-%m-%d}", "rows": int(len(frame))}
    return model


def score_frame(*, model: AnyChurnModel, frame: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """customer_id, probability and reasons (a list of feature, contribution, en, zh-CN)."""
    probability = model.predict(frame)
    reasons = top_reasons(model.contributions(frame), frame)
    return pd.DataFrame(
        {"customer_id": ids.to_numpy(), "probability": probability, "reasons": reasons}
    )


def score_warehouse(
    *, backend: BaseBackend, model: AnyChurnModel, query: ChurnQuery, money: Money
) -> pd.DataFrame:
    """Every active subscriber's churn probability and reasons as of ``as_of``."""
    as_of = resolve_as_of(backend=backend, query=query)
    features = churn_features(backend, as_of=as_of, money=money).order_by("customer_id").execute()
    scored = score_frame(model=model, frame=features, ids=features.customer_id)
    scored["scored_at"] = as_of
    return scored


def save_scores(*, session: Session, scores: pd.DataFrame, horizon_days: int) -> int:
    """Store each customer's latest score and reasons; returns how many were written."""
    rows: list[dict[str, object]] = [
        {
            "customer_id": str(customer),
            "probability": float(probability),
            "horizon_days": horizon_days,
            "reasons": reasons,
            "scored_at": _naive(scored_at),
        }
        for customer, probability, reasons, scored_at in zip(
            scores.customer_id, scores.probability, scores.reasons, scores.scored_at, strict=True
        )
    ]
    upsert(session, ChurnScore, rows)
    return len(rows)


def _naive(moment: Any) -> datetime:
    value = pd.Timestamp(moment).to_pydatetime()
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def list_scores(*, session: Session, limit: int = 100, offset: int = 0) -> list[ChurnScore]:
    """Stored scores, riskiest first."""
    return list(session.scalars(scores_query().limit(limit).offset(offset)))


def scores_query() -> Select[ChurnScore]:
    """Stored churn scores, riskiest first, as a query to page."""
    return select(ChurnScore).order_by(ChurnScore.probability.desc(), ChurnScore.customer_id)


def list_probabilities(*, session: Session) -> list[float]:
    """Every stored customer's churn probability, in no particular order."""
    return list(session.scalars(select(ChurnScore.probability)))


def get_score(*, session: Session, customer_id: str) -> ChurnScore | None:
    """A customer's stored score, if any."""
    return session.get(ChurnScore, customer_id)


def save_model(*, model: AnyChurnModel, path: Path, report: dict[str, Any] | None = None) -> None:
    """Write the model (joblib) and, beside it, its report as JSON."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    if report is not None:
        report_path(model_path=path).write_text(json.dumps(report, indent=2, ensure_ascii=False))


def report_path(*, model_path: Path) -> Path:
    """Where a model's report lives: beside it, ``.json``."""
    return model_path.with_suffix(".report.json")


def load_model(*, path: Path) -> AnyChurnModel:
    """A model written by :func:`save_model` (only load files you wrote: joblib runs code)."""
    if not path.is_file():
        raise ChurnInputError(f"{path}: no such model file; run 'retain churn train' first")
    import joblib

    model = joblib.load(path)
    if not isinstance(model, ChurnModel | LinearChurnModel):
        raise ChurnInputError(f"{path}: not a churn model")
    return model


def train_table(
    *, path: Path, label_column: str, id_column: str | None = None, seed: int = 0
) -> tuple[AnyChurnModel, dict[str, Any]]:
    """Cross-validate on a labelled table (out-of-fold AUC with interval), then fit on it all."""
    prepared = prepare_table(
        read_table(path), path=path, label_column=label_column, id_column=id_column
    )
    labelled = _labelled_rows(prepared)
    label = labelled.label
    assert label is not None  # prepare_table reads it when a label column is named
    target = label.to_numpy(dtype=np.int64)
    folds = min(CROSS_VALIDATION_FOLDS, int(np.bincount(target).min()))
    if folds < 2:
        raise ChurnInputError(
            f"{path}: label column {label_column!r} needs at least 2 rows of each class"
        )
    scores, baseline = _out_of_fold(labelled, target, folds=folds, seed=seed)
    report = {
        "table": str(path),
        "label": label_column,
        "folds": folds,
        "numeric": labelled.numeric,
        "categorical": labelled.categorical,
        **evaluate_scores(target, scores, baseline, seed=seed),
    }
    report["kept"] = choose_model(report=report)
    model = fit_model(
        kind=report["kept"],
        frame=labelled.frame,
        label=target,
        numeric=labelled.numeric,
        categorical=labelled.categorical,
        seed=seed,
    )
    model.meta = {"table": str(path), "label": label_column, "id": id_column}
    return model, report


def _labelled_rows(prepared: PreparedTable) -> PreparedTable:
    """Only the rows whose label is filled in."""
    assert prepared.label is not None
    keep = prepared.label.notna().to_numpy()
    return PreparedTable(
        frame=prepared.frame[keep],
        ids=prepared.ids[keep],
        numeric=prepared.numeric,
        categorical=prepared.categorical,
        label=prepared.label[keep],
    )


def _out_of_fold(
    prepared: PreparedTable, target: np.ndarray, *, folds: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's probability from the model and the baseline fitted without its fold."""
    from sklearn.model_selection import StratifiedKFold

    scores, baseline = np.zeros(target.size), np.zeros(target.size)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(prepared.frame, target):
        frame = prepared.frame
        model = fit_churn_model(
            frame=frame.iloc[train],
            label=target[train],
            numeric=prepared.numeric,
            categorical=prepared.categorical,
            seed=seed,
        )
        scores[test] = model.predict(frame.iloc[test])
        fitted = fit_baseline(
            frame=frame.iloc[train],
            label=target[train],
            numeric=prepared.numeric,
            categorical=prepared.categorical,
        )
        baseline[test] = predict_baseline(
            fitted, frame.iloc[test], numeric=prepared.numeric, categorical=prepared.categorical
        )
    return scores, baseline


def score_table(*, path: Path, model: AnyChurnModel, id_column: str | None = None) -> pd.DataFrame:
    """A table's churn probabilities and reasons from a model trained with ``train_table``."""
    frame = read_table(path)
    column = id_column or model.meta.get("id")
    prepared = prepare_table(
        frame,
        path=path,
        label_column=None,
        id_column=column if column in frame.columns else None,
        numeric=model.numeric,
        categorical=list(model.categorical),
    )
    return score_frame(model=model, frame=prepared.frame, ids=prepared.ids)
