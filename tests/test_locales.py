"""The vocabulary catalogues and how a page picks its language."""

from __future__ import annotations

import re

import pytest

from retain.locales import (
    CATALOGUES,
    LANGUAGES,
    browser_language,
    choose_language,
    normalise_language,
    vocab,
)
from retain.locales import TEXTS as TEXT

SNAKE_CASE = re.compile(r"[a-z0-9]_[a-z0-9]")
CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_language_has_a_catalogue_and_page_words() -> None:
    assert set(CATALOGUES) == set(LANGUAGES) == set(TEXT)


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_each_language_has_exactly_the_vocabularies_and_keys_of_english(language: str) -> None:
    english, other = CATALOGUES["en"], CATALOGUES[language]
    assert set(other) == set(english)
    for kind in english:
        assert set(other[kind]) == set(english[kind]), kind
    assert set(TEXT[language]) == set(TEXT["en"])


def test_no_word_is_empty_or_a_raw_key() -> None:
    for language, catalogue in CATALOGUES.items():
        for kind, words in catalogue.items():
            for key, word in words.items():
                assert word.strip(), (language, kind, key)
                assert not SNAKE_CASE.search(word), (language, kind, key, word)


def test_chinese_words_are_chinese_unless_a_name_or_abbreviation() -> None:
    # Product names (Slack, Telegram) and abbreviations (NPS, API) are the same in both.
    for kind, words in CATALOGUES["zh-CN"].items():
        for key, word in words.items():
            english = CATALOGUES["en"][kind][key]
            assert CJK.search(word) or word == english, (kind, key, word)


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("zh", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("en", "en"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_language_tags_are_read_as_bcp_47(tag: str | None, language: str | None) -> None:
    assert normalise_language(tag) == language


def test_the_browser_preference_follows_q_values_and_skips_unsupported_languages() -> None:
    assert browser_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert browser_language("en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert browser_language("fr-FR,fr;q=0.9,zh;q=0.5,en;q=0.4") == "zh-CN"
    assert browser_language("en;q=0.2, zh-TW;q=0.7") == "zh-CN"
    assert browser_language("de, zh;q=0") is None
    assert browser_language("") is None


def test_an_explicit_choice_wins_then_the_users_own_then_the_browser() -> None:
    chinese_browser = "zh-CN,zh;q=0.9"
    assert choose_language(accept_language=chinese_browser) == "zh-CN"
    assert choose_language(stored="en", accept_language=chinese_browser) == "en"
    assert choose_language(chosen="zh-CN", stored="en", accept_language="en") == "zh-CN"
    assert choose_language(requested="en", chosen="zh-CN", accept_language=chinese_browser) == "en"
    assert choose_language(requested="xx", accept_language=chinese_browser) == "zh-CN"
    assert choose_language() == "en"


def test_a_value_without_a_word_is_humanised_never_shown_as_its_key() -> None:
    assert vocab("paid", "order_status", "zh-CN") == "已付款"
    assert vocab("partially_shipped", "order_status", "zh-CN") == "Partially shipped"
    assert vocab("summer-sale", "reward", "en") == "Summer sale"
    assert vocab("rfm:big_spenders", "segment", "en") == "Big spenders"
    assert vocab("alice", "owner", "zh-CN", name=True) == "alice"
    assert vocab(None, "order_status", "en") == ""


def test_a_misspelt_vocabulary_is_an_error() -> None:
    with pytest.raises(KeyError):
        vocab("paid", "order_statuses", "en")
