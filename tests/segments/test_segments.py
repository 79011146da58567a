"""Attributes, RFM scores and refresh history on the hand-made shop, on both backend pairs."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from retain.churn.models import ChurnScore
from retain.segments.features import customer_attributes, read_store_inputs
from retain.segments.models import SegmentDefinition
from retain.segments.rules import compile_rule
from retain.segments.service import (
    SegmentError,
    define_segment,
    delete_segment,
    refresh_segments,
    segments_of,
    transitions,
)
from retain.settings import Settings
from retain.store import session_scope
from retain.warehouse import connect
from tests.segments.shop import AT, shop_frames

RISKY = 'churn_risk > 0.6 and clv > 500 and country in ["CN","SG"]'


def _attributes(settings: Settings) -> pd.DataFrame:
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            store = read_store_inputs(session=session)
        return customer_attributes(backend, at=AT, store=store).execute().set_index("customer_id")
    finally:
        backend.disconnect()


def _selected(settings: Settings, rule: str) -> set[str]:
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            store = read_store_inputs(session=session)
        table = customer_attributes(backend, at=AT, store=store)
        return set(table.filter(compile_rule(rule, table)).customer_id.execute())
    finally:
        backend.disconnect()


def _expected_rfm() -> pd.DataFrame:
    """Scores by quintiles of the raw orders, worked out with pandas."""
    orders = shop_frames()["order"]
    counted = orders[(orders.status != "cancelled") & (orders.ordered_at < AT)]
    per = counted.groupby("customer_id").agg(
        last=("ordered_at", "max"), orders=("order_id", "count"), revenue=("amount", "sum")
    )
    per["monetary"] = per.revenue / per.orders

    def quintile(values: pd.Series) -> pd.Series:
        return pd.qcut(values.rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)

    return pd.DataFrame(
        {
            "r_score": quintile(per["last"]),
            "f_score": quintile(per["orders"]),
            "m_score": quintile(per["monetary"]),
            "monetary": per["monetary"],
            "recency_days": (AT - per["last"]).dt.days.astype(float),
        }
    )


def _grid_cell(r: int, f: int) -> str:
    if r >= 3 and f >= 4:
        return "champions" if r == 5 else "loyal"
    if r >= 4:
        return "new" if f == 1 else "potential_loyalists"
    if r == 3:
        return "hibernating"
    return "cant_lose" if f == 5 else "at_risk" if f >= 3 else "lost"


def test_attributes_and_rfm_scores_match_a_hand_computation(shop: Settings) -> None:
    found = _attributes(shop)
    expected = _expected_rfm()
    buyers = found.loc[expected.index]
    for column in ("r_score", "f_score", "m_score"):
        assert buyers[column].astype(int).to_dict() == expected[column].to_dict(), column
    assert buyers.monetary.astype(float).round(6).to_dict() == expected.monetary.to_dict()
    assert buyers.recency_days.round(6).to_dict() == expected.recency_days.to_dict()
    segments = {
        customer: _grid_cell(row.r_score, row.f_score) for customer, row in expected.iterrows()
    }
    assert buyers.rfm_segment.to_dict() == segments
    # C0's cancelled order and C1's order after AT count for nothing.
    assert found.loc["C0", "orders"] == 1 and found.loc["C1", "orders"] == 2
    never = found.loc["C10"]
    assert never.orders == 0 and pd.isna(never.r_score) and pd.isna(never.rfm_segment)
    assert found.loc["C0", "churn_risk"] == 0.9 and pd.isna(found.loc["C2", "churn_risk"])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (RISKY, {"C0", "C5", "C9"}),
        # A test on a missing value is false, so "not" includes the unscored customers.
        ("not (churn_risk > 0.6)", {"C2", "C3", "C4", "C6", "C7", "C8", "C10"}),
        ("churn_risk is null and country in ['CN', 'JP']", {"C6", "C10"}),
        ("country not in ['CN', 'SG'] and orders >= 8", {"C7", "C8"}),
        ("orders = 0 or rfm_segment = 'loyal'", {"C10", "C6", "C8", "C9"}),
        ("channel contains 'ad' and recency_days < 60", {"C9"}),
        ("last_order_at >= '2026-05-15'", {"C0", "C2"}),
        ("language = \"中文\" or country contains 'Ü'", {"C10"}),
    ],
)
def test_compiled_rules_select_the_hand_expected_customers(
    shop: Settings, rule: str, expected: set[str]
) -> None:
    assert _selected(shop, rule) == expected


def test_refresh_records_entries_and_exits_once(shop: Settings) -> None:
    later, latest = AT + timedelta(days=7), AT + timedelta(days=14)
    backend = connect(shop.storage.resolved_warehouse_url)
    try:
        with session_scope(shop.storage.store_url) as session:
            define_segment(session=session, name="risky", rule=RISKY)
            (first,) = refresh_segments(session=session, backend=backend, at=AT, names=["risky"])
        with session_scope(shop.storage.store_url) as session:
            session.get(ChurnScore, "C9").probability = 0.1  # type: ignore[union-attr]
            session.get(ChurnScore, "C1").probability = 0.2  # type: ignore[union-attr]
        with session_scope(shop.storage.store_url) as session:
            (second,) = refresh_segments(
                session=session, backend=backend, at=later, names=["risky"]
            )
            (again,) = refresh_segments(session=session, backend=backend, at=later, names=["risky"])
            steps: list[tuple[int, int, str]] = []
            everything = refresh_segments(
                session=session,
                backend=backend,
                at=latest,
                on_progress=lambda done, total, label: steps.append((done, total, label)),
            )
            nothing = refresh_segments(session=session, backend=backend, at=latest, names=[])
            history = transitions(session=session, name="risky")
            since_later = transitions(session=session, name="risky", since=later)
            in_c0 = segments_of(session=session, customer_id="C0")
            with pytest.raises(SegmentError, match="refreshed at"):
                refresh_segments(session=session, backend=backend, at=AT, names=["risky"])
    finally:
        backend.disconnect()
    assert (first.members, first.entered, first.exited) == (3, 3, 0)
    assert (second.members, second.entered, second.exited) == (2, 0, 1)
    assert (again.entered, again.exited) == (0, 0)
    assert nothing == []
    assert [step[:2] for step in steps] == [(done, 10) for done in range(10)]
    assert steps[-1][2] == "recording risky"
    assert [(t.customer_id, t.kind, t.at) for t in history] == [
        ("C0", "entry", AT),
        ("C5", "entry", AT),
        ("C9", "entry", AT),
        ("C9", "exit", later),
    ]
    assert [(t.customer_id, t.kind) for t in since_later] == [("C9", "exit")]
    # Built-in segments partition the buyers: every buyer is in exactly one.
    rfm = [result for result in everything if result.name.startswith("rfm:")]
    assert len(rfm) == 8 and sum(result.members for result in rfm) == 10
    assert in_c0 == sorted(["risky", "rfm:" + _grid_cell(*_scores("C0"))])


def _scores(customer: str) -> tuple[int, int]:
    row = _expected_rfm().loc[customer]
    return int(row.r_score), int(row.f_score)


def test_definitions_are_checked_and_built_ins_stay(shop: Settings) -> None:
    with session_scope(shop.storage.store_url) as session:
        with pytest.raises(SegmentError, match="reserved"):
            define_segment(session=session, name="rfm:mine", rule="clv > 1")
        with pytest.raises(SegmentError, match="invalid segment name"):
            define_segment(session=session, name="Big Spenders", rule="clv > 1")
        with pytest.raises(ValueError, match="unknown field"):
            define_segment(session=session, name="typo", rule="cvl > 1")
        with pytest.raises(SegmentError, match="built in"):
            delete_segment(session=session, name="rfm:champions")


def test_a_stored_rule_the_data_no_longer_fits_fails_alone(shop: Settings) -> None:
    backend = connect(shop.storage.resolved_warehouse_url)
    try:
        with session_scope(shop.storage.store_url) as session:
            define_segment(session=session, name="risky", rule=RISKY)
            define_segment(session=session, name="renamed", rule="clv > 100")
        with session_scope(shop.storage.store_url) as session:
            # As if a field the rule reads had since been renamed: saved rules are not re-checked.
            stored = session.get(SegmentDefinition, "renamed")
            assert stored is not None
            stored.rule = "lifetime_value > 100"
        with session_scope(shop.storage.store_url) as session:
            results = {
                result.name: result
                for result in refresh_segments(session=session, backend=backend, at=AT)
            }
    finally:
        backend.disconnect()

    assert "lifetime_value" in (results["renamed"].error or "")
    assert results["risky"].error is None
    assert results["risky"].members == len(_selected(shop, RISKY)) > 0
