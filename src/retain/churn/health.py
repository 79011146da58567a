"""Health score 0-100: a weighted mean of usage, risk, support, NPS and payment components.

Each component is 0-100 (higher is healthier):

* usage = 100 × clip(1 + usage_change_30d, 0, 1): the last 30 days' daily usage against the
  customer's own 90-day baseline, full marks at or above it; 0 after 30 days without usage;
* risk = 100 × (1 − churn probability) from the latest stored churn score;
* support = clip(100 − 30 × open tickets − 10 × tickets in 90 days, 0, 100);
* nps = 10 × last NPS, or else 25 × (last CSAT − 1);
* payment = clip(100 − 40 × downgrades in 180 days − 15 × returns in 180 days, 0, 100).

score = Σ wᵢ cᵢ / Σ wᵢ over the components that are known (a customer who never answered a
survey is scored on the other four), with weights per plan falling back to the default ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from retain.churn.models import HealthScore
from retain.sandbox import load_yaml
from retain.store import upsert

COMPONENTS = ("usage", "risk", "support", "nps", "payment")
DEFAULT_WEIGHTS = {"usage": 0.30, "risk": 0.30, "support": 0.15, "nps": 0.15, "payment": 0.10}
NO_USAGE_DAYS = 30


@dataclass(frozen=True)
class HealthConfig:
    """Component weights: a default set and optional sets per plan (or other segment)."""

    default: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    by_segment: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, weights in {"default": self.default, **self.by_segment}.items():
            unknown = set(weights) - set(COMPONENTS)
            if unknown:
                raise ValueError(
                    f"health weights {name!r}: unknown components {', '.join(sorted(unknown))}; "
                    f"use {', '.join(COMPONENTS)}"
                )
            if any(value < 0 for value in weights.values()) or sum(weights.values()) <= 0:
                raise ValueError(f"health weights {name!r}: need non-negative weights, not all 0")

    def weights(self, segment: str) -> dict[str, float]:
        """The segment's weights, missing components taken from the default."""
        chosen = self.by_segment.get(segment, {})
        return {name: chosen.get(name, self.default.get(name, 0.0)) for name in COMPONENTS}


def load_health_config(path: Path) -> HealthConfig:
    """Weights from YAML or JSON: ``{default: {usage: 0.3, ...}, plans: {team: {...}}}``."""
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    return HealthConfig(
        default={**DEFAULT_WEIGHTS, **(data.get("default") or {})},
        by_segment=dict(data.get("plans") or {}),
    )


def health_components(features: pd.DataFrame, probability: pd.Series) -> pd.DataFrame:
    """The five 0-100 components per customer (NaN where unknown) from churn features."""
    usage = 100 * (1 + features.usage_change_30d).clip(0, 1)
    usage = usage.where(features.days_since_usage < NO_USAGE_DAYS, 0.0)
    support = (100 - 30 * features.open_tickets - 10 * features.tickets_90d).clip(0, 100)
    nps = (10 * features.last_nps).fillna(25 * (features.last_csat - 1))
    payment = (100 - 40 * features.contractions_180d - 15 * features.returns_180d).clip(0, 100)
    return pd.DataFrame(
        {
            "usage": usage,
            "risk": 100 * (1 - probability.reindex(features.index)),
            "support": support,
            "nps": nps,
            "payment": payment,
        },
        index=features.index,
    ).astype("float64")


def health_scores(
    features: pd.DataFrame, probability: pd.Series, *, config: HealthConfig
) -> pd.DataFrame:
    """customer_id, segment, score and components; weights follow each customer's plan."""
    components = health_components(features, probability)
    segment = features.plan.fillna("unknown").astype(str)
    weights = pd.DataFrame(
        [config.weights(name) for name in segment], index=features.index, columns=COMPONENTS
    )
    known = components.notna()
    total = (components.fillna(0) * weights).sum(axis=1)
    weight = (weights * known).sum(axis=1)
    score = (total / weight.replace(0, np.nan)).round(1)
    return pd.concat(
        [
            features[["customer_id"]],
            segment.rename("segment"),
            score.rename("score"),
            components.round(1),
        ],
        axis=1,
    )


def save_health(*, session: Session, scores: pd.DataFrame, scored_on: date) -> int:
    """Store the day's scores (replacing a rerun of the same day); the history stays."""
    rows: list[dict[str, object]] = [
        {
            "customer_id": str(row["customer_id"]),
            "scored_on": scored_on,
            "segment": str(row["segment"]),
            **{name: _number(row[name]) for name in ("score", *COMPONENTS)},
        }
        for row in scores.to_dict("records")
    ]
    upsert(session, HealthScore, rows)
    return len(rows)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def latest_health(*, session: Session, limit: int = 100, offset: int = 0) -> list[HealthScore]:
    """Each customer's most recent health score, least healthy first."""
    return list(session.scalars(latest_health_query().limit(limit).offset(offset)))


def latest_health_query() -> Select[HealthScore]:
    """The latest day's health scores, least healthy first, as a query to page."""
    newest = select(HealthScore.scored_on).order_by(HealthScore.scored_on.desc()).limit(1)
    return (
        select(HealthScore)
        .where(HealthScore.scored_on == newest.scalar_subquery())
        .order_by(HealthScore.score, HealthScore.customer_id)
    )


def health_history(*, session: Session, customer_id: str) -> list[HealthScore]:
    """A customer's health scores over time, oldest first: the trend."""
    statement = (
        select(HealthScore)
        .where(HealthScore.customer_id == customer_id)
        .order_by(HealthScore.scored_on)
    )
    return list(session.scalars(statement))
