"""Articles from a YAML or JSON file: every row checked, then all written in one transaction.

The file is a list of mappings with ``slug``, ``title``, ``body``, ``language`` (en or zh-CN)
and optionally ``category`` and ``status``. A slug that exists is updated, so importing the same
file twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from retain.sandbox import load_yaml
from retain.support import knowledge
from retain.support.models import Article
from retain.support.schemas import ArticleCreate


class ImportProblem(ValueError):
    """A file that cannot be imported, naming the file, the row and the field."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def read_articles(path: Path) -> list[ArticleCreate]:
    """The articles in ``path``, each checked; ImportProblem at the first bad row."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text) if path.suffix.lower() == ".json" else load_yaml(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise ImportProblem(f"{path}: cannot read ({error})") from None
    if not isinstance(raw, list):
        raise ImportProblem(f"{path}: expected a list of articles")
    articles = []
    seen: set[str] = set()
    for number, row in enumerate(raw, start=1):
        try:
            article = ArticleCreate.model_validate(row)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "row"
            raise ImportProblem(f"{path}: row {number}: {field}: {first['msg']}") from None
        if article.slug in seen:
            raise ImportProblem(f"{path}: row {number}: slug: {article.slug!r} appears twice")
        seen.add(article.slug)
        articles.append(article)
    return articles


def import_articles(session: Session, *, path: Path) -> ImportResult:
    """Create or update every article of the file (the caller's transaction holds them all)."""
    articles = read_articles(path)
    existing = {
        article.slug: article
        for article in session.scalars(
            select(Article).where(Article.slug.in_([a.slug for a in articles]))
        )
    }
    created = updated = unchanged = 0
    for article in articles:
        fields: dict[str, Any] = article.model_dump()
        found = existing.get(article.slug)
        if found is None:
            knowledge.create_article(session, **fields)
            created += 1
            continue
        changes = {k: v for k, v in fields.items() if k != "slug" and getattr(found, k) != v}
        if changes:
            knowledge.update_article(session, article=found, changes=changes)
            updated += 1
        else:
            unchanged += 1
    return ImportResult(created=created, updated=updated, unchanged=unchanged)
