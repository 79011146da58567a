"""The full demo's analytic steps: what ``retain clv``, ``churn``, ``health``, ``tasks``,
``segments`` and ``playbooks`` would compute, run over the imported demo business.

The playbooks run over the demo's past: weekly, with the clock set to each week, as the worker
would have run them. Their messages are recorded as sent at that time (a demo never sends), and
one playbook has a planted effect: after each run, every customer it treated (not held out) orders
again within the goal window with a known probability. The true effect that planting caused is
written to ``planted-effect.json`` beside the data, so the lift Retain reports can be checked.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from retain.clock import utcnow_to_the_second
from retain.demo.steps import DemoContext, DemoStep

if TYPE_CHECKING:
    import pandas as pd
    from ibis.backends import BaseBackend

# How far back the playbooks run, one run a week ending at the end of the data: 13 weeks and the
# first run's day of lookback span more than 90 days, so every recurring playbook fires once.
PAST_WEEKS = 13
# Segments are refreshed before every run this many weeks apart (entries of segment triggers).
SEGMENT_EVERY_WEEKS = 4
PLANTED_ORDER_PREFIX = "DEMO-EFFECT-"
PLANTED_EFFECT_FILE = "planted-effect.json"


@dataclass(frozen=True)
class PlantedEffect:
    """Each treated entry of ``playbook`` orders again in ``window_days`` with ``probability``."""

    playbook: str = "win-back"
    probability: float = 0.3
    # The lift Retain reports on this outcome: an order within 30 days of entering.
    outcome: str = "repurchase_30"
    window_days: int = 30


PLANTED = PlantedEffect()


def data_end(context: DemoContext) -> datetime:
    """The instant the generated business stops (its ``as_of``)."""
    params = json.loads((context.demo_dir / "params.json").read_text(encoding="utf-8"))
    return datetime.fromisoformat(params["as_of"]).replace(tzinfo=None)


def predict_lifetime(context: DemoContext) -> str:
    """Fit BG/NBD and Gamma-Gamma, predict a year ahead and store it (``retain clv predict``)."""
    from retain.currency.service import stored_money
    from retain.lifetime.service import (
        DEFAULT_HORIZON,
        ClvQuery,
        fit_models,
        predict_customers,
        save_predictions,
    )
    from retain.store import session_scope
    from retain.warehouse import on_warehouse

    query = ClvQuery()
    fitted = on_warehouse(
        context.settings.storage.resolved_warehouse_url,
        lambda backend, money: fit_models(backend=backend, query=query, money=money),
        stored_money(settings=context.settings),
    )
    predictions = predict_customers(
        fitted=fitted,
        horizon=DEFAULT_HORIZON[query.unit],
        annual_discount_rate=0.1,
        margin=1.0,
        predicted_at=utcnow_to_the_second(),
    )
    with session_scope(context.settings.storage.store_url) as session:
        stored = save_predictions(session=session, predictions=predictions)
    return f"{stored:,} lifetime-value predictions"


def score_churn(context: DemoContext) -> str:
    """Train the churn model with its backtest, then score subscribers with reasons."""
    from retain.churn.jobs import default_model_path, score_on_warehouse, train_on_warehouse
    from retain.churn.service import ChurnQuery

    path = default_model_path(context.settings)
    _, report = train_on_warehouse(settings=context.settings, query=ChurnQuery(), model_path=path)
    scores = score_on_warehouse(settings=context.settings, query=ChurnQuery(), model_path=path)
    roc = report["roc_auc"]
    return (
        f"{len(scores):,} churn scores with reasons; backtest ROC AUC "
        f"{roc['value']:.2f} [{roc['low']:.2f}, {roc['high']:.2f}]"
    )


def score_health_and_alerts(context: DemoContext) -> str:
    """Health scores of every subscriber and today's usage-decline alerts."""
    from retain.churn.health import HealthConfig
    from retain.churn.jobs import detect_usage_alerts, score_health
    from retain.churn.usage import AlertThresholds

    health = score_health(settings=context.settings, as_of=None, config=HealthConfig())
    alerts = detect_usage_alerts(
        settings=context.settings, as_of=None, thresholds=AlertThresholds()
    )
    return f"{len(health):,} health scores, {len(alerts):,} usage alerts"


def generate_owner_tasks(context: DemoContext) -> str:
    """Tasks for owners from usage alerts and at-risk renewals (``retain tasks generate``)."""
    from retain.churn.jobs import generate_tasks
    from retain.churn.usage import AlertThresholds

    opened = generate_tasks(settings=context.settings, as_of=None, thresholds=AlertThresholds())
    return f"{opened:,} tasks opened"


def refresh_segments_now(context: DemoContext) -> str:
    """Every segment evaluated today, after the scores it reads (``retain segments refresh``)."""
    from retain.segments.service import refresh_segments
    from retain.store import session_scope
    from retain.warehouse import connect

    backend = connect(context.settings.storage.resolved_warehouse_url)
    try:
        with session_scope(context.settings.storage.store_url) as session:
            results = refresh_segments(session=session, backend=backend, at=utcnow_to_the_second())
    finally:
        backend.disconnect()
    members = sum(result.members for result in results)
    return f"{len(results)} segments, {members:,} memberships"


def run_playbooks_over_past(context: DemoContext) -> str:
    """Install the shipped playbooks and run them weekly over the past, with a planted effect."""
    from retain.engage import service as engage
    from retain.messaging.events import export_deliveries
    from retain.store import ensure_store, session_scope

    settings = context.settings
    end = data_end(context)
    moments = [end - timedelta(weeks=weeks) for weeks in range(PAST_WEEKS, -1, -1)]
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        engage.install_shipped(session=session, at=moments[0])
        records = engage.list_records(session=session)
        names = [record.name for record in records]
        if any(record.triggered_until is not None for record in records):
            # A demo run again on its data: the past has been run; running it again would
            # plant a second effect on top of the recorded one.
            return f"{len(names)} playbooks already run over the past ({PLANTED_EFFECT_FILE})"
    planter = _Planter(context=context, effect=PLANTED, data_end=end)
    sends = _run_weekly(context, moments, names, planter)
    export_deliveries(settings=settings)
    truth = planter.record(measured_at=end)
    lift = truth["reported"]
    return (
        f"{len(names)} playbooks run weekly over {PAST_WEEKS} weeks, {sends:,} sends; "
        f"{PLANTED.playbook} lift {100 * lift['estimate']:+.1f} pp "
        f"[{100 * lift['low']:+.1f}, {100 * lift['high']:+.1f}], planted "
        f"{100 * truth['true_effect']:+.1f} pp"
    )


def _run_weekly(
    context: DemoContext, moments: list[datetime], names: list[str], planter: _Planter
) -> int:
    """Refresh segments and run the playbooks at each moment, as the worker would have."""
    from retain.engage.service import run_playbooks
    from retain.segments.service import refresh_segments
    from retain.store import session_scope
    from retain.warehouse import connect

    settings = context.settings
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        for week, moment in enumerate(moments):
            if week % SEGMENT_EVERY_WEEKS == 0:
                with session_scope(settings.storage.store_url) as session:
                    refresh_segments(session=session, backend=backend, at=moment)
            run_playbooks(settings=settings, backend=backend, at=moment, names=names)
            planter.plant(backend=backend)
    finally:
        backend.disconnect()
    return _record_past_sends(context)


def _record_past_sends(context: DemoContext) -> int:
    """Mark every queued message sent when it was due: the demo's past, never sent."""
    from sqlalchemy import func, update

    from retain.messaging.models import Delivery
    from retain.store import session_scope

    with session_scope(context.settings.storage.store_url) as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.status == "queued")
            .values(
                status="sent",
                sent_at=func.coalesce(Delivery.not_before, Delivery.created_at),
                attempts=1,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def record_queued_as_sent(context: DemoContext) -> str:
    """Mark every message the demo's steps queued (survey invitations, return notices…) sent
    when it was due: a demo never leaves mail for a real worker to send to made-up customers."""
    from retain.messaging.events import export_deliveries

    recorded = _record_past_sends(context)
    export_deliveries(settings=context.settings)
    return f"{recorded:,} queued messages recorded as sent"


RECORD_QUEUED = DemoStep("messages", record_queued_as_sent)


class _Planter:
    """Plants the effect on each new treated entry of one playbook, and records what it caused."""

    def __init__(self, *, context: DemoContext, effect: PlantedEffect, data_end: datetime) -> None:
        import numpy as np

        self.context = context
        self.effect = effect
        self.data_end = data_end
        self.rng = np.random.default_rng(context.seed)
        self.seen = 0
        self.planted: dict[int, datetime] = {}

    def plant(self, *, backend: BaseBackend) -> None:
        """Orders for this run's new treated entries, each with the effect's probability."""
        entries = self._new_treated_entries()
        if entries.empty:
            return
        self.seen = int(entries["enrollment_id"].max())
        chosen = entries[self.rng.random(len(entries)) < self.effect.probability]
        # Strictly inside the window: an order at the very moment of entry does not count.
        days = self.rng.uniform(1, self.effect.window_days - 1, len(chosen))
        ordered_at = chosen["entered_at"].to_numpy() + (days * 86_400).astype("timedelta64[s]")
        chosen = chosen.assign(ordered_at=ordered_at)
        chosen = chosen[chosen["ordered_at"] < self.data_end]
        if chosen.empty:
            return
        _insert_orders(backend, _planted_orders(backend, chosen))
        self.planted.update(zip(chosen["enrollment_id"], chosen["ordered_at"], strict=True))

    def _new_treated_entries(self) -> pd.DataFrame:
        import pandas as pd
        from sqlalchemy import select

        from retain.engage.models import Enrollment
        from retain.store import session_scope

        with session_scope(self.context.settings.storage.store_url) as session:
            rows = session.execute(
                select(Enrollment.enrollment_id, Enrollment.customer_id, Enrollment.entered_at)
                .where(
                    Enrollment.playbook == self.effect.playbook,
                    Enrollment.held_out.is_(None),
                    Enrollment.enrollment_id > self.seen,
                )
                .order_by(Enrollment.enrollment_id)
            ).all()
        frame = pd.DataFrame(rows, columns=["enrollment_id", "customer_id", "entered_at"])
        return frame.assign(entered_at=pd.to_datetime(frame["entered_at"]))

    def record(self, *, measured_at: datetime) -> dict[str, Any]:
        """The true effect among treated entries whose window is over, beside Retain's lift."""
        truth = self.true_effect(measured_at=measured_at)
        truth["reported"] = reported_lift(self.context, effect=self.effect, at=measured_at)
        path = self.context.demo_dir / PLANTED_EFFECT_FILE
        path.write_text(json.dumps(truth, indent=2, default=str), encoding="utf-8")
        return truth

    def true_effect(self, *, measured_at: datetime) -> dict[str, Any]:
        """How many treated entries' outcome the planted orders turned from no to yes.

        An entry flips when it got a planted order and had no other order in its window: without
        the planting it would not have converted. Flipped over treated is the true effect on the
        treated; the held-out entries are untouched, so Retain's lift estimates the same figure.
        """
        import ibis
        import pandas as pd
        from sqlalchemy import select

        from retain.engage.models import Enrollment
        from retain.store import session_scope
        from retain.warehouse import connect

        window = timedelta(days=self.effect.window_days)
        with session_scope(self.context.settings.storage.store_url) as session:
            rows = session.execute(
                select(
                    Enrollment.enrollment_id, Enrollment.customer_id, Enrollment.entered_at
                ).where(
                    Enrollment.playbook == self.effect.playbook,
                    Enrollment.held_out.is_(None),
                    Enrollment.entered_at <= measured_at - window,
                )
            ).all()
        entries = pd.DataFrame(rows, columns=["enrollment_id", "customer_id", "entered_at"])
        entries["entered_at"] = pd.to_datetime(entries["entered_at"])
        backend = connect(self.context.settings.storage.resolved_warehouse_url)
        try:
            natural = _entries_with_other_orders(backend, ibis.memtable(entries), window)
        finally:
            backend.disconnect()
        flipped = sum(
            1
            for enrollment_id in entries["enrollment_id"]
            if enrollment_id in self.planted and enrollment_id not in natural
        )
        treated = len(entries)
        return {
            **asdict(self.effect),
            "measured_at": measured_at.isoformat(),
            "treated": treated,
            "planted_orders": len(self.planted),
            "flipped": flipped,
            "true_effect": flipped / treated if treated else 0.0,
        }


def _entries_with_other_orders(backend: BaseBackend, entries: Any, window: timedelta) -> set[int]:
    """Entries with an order in their window that the demo did not plant."""
    import ibis

    orders = backend.table("order")
    # Every order counts, as in the lift Retain reports, except the planted ones.
    orders = orders.filter(~orders.order_id.startswith(PLANTED_ORDER_PREFIX))
    met = entries.join(
        orders,
        [
            entries.customer_id == orders.customer_id,
            orders.ordered_at > entries.entered_at,
            orders.ordered_at <= entries.entered_at + ibis.interval(seconds=window.total_seconds()),
        ],
    )
    return {int(value) for value in met.enrollment_id.execute().tolist()}


def reported_lift(context: DemoContext, *, effect: PlantedEffect, at: datetime) -> dict[str, float]:
    """The absolute lift Retain reports for the planted playbook, with its 95% interval."""
    from retain.engage.service import playbook_stats
    from retain.store import session_scope
    from retain.warehouse import connect

    backend = connect(context.settings.storage.resolved_warehouse_url)
    try:
        with session_scope(context.settings.storage.store_url) as session:
            stats = playbook_stats(session=session, backend=backend, name=effect.playbook, at=at)
    finally:
        backend.disconnect()
    measured = next(item for item in stats.lifts if item.outcome == effect.outcome)
    if measured.absolute is None:
        return {"estimate": float("nan"), "low": float("nan"), "high": float("nan")}
    return asdict(measured.absolute)


def _planted_orders(backend: BaseBackend, chosen: pd.DataFrame) -> pd.DataFrame:
    """One order per chosen entry, of the customer's usual amount in their currency."""
    orders = backend.table("order")
    customers = sorted(set(chosen["customer_id"]))
    usual = (
        orders.filter(orders.customer_id.isin(customers), orders.status != "cancelled")
        .group_by("customer_id")
        .aggregate(amount=orders.amount.mean(), currency=orders.currency.max())
        .execute()
    )
    joined = chosen.merge(usual, on="customer_id", how="inner")
    return joined.assign(
        order_id=PLANTED_ORDER_PREFIX + joined["enrollment_id"].astype(str),
        amount=joined["amount"].astype(float).round(2),
        status="paid",
        discount=0.0,
    )[["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "discount"]]


def _insert_orders(backend: BaseBackend, frame: pd.DataFrame) -> None:
    from retain.warehouse.load import MergePlan, merge_frame

    plan = MergePlan(table="order", key=("order_id",), columns=tuple(frame.columns))
    merge_frame(
        backend,
        frame,
        plan=plan,
        projection=(
            "order_id, customer_id, CAST(ordered_at AS TIMESTAMP) AS ordered_at, "
            "CAST(amount AS DECIMAL(18, 2)) AS amount, currency, status, "
            "CAST(discount AS DECIMAL(18, 2)) AS discount"
        ),
    )


ANALYTIC_STEPS: list[DemoStep] = [
    DemoStep("lifetime value", predict_lifetime),
    DemoStep("churn model and scores", score_churn),
    DemoStep("health and usage alerts", score_health_and_alerts),
    DemoStep("tasks", generate_owner_tasks),
    DemoStep("playbooks over the past", run_playbooks_over_past),
    DemoStep("segments", refresh_segments_now),
]
