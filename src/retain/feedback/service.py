"""Feedback services: train the sentiment model, analyse items, copy them to the warehouse and
open follow-up tasks for unhappy customers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from ibis.backends import BaseBackend
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.churn.tasks import TaskDraft, open_tasks
from retain.clock import utcnow
from retain.feedback.aspects import Aspects, analyze_texts
from retain.feedback.models import FeedbackItem
from retain.feedback.sentiment import (
    NEGATIVE,
    SentimentError,
    SentimentModel,
    labels_from_ratings,
    load_trained,
    model_path,
    parse_label,
)
from retain.warehouse.outbox import Source, export_to_warehouse

# Rated reviews of each polarity the business needs before its own reviews can train a model.
MIN_RATED_PER_CLASS = 20
FOLLOW_UP_DAYS = 2
FOLLOW_UP_OWNER = "customer-success"
ANALYZE_BATCH = 2_000
# The warehouse copy of analysed items (the store keeps "feedback_item").
WAREHOUSE_TABLE = "review_event"


def read_labelled_table(*, path: Path, text: str, label: str) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels from a CSV, TSV or JSON Lines file; errors name the row and field."""
    if not path.is_file():
        raise SentimentError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        frame = pd.read_json(path, lines=True, dtype=False)
    else:
        frame = pd.read_csv(path, sep="\t" if suffix in (".tsv", ".txt") else ",", dtype=str)
    for column in (text, label):
        if column not in frame.columns:
            raise SentimentError(f"{path.name}: no column {column!r} (has {list(frame.columns)})")
    frame = frame[frame[text].notna() & frame[label].notna()]
    # Rows are numbered as a reader sees them: after the header in a table, by line in JSON Lines.
    first_row = 1 if suffix in (".jsonl", ".ndjson") else 2
    labels = []
    for number, value in zip(frame.index, frame[label], strict=True):
        try:
            labels.append(parse_label(value))
        except SentimentError as error:
            where = f"{path.name}: row {number + first_row}: field {label}"
            raise SentimentError(f"{where}: {error}") from None
    return frame[text].astype(str).tolist(), labels


def rated_reviews(*, session: Session) -> tuple[list[str], list[int]]:
    """The business's own reviews with 1-2 stars (negative) or 4-5 stars (positive)."""
    rows = session.execute(
        select(FeedbackItem.text, FeedbackItem.rating).where(FeedbackItem.rating.is_not(None))
    ).all()
    labels = labels_from_ratings([rating for _, rating in rows])
    pairs = [
        (text, label) for (text, _), label in zip(rows, labels, strict=True) if label is not None
    ]
    return [text for text, _ in pairs], [label for _, label in pairs]


def train(
    *,
    session: Session,
    data_dir: Path,
    texts: list[str] | None = None,
    labels: list[int] | None = None,
    use_ratings: bool = True,
) -> SentimentModel:
    """Fit on the given labelled texts plus the business's rated reviews; save for analysis."""
    all_texts, all_labels = list(texts or []), list(labels or [])
    if use_ratings:
        own_texts, own_labels = rated_reviews(session=session)
        all_texts += own_texts
        all_labels += own_labels
    if min(all_labels.count(0), all_labels.count(1)) < MIN_RATED_PER_CLASS:
        raise SentimentError(
            f"training needs at least {MIN_RATED_PER_CLASS} positive and {MIN_RATED_PER_CLASS} "
            "negative texts: give a labelled table or import rated reviews first"
        )
    model = SentimentModel().fit(all_texts, all_labels)
    model.save(model_path(data_dir))
    return model


@dataclass(frozen=True)
class AnalyzeSummary:
    analyzed: int
    negative: int
    trained_from_ratings: bool


def analyze(
    *, session: Session, data_dir: Path, aspects: Aspects, redo: bool = False
) -> AnalyzeSummary:
    """Language, sentiment and aspects of every item not analysed yet (or all with ``redo``).

    Without a trained model the business's own rated reviews train one first, so the first
    analysis needs no corpus from outside.
    """
    model = load_trained(data_dir)
    trained_now = False
    if model is None:
        model = train(session=session, data_dir=data_dir)
        trained_now = True
    statement = select(FeedbackItem).order_by(FeedbackItem.item_id)
    if not redo:
        statement = statement.where(FeedbackItem.analyzed_at.is_(None))
    items = list(session.scalars(statement))
    now, negative = utcnow(), 0
    for start in range(0, len(items), ANALYZE_BATCH):
        batch = items[start : start + ANALYZE_BATCH]
        for item, found in zip(
            batch, analyze_texts([i.text for i in batch], model=model, aspects=aspects), strict=True
        ):
            item.language = found.language
            item.sentiment = found.sentiment.label
            item.sentiment_score = found.sentiment.score
            item.aspects = found.aspects
            item.analyzed_at = now
            item.exported_at = None
            negative += found.sentiment.label == NEGATIVE
    session.flush()
    return AnalyzeSummary(analyzed=len(items), negative=negative, trained_from_ratings=trained_now)


def is_unhappy(*, item: FeedbackItem) -> bool:
    """A 1-2 star review, or an unrated item whose text reads negative."""
    if item.rating is not None:
        return item.rating <= 2
    return item.sentiment == NEGATIVE


def follow_up(
    *, session: Session, owners: dict[str, str] | None = None, today: date | None = None
) -> int:
    """One task per unhappy review or mention of a known customer; returns tasks opened.

    Each item is looked at once (``followed_up_at``). ``open_tasks`` keeps one open task per
    customer and kind, so a second bad review while the first call is pending joins it.
    """
    owners = owners or {}
    today = today or utcnow().date()
    candidates = session.scalars(
        select(FeedbackItem)
        .where(FeedbackItem.followed_up_at.is_(None), FeedbackItem.customer_id.is_not(None))
        .where((FeedbackItem.analyzed_at.is_not(None)) | (FeedbackItem.rating.is_not(None)))
        .order_by(FeedbackItem.item_id)
    ).all()
    drafts = []
    now = utcnow()
    for item in candidates:
        item.followed_up_at = now
        if not is_unhappy(item=item):
            continue
        assert item.customer_id is not None
        drafts.append(
            TaskDraft(
                customer_id=item.customer_id,
                owner=owners.get(item.customer_id, FOLLOW_UP_OWNER),
                kind=f"negative_{item.kind}",
                title=_task_title(item),
                due_on=today + timedelta(days=FOLLOW_UP_DAYS),
            )
        )
    return open_tasks(session=session, drafts=drafts, now=now)


def _task_title(item: FeedbackItem) -> str:
    stars = f"{item.rating}-star " if item.rating is not None else "negative "
    excerpt = item.text if len(item.text) <= 80 else item.text[:77] + "..."
    return f"Follow up their {stars}{item.kind} on {item.source}: {excerpt}"


def export_items(*, session: Session, backend: BaseBackend) -> int:
    """Copy analysed items not exported yet to the warehouse ``review_event``; how many."""
    return export_to_warehouse(session=session, backend=backend, sources=[ITEM_SOURCE])[
        WAREHOUSE_TABLE
    ]


def _items_to_warehouse(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(
        item_id=rows["item_id"].astype(str),
        aspects=[json.dumps(found or {}, ensure_ascii=False) for found in rows["aspects"]],
        rating=rows["rating"].astype("Int64"),
    )


# Analysis clears ``exported_at``: a re-analysed item replaces its earlier warehouse row.
ITEM_SOURCE = Source(
    table=WAREHOUSE_TABLE,
    key=("item_id",),
    rows=select(
        FeedbackItem.item_id,
        FeedbackItem.kind,
        FeedbackItem.source,
        FeedbackItem.customer_id,
        FeedbackItem.product_id,
        FeedbackItem.rating,
        FeedbackItem.language,
        FeedbackItem.sentiment,
        FeedbackItem.sentiment_score,
        FeedbackItem.aspects,
        FeedbackItem.posted_at,
    ).where(FeedbackItem.analyzed_at.is_not(None)),
    row_id=FeedbackItem.item_id,
    to_warehouse=_items_to_warehouse,
    exported_at=FeedbackItem.exported_at,
    replaces=True,
)
