"""Reviews and social mentions: import from CSV / JSON Lines or the API, deduplicated, matched.

An import checks every row first and writes nothing when any row is wrong; the problems name
the file, the row and the field. Importing the same file again adds nothing: an item is the
same as a stored one when it has the same source and url, or the same author, day and text.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from retain.clock import utcnow
from retain.customers.models import CustomerProfile
from retain.feedback.models import FeedbackItem

KINDS = ("review", "mention")


class ImportProblem(ValueError):
    """Rows that cannot be imported, each named by file, row and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__("; ".join(problems[:5]) + more)


class ItemIn(BaseModel):
    """One review or mention as given (file row or API body)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)
    posted_at: datetime
    url: str | None = Field(default=None, max_length=1024)
    author: str | None = Field(default=None, max_length=256)
    email: str | None = Field(default=None, max_length=320)
    handle: str | None = Field(default=None, max_length=256)
    rating: int | None = Field(default=None, ge=1, le=5)
    product: str | None = Field(default=None, max_length=128)
    customer: str | None = Field(default=None, max_length=128)

    @field_validator("*", mode="before")
    @classmethod
    def empty_is_missing(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("posted_at")
    @classmethod
    def as_naive_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    added: int
    duplicates: int
    matched: int


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, fields) of a CSV file (header is row 1) or a JSON Lines file (line number)."""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    message = f"{path.name}: row {number}: not JSON ({error.msg})"
                    raise ImportProblem([message]) from None
                if not isinstance(row, dict):
                    raise ImportProblem([f"{path.name}: row {number}: not a JSON object"])
                yield number, row
    else:
        with path.open(encoding="utf-8-sig", newline="") as table:
            yield from enumerate(csv.DictReader(table), start=2)


def validate_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], *, origin: str, limit: int = 50
) -> list[ItemIn]:
    """The rows as items, or ImportProblem listing each bad field (up to ``limit``)."""
    items: list[ItemIn] = []
    problems: list[str] = []
    for number, row in rows:
        try:
            items.append(ItemIn.model_validate(row))
        except ValidationError as error:
            for issue in error.errors():
                field = ".".join(str(part) for part in issue["loc"]) or "row"
                problems.append(f"{origin}: row {number}: field {field}: {issue['msg']}")
        if len(problems) >= limit:
            break
    if problems:
        raise ImportProblem(problems)
    return items


def _digest(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(part or "" for part in parts).encode()).hexdigest()


def url_key(item: ItemIn) -> str | None:
    return _digest(item.source.lower(), item.url) if item.url else None


def content_key(item: ItemIn) -> str:
    author = (item.author or item.handle or item.email or "").lower()
    return _digest(author, item.posted_at.date().isoformat(), " ".join(item.text.split()))


def import_items(
    *, session: Session, kind: str, items: list[ItemIn], now: datetime | None = None
) -> ImportSummary:
    """Add the items not stored yet, matched to customers; one transaction (the caller's)."""
    if kind not in KINDS:
        raise ImportProblem([f"kind {kind!r} is neither review nor mention"])
    imported_at = (now or utcnow()).replace(tzinfo=None)
    seen = _stored_keys(session, items)
    by_email = _customers_by_email(session, items)
    by_handle = _customers_by_handle(session, items)
    added = matched = 0
    for item in items:
        keys = {url_key(item), content_key(item)} - {None}
        if keys & seen:
            continue
        seen |= keys  # type: ignore[arg-type]
        customer = (
            item.customer
            or by_email.get((item.email or "").lower())
            or by_handle.get((item.source.lower(), (item.handle or "").lower()))
        )
        matched += customer is not None
        added += 1
        session.add(
            FeedbackItem(
                kind=kind,
                source=item.source,
                url=item.url,
                author=item.author,
                email=item.email,
                handle=item.handle,
                rating=item.rating,
                text=item.text,
                posted_at=item.posted_at,
                product_id=item.product,
                customer_id=customer,
                url_key=url_key(item),
                dedup_key=content_key(item),
                imported_at=imported_at,
            )
        )
    session.flush()
    return ImportSummary(
        rows=len(items), added=added, duplicates=len(items) - added, matched=matched
    )


def import_file(
    *, session: Session, kind: str, path: Path, limit: int = 50, now: datetime | None = None
) -> ImportSummary:
    """Import a CSV or JSON Lines file of reviews or mentions, all rows or none."""
    if not path.is_file():
        raise ImportProblem([f"{path}: no such file"])
    items = validate_rows(read_rows(path), origin=path.name, limit=limit)
    return import_items(session=session, kind=kind, items=items, now=now)


def _stored_keys(session: Session, items: list[ItemIn]) -> set[str]:
    urls = [key for key in (url_key(item) for item in items) if key]
    contents = [content_key(item) for item in items]
    found: set[str] = set()
    for start in range(0, max(len(urls), len(contents)), 500):
        statement = select(FeedbackItem.url_key, FeedbackItem.dedup_key).where(
            or_(
                FeedbackItem.url_key.in_(urls[start : start + 500]),
                FeedbackItem.dedup_key.in_(contents[start : start + 500]),
            )
        )
        for url, content in session.execute(statement):
            found.update(key for key in (url, content) if key)
    return found


def _customers_by_email(session: Session, items: list[ItemIn]) -> dict[str, str]:
    emails = sorted({item.email.lower() for item in items if item.email})
    if not emails:
        return {}
    statement = select(func.lower(CustomerProfile.email), CustomerProfile.customer_id).where(
        func.lower(CustomerProfile.email).in_(emails)
    )
    return {str(email): customer for email, customer in session.execute(statement)}


def _customers_by_handle(session: Session, items: list[ItemIn]) -> dict[tuple[str, str], str]:
    """A handle already tied to a customer on the same source (by an earlier matched item)."""
    handles = sorted({item.handle.lower() for item in items if item.handle})
    if not handles:
        return {}
    statement = select(
        func.lower(FeedbackItem.source), func.lower(FeedbackItem.handle), FeedbackItem.customer_id
    ).where(func.lower(FeedbackItem.handle).in_(handles), FeedbackItem.customer_id.is_not(None))
    return {(str(s), str(h)): str(c) for s, h, c in session.execute(statement)}
