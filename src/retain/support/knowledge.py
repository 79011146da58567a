"""The knowledge base: articles in English and Chinese, bilingual search and deflection.

Search ranks published articles by TF-IDF cosine similarity (scikit-learn) over words: English
words lower-cased with plurals folded, Chinese segmented by jieba in search mode (which also
emits the shorter words inside long ones, so "退货政策" finds "退货"). The title counts twice.
The index is built once per set of published articles and reused until one changes.
"""

from __future__ import annotations

import logging
import re
import threading
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retain.clock import utcnow
from retain.locales import LANGUAGES
from retain.support.defaults import DEFLECTION_DAYS
from retain.support.models import Article, ArticleUse, Ticket
from retain.support.service import NotFound, SupportError

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

ARTICLE_STATES = ("draft", "published")
USE_SOURCES = ("help_centre", "assistant")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,159}$")
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CHINESE_STOP = frozenset(
    ["的", "了", "是", "在", "和", "我", "你", "吗", "呢", "吧", "啊", "怎么", "如何", "什么"]
)
# Bumped by every article written in this process: the cached search index is then rebuilt.
_generation = [0]


@dataclass(frozen=True)
class ArticleHit:
    """A search result: the article and its similarity to the query (0 to 1)."""

    article: Article
    score: float


def tokens(text: str) -> list[str]:
    """Search terms of ``text`` in either language (see the module docstring)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    found: list[str] = []
    for piece in _TOKEN.findall(text.lower()):
        if _CJK.match(piece):
            segments = _jieba().lcut_for_search(piece)
            found.extend(word for word in segments if word not in _CHINESE_STOP)
        elif piece not in ENGLISH_STOP_WORDS:
            found.append(_singular(piece))
    return found


@cache
def _jieba() -> ModuleType:
    # Imported on the first search, not with the module: loading jieba takes a second.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _singular(word: str) -> str:
    # Folding plurals is enough for help-centre queries ("returns" finds "return").
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def create_article(
    session: Session,
    *,
    slug: str,
    title: str,
    body: str,
    language: str,
    category: str = "general",
    status: str = "draft",
    at: datetime | None = None,
) -> Article:
    """A new article; SupportError when the slug is taken or a field is invalid."""
    _check_article(slug=slug, title=title, body=body, language=language, status=status)
    if session.scalar(select(Article.id).where(Article.slug == slug)) is not None:
        raise SupportError(f"an article with slug {slug!r} exists")
    at = at or utcnow()
    article = Article(
        slug=slug,
        title=title.strip(),
        body=body,
        language=language,
        category=category.strip() or "general",
        status=status,
        created_at=at,
        updated_at=at,
        published_at=at if status == "published" else None,
    )
    session.add(article)
    session.flush()
    _generation[0] += 1
    return article


def update_article(
    session: Session, *, article: Article, changes: dict[str, Any], at: datetime | None = None
) -> Article:
    """Apply ``changes`` (title, body, language, category, status) to the article."""
    merged = {
        "slug": article.slug,
        "title": article.title,
        "body": article.body,
        "language": article.language,
        "status": article.status,
        **{k: v for k, v in changes.items() if k != "category" and v is not None},
    }
    _check_article(**merged)
    at = at or utcnow()
    was_published = article.status == "published"
    for name, value in changes.items():
        if value is not None:
            setattr(article, name, value)
    if article.status == "published" and not was_published:
        article.published_at = at
    article.updated_at = at
    session.flush()
    _generation[0] += 1
    return article


def _check_article(*, slug: str, title: str, body: str, language: str, status: str) -> None:
    if not SLUG.match(slug):
        raise SupportError("slug: lower-case letters, digits and hyphens, up to 160")
    if not title.strip() or len(title) > 300:
        raise SupportError("title: 1 to 300 characters")
    if not body.strip():
        raise SupportError("body: an article needs text")
    if language not in LANGUAGES:
        raise SupportError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if status not in ARTICLE_STATES:
        raise SupportError(f"status must be one of {', '.join(ARTICLE_STATES)}, not {status!r}")


def get_article(
    session: Session, *, article_id: int | None = None, slug: str | None = None
) -> Article:
    """The article by id or slug, or NotFound."""
    if article_id is not None:
        found = session.get(Article, article_id)
    else:
        found = session.scalar(select(Article).where(Article.slug == slug))
    if found is None:
        raise NotFound(f"no article {article_id if article_id is not None else slug!r}")
    return found


def list_articles(
    session: Session,
    *,
    language: str | None = None,
    status: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Article], int]:
    """Articles matching every filter given, by title, and how many match in all."""
    query = select(Article)
    for column, value in (
        (Article.language, language),
        (Article.status, status),
        (Article.category, category),
    ):
        if value is not None:
            query = query.where(column == value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Article.category, Article.title).limit(limit).offset(offset)
    )
    return list(rows), total


def published_articles(session: Session, *, language: str | None = None) -> list[Article]:
    """Every published article, optionally of one language, by category and title."""
    query = select(Article).where(Article.status == "published")
    if language is not None:
        query = query.where(Article.language == language)
    return list(session.scalars(query.order_by(Article.category, Article.title)))


@dataclass
class _Index:
    fingerprint: tuple[Any, ...]
    ids: list[int]
    languages: np.ndarray
    vectorizer: TfidfVectorizer
    matrix: Any  # scipy sparse, rows L2-normalised


_indexes: dict[str, _Index] = {}
_index_lock = threading.Lock()


def search_articles(
    session: Session, query: str, *, language: str | None = None, limit: int = 5
) -> list[ArticleHit]:
    """The published articles most similar to ``query``, best first; none for an empty match."""
    terms = tokens(query)
    if not terms:
        return []
    index = _current_index(session)
    if index is None:
        return []
    try:
        vector = index.vectorizer.transform([terms])
    except ValueError:
        return []
    scores = np.asarray((index.matrix @ vector.T).todense()).ravel()
    if language is not None:
        scores[index.languages != language] = 0.0
    best = np.argsort(-scores, kind="stable")[:limit]
    chosen = [(index.ids[i], float(scores[i])) for i in best if scores[i] > 0]
    articles = {
        a.id: a
        for a in session.scalars(select(Article).where(Article.id.in_([i for i, _ in chosen])))
    }
    return [ArticleHit(article=articles[i], score=s) for i, s in chosen if i in articles]


def _current_index(session: Session) -> _Index | None:
    # Another process's publish, unpublish or edit moves updated_at, a new article the id (each
    # scalar subquery is one index lookup); this process's changes also bump the generation,
    # which catches two changes within the same timestamp.
    newest = session.execute(
        select(
            select(func.max(Article.updated_at)).scalar_subquery(),
            select(func.max(Article.id)).scalar_subquery(),
        )
    ).one()
    fingerprint = (_generation[0], *newest)
    key = str(session.get_bind().engine.url)
    cached = _indexes.get(key)
    if cached is not None and cached.fingerprint == fingerprint:
        return cached
    with _index_lock:
        rows = session.execute(
            select(Article.id, Article.title, Article.body, Article.language)
            .where(Article.status == "published")
            .order_by(Article.id)
        ).all()
        if not rows:
            return None
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer=lambda terms: terms, sublinear_tf=True)
        documents = [tokens(f"{title}\n{title}\n{body}") for _, title, body, _ in rows]
        matrix = vectorizer.fit_transform(documents)
        index = _Index(
            fingerprint=fingerprint,
            ids=[row[0] for row in rows],
            languages=np.array([row[3] for row in rows]),
            vectorizer=vectorizer,
            matrix=matrix,
        )
        _indexes[key] = index
        return index


def record_article_use(
    session: Session, *, article_id: int, source: str, visitor: str, at: datetime | None = None
) -> None:
    """Note that ``visitor`` read the article in the help centre or was shown it by the assistant.

    ``source`` is ``help_centre`` or ``assistant``; the deflection report counts both.
    """
    _record(session, article_id=article_id, source=source, visitor=visitor, helpful=None, at=at)


def record_article_feedback(
    session: Session,
    *,
    article_id: int,
    visitor: str,
    helpful: bool,
    source: str = "help_centre",
    at: datetime | None = None,
) -> None:
    """A "was this helpful?" answer."""
    _record(session, article_id=article_id, source=source, visitor=visitor, helpful=helpful, at=at)


def _record(
    session: Session,
    *,
    article_id: int,
    source: str,
    visitor: str,
    helpful: bool | None,
    at: datetime | None,
) -> None:
    if source not in USE_SOURCES:
        raise SupportError(f"source must be one of {', '.join(USE_SOURCES)}, not {source!r}")
    if not visitor or len(visitor) > 320:
        raise SupportError("visitor: 1 to 320 characters")
    get_article(session, article_id=article_id)
    session.add(
        ArticleUse(
            article_id=article_id,
            source=source,
            visitor=visitor,
            used_at=at or utcnow(),
            helpful=helpful,
        )
    )


@dataclass(frozen=True)
class Deflection:
    """One article's figures: visitors who used it, how many then opened no ticket, votes."""

    article_id: int
    slug: str
    title: str
    language: str
    visitors: int
    deflected: int
    helpful: int
    not_helpful: int

    @property
    def deflection_rate(self) -> float:
        return self.deflected / self.visitors if self.visitors else 0.0


def deflecting_articles(
    session: Session,
    *,
    at: datetime | None = None,
    since: datetime | None = None,
    window_days: int = DEFLECTION_DAYS,
    limit: int = 10,
) -> list[Deflection]:
    """Articles by tickets deflected: see docs/support.md for the definition.

    A visitor deflected by an article viewed it (or answered "helpful: yes") and opened no
    ticket in the ``window_days`` after. A "not helpful" answer never counts as deflection.
    Only uses whose window has ended by ``at`` are judged.
    """
    at = at or utcnow()
    window = timedelta(days=window_days)
    query = select(ArticleUse).where(ArticleUse.used_at <= at - window)
    if since is not None:
        query = query.where(ArticleUse.used_at >= since)
    uses = list(session.scalars(query))
    visitors = {use.visitor for use in uses}
    tickets_by_visitor = _ticket_times(session, visitors, since)
    reached: dict[int, set[str]] = defaultdict(set)
    deflected: dict[int, set[str]] = defaultdict(set)
    votes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for use in uses:
        if use.helpful is not None:
            votes[use.article_id][0 if use.helpful else 1] += 1
        if use.helpful is False:
            continue
        reached[use.article_id].add(use.visitor)
        times = tickets_by_visitor.get(use.visitor, [])
        position = bisect_right(times, use.used_at)
        if position == len(times) or times[position] > use.used_at + window:
            deflected[use.article_id].add(use.visitor)
    articles = {
        a.id: a for a in session.scalars(select(Article).where(Article.id.in_(list(reached))))
    }
    rows = [
        Deflection(
            article_id=article_id,
            slug=articles[article_id].slug,
            title=articles[article_id].title,
            language=articles[article_id].language,
            visitors=len(reached[article_id]),
            deflected=len(deflected[article_id]),
            helpful=votes[article_id][0],
            not_helpful=votes[article_id][1],
        )
        for article_id in reached
    ]
    rows.sort(key=lambda row: (-row.deflected, -row.deflection_rate, row.slug))
    return rows[:limit]


def _ticket_times(
    session: Session, visitors: set[str], since: datetime | None
) -> dict[str, list[datetime]]:
    found: dict[str, list[datetime]] = defaultdict(list)
    chunk: Sequence[str]
    ordered = sorted(visitors)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        query = select(Ticket.visitor, Ticket.created_at).where(Ticket.visitor.in_(chunk))
        if since is not None:
            query = query.where(Ticket.created_at >= since)
        for visitor, created_at in session.execute(query):
            if visitor is not None:
                found[visitor].append(created_at)
    for times in found.values():
        times.sort()
    return found
