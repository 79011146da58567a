"""The knowledge base: bilingual search, published-only, article use and deflection."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retain.settings import Settings
from retain.store import session_scope
from retain.support import knowledge, service
from retain.support.service import SupportError
from tests.support.helpers import T0, store_url

ARTICLES = [
    (
        "return-policy",
        "How to return an item",
        "You can return any item within 30 days for a refund.",
        "en",
    ),
    (
        "track-order",
        "Track your order",
        "Follow your parcel with the tracking number in the email.",
        "en",
    ),
    (
        "reset-password",
        "Reset your password",
        "Use the forgot password link on the sign-in page.",
        "en",
    ),
    ("tui-huo", "如何申请退货", "收到商品后三十天内可以申请退货并获得退款。", "zh-CN"),
    ("wu-liu", "查询物流信息", "您可以使用订单邮件中的快递单号查询包裹的物流状态。", "zh-CN"),
    ("mi-ma", "重置密码", "在登录页面点击忘记密码即可重置。", "zh-CN"),
]


def _load(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = {}
    for slug, title, body, language in ARTICLES:
        article = knowledge.create_article(
            session, slug=slug, title=title, body=body, language=language, status="published", at=T0
        )
        ids[slug] = article.id
    knowledge.create_article(
        session,
        slug="draft-refunds",
        title="Refunds draft",
        body="refund refund",
        language="en",
        at=T0,
    )
    return ids


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("how do I return my items", "en", "return-policy"),
        ("where is my parcel", "en", "track-order"),
        ("forgot password", None, "reset-password"),
        ("我想退货", "zh-CN", "tui-huo"),
        ("包裹物流在哪里", "zh-CN", "wu-liu"),
        ("忘记密码怎么办", None, "mi-ma"),
    ],
)
def test_search_finds_the_right_article_in_both_languages(
    settings: Settings, query: str, language: str | None, expected: str
) -> None:
    with session_scope(store_url(settings)) as session:
        _load(session)
        hits = knowledge.search_articles(session, query, language=language, limit=3)
        assert hits[0].article.slug == expected
        assert all(hit.article.status == "published" for hit in hits)
        assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_search_sees_published_changes_and_filters_language(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session:
        _load(session)
        assert knowledge.search_articles(session, "refund", language="zh-CN") == []
        draft = knowledge.get_article(session, slug="draft-refunds")
        assert all(
            hit.article.id != draft.id for hit in knowledge.search_articles(session, "refund")
        )
        knowledge.update_article(session, article=draft, changes={"status": "published"}, at=T0)
        session.flush()
        assert draft.id in {hit.article.id for hit in knowledge.search_articles(session, "refund")}
        assert knowledge.search_articles(session, "the of and") == []
        assert [a.language for a in knowledge.published_articles(session, language="zh-CN")] == [
            "zh-CN"
        ] * 3


def test_article_fields_are_checked(settings: Settings) -> None:
    with session_scope(store_url(settings)) as session:
        with pytest.raises(SupportError, match="language"):
            knowledge.create_article(session, slug="x", title="t", body="b", language="fr")
        with pytest.raises(SupportError, match="slug"):
            knowledge.create_article(session, slug="Bad Slug", title="t", body="b", language="en")


def test_deflection_counts_visitors_who_opened_no_ticket(settings: Settings) -> None:
    window = timedelta(days=knowledge.DEFLECTION_DAYS)
    with session_scope(store_url(settings)) as session:
        ids = _load(session)
        article = ids["return-policy"]
        for visitor in ("v1", "v2", "v3"):
            knowledge.record_article_use(
                session, article_id=article, source="help_centre", visitor=visitor, at=T0
            )
        knowledge.record_article_feedback(
            session, article_id=article, visitor="v4", helpful=False, at=T0
        )
        # v1 asks within the window (not deflected); v2 asks only after it (deflected).
        for visitor, later in (("v1", timedelta(days=1)), ("v2", window + timedelta(hours=1))):
            service.open_ticket(
                session=session,
                customer_id=None,
                requester_email=f"{visitor}@example.com",
                visitor=visitor,
                subject="still need help",
                body="help",
                channel="web",
                at=T0 + later,
            )
        [row] = knowledge.deflecting_articles(session, at=T0 + window * 2)
        assert (row.slug, row.visitors, row.deflected, row.not_helpful) == (
            "return-policy",
            3,
            2,
            1,
        )
        assert knowledge.deflecting_articles(session, at=T0 + window / 2) == []
        with pytest.raises(SupportError, match="source"):
            knowledge.record_article_use(
                session, article_id=article, source="fax", visitor="v", at=T0
            )
