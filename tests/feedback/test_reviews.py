"""Reviews and mentions: import, dedup, matching, analysis, warehouse copy and follow-up tasks."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from retain.churn.models import CustomerTask
from retain.customers.models import CustomerProfile
from retain.engage.definition import Trigger
from retain.engage.triggers import triggered
from retain.feedback import reviews, service
from retain.feedback.aspects import load_aspects
from retain.feedback.models import FeedbackItem
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.warehouse import connect
from tests.feedback.helpers import rated_rows


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n")
    return path


def _count(settings: Settings) -> int:
    with session_scope(settings.storage.store_url) as session:
        return int(session.scalar(select(func.count()).select_from(FeedbackItem)) or 0)


def test_import_is_idempotent_and_deduplicates(settings: Settings, tmp_path: Path) -> None:
    ensure_store(settings.storage.store_url)
    rows = rated_rows(6)
    same_url = {**rows[0], "text": "edited later", "author": "someone else"}
    same_text = {**rows[1], "url": "https://mirror.example/x", "source": "mirror"}
    path = _write_jsonl(tmp_path / "reviews.jsonl", [*rows, same_url, same_text])
    with session_scope(settings.storage.store_url) as session:
        first = reviews.import_file(session=session, kind="review", path=path)
    with session_scope(settings.storage.store_url) as session:
        again = reviews.import_file(session=session, kind="review", path=path)
    assert (first.rows, first.added, first.duplicates) == (8, 6, 2)
    assert (again.added, again.duplicates) == (0, 8)
    assert _count(settings) == 6


def test_csv_matches_customers_by_email_then_handle(settings: Settings, tmp_path: Path) -> None:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        session.add(CustomerProfile(customer_id="C1", email="Ann@Example.test"))
    frame = pd.DataFrame(
        [
            {
                "source": "x",
                "handle": "@ann",
                "email": "ann@example.test",
                "text": "love it",
                "posted_at": "2026-03-01T10:00:00+08:00",
            },
            {
                "source": "x",
                "handle": "@ann",
                "email": "",
                "text": "still love it",
                "posted_at": "2026-03-05T10:00:00",
            },
            {
                "source": "x",
                "handle": "@bob",
                "email": "",
                "text": "meh",
                "posted_at": "2026-03-05T10:00:00",
            },
        ]
    )
    frame.iloc[:1].to_csv(tmp_path / "first.csv", index=False)
    frame.iloc[1:].to_csv(tmp_path / "later.csv", index=False)
    with session_scope(settings.storage.store_url) as session:
        reviews.import_file(session=session, kind="mention", path=tmp_path / "first.csv")
        summary = reviews.import_file(session=session, kind="mention", path=tmp_path / "later.csv")
    assert summary.matched == 1
    with session_scope(settings.storage.store_url) as session:
        found = dict(session.execute(select(FeedbackItem.text, FeedbackItem.customer_id)).all())
        posted = session.scalar(
            select(FeedbackItem.posted_at).where(FeedbackItem.text == "love it")
        )
    assert found == {"love it": "C1", "still love it": "C1", "meh": None}
    assert posted is not None and posted.hour == 2  # +08:00 stored as UTC


def test_bad_rows_are_named_and_nothing_is_written(settings: Settings, tmp_path: Path) -> None:
    ensure_store(settings.storage.store_url)
    rows = rated_rows(3)
    rows[1]["rating"] = 9
    rows[2]["posted_at"] = "yesterday"
    path = _write_jsonl(tmp_path / "bad.jsonl", rows)
    with (
        pytest.raises(reviews.ImportProblem) as problem,
        session_scope(settings.storage.store_url) as session,
    ):
        reviews.import_file(session=session, kind="review", path=path)
    assert "bad.jsonl: row 2: field rating" in str(problem.value)
    assert "bad.jsonl: row 3: field posted_at" in str(problem.value)
    assert _count(settings) == 0


def test_rated_reviews_train_analysis_export_and_one_task_per_trigger(
    settings: Settings, tmp_path: Path
) -> None:
    ensure_store(settings.storage.store_url)
    rows = rated_rows(60)
    unrated = [
        {
            "source": "weibo",
            "handle": "@c2",
            "text": "太难吃了，送餐又慢，差评",
            "posted_at": "2026-03-09T00:00:00",
        },
        {
            "source": "weibo",
            "handle": "@c2",
            "text": "Awful food and rude staff, never again",
            "posted_at": "2026-03-10T00:00:00",
        },
    ]
    for number, row in enumerate(rows[:4]):
        row["customer"] = f"C{number}"
    for row in unrated:
        row["customer"] = "C2"
    with session_scope(settings.storage.store_url) as session:
        reviews.import_file(
            session=session, kind="review", path=_write_jsonl(tmp_path / "r.jsonl", rows)
        )
        reviews.import_file(
            session=session, kind="mention", path=_write_jsonl(tmp_path / "m.jsonl", unrated)
        )
    with session_scope(settings.storage.store_url) as session:
        summary = service.analyze(
            session=session, data_dir=settings.storage.data_dir, aspects=load_aspects()
        )
        opened = service.follow_up(session=session)
    assert summary.trained_from_ratings and summary.analyzed == 62
    # C1 and C3 left 1-star reviews; C2's two negative mentions share one open task.
    assert opened == 3
    with session_scope(settings.storage.store_url) as session:
        tasks = session.execute(select(CustomerTask.customer_id, CustomerTask.kind)).all()
        mention_sentiments = session.scalars(
            select(FeedbackItem.sentiment).where(FeedbackItem.kind == "mention")
        ).all()
        assert service.follow_up(session=session) == 0
    assert sorted(tasks) == [
        ("C1", "negative_review"),
        ("C2", "negative_mention"),
        ("C3", "negative_review"),
    ]
    assert mention_sentiments == ["negative", "negative"]
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        with session_scope(settings.storage.store_url) as session:
            assert service.export_items(session=session, backend=backend) == 62
        with session_scope(settings.storage.store_url) as session:
            assert service.export_items(session=session, backend=backend) == 0
            service.analyze(
                session=session,
                data_dir=settings.storage.data_dir,
                aspects=load_aspects(),
                redo=True,
            )
        with session_scope(settings.storage.store_url) as session:
            assert service.export_items(session=session, backend=backend) == 62
        table = backend.table("review_event")
        assert int(table.count().execute()) == 62
        negatives = table.filter(table.sentiment == "negative").count().execute()
        assert int(negatives) >= 25
        with session_scope(settings.storage.store_url) as session:
            fired = triggered(
                trigger=Trigger(event="negative_review"),
                backend=backend,
                session=session,
                since=datetime(2026, 1, 1),
                until=datetime(2027, 1, 1),
            )
        # The engagement engine's trigger sees the same three unhappy customers, once per item.
        assert sorted(fired["customer_id"]) == ["C1", "C2", "C2", "C3"]
    finally:
        backend.disconnect()
