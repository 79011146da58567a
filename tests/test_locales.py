"""The vocabulary catalogues and how a page picks its language."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from retain.locales import (
    CATALOGUES,
    LANGUAGES,
    TEXTS,
    browser_language,
    choose_language,
    normalise_language,
    ui_text,
    vocab,
)

SNAKE_CASE = re.compile(r"[a-z0-9]_[a-z0-9]")
CJK = re.compile(r"[\u3400-\u9fff]")
SOURCE = Path(__file__).parents[1] / "src" / "retain"
# Chinese outside the catalogues that is not UI text, and why.
CHINESE_ALLOWED = {
    "demo/workflow_texts.py": "what the demo's customers and agents write: generated data",
    "ingest/demo/vocabulary.py": "the demo business's names, products and comments",
    "ingest/kinds.py": "example values of the data contract, printed in docs/data.md",
    "support/knowledge.py": "Chinese stop words of the help-centre search index",
    "feedback/aspects.py": "Chinese clause breaks of the aspect splitter",
    "web/templates/return_portal/_layout.html": (
        "the language switch names each language in that language"
    ),
}
SECTION_USE = re.compile(r"""ui_text\(\s*["'](\w+)["']""")
OTHER_LANGUAGES = [language for language in LANGUAGES if language != "en"]


def test_every_language_has_a_catalogue_and_page_words() -> None:
    assert set(CATALOGUES) == set(LANGUAGES) == set(TEXTS)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_each_language_has_exactly_the_vocabularies_and_keys_of_english(language: str) -> None:
    english, other = CATALOGUES["en"], CATALOGUES[language]
    assert set(other) == set(english)
    for kind in english:
        assert set(other[kind]) == set(english[kind]), kind


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_each_language_has_every_text_of_english_with_the_same_placeholders(
    language: str,
) -> None:
    english, other = TEXTS["en"], TEXTS[language]
    assert set(other) == set(english)
    for section, words in english.items():
        assert set(other[section]) == set(words), section
        for key, text in words.items():
            translated = other[section][key]
            assert translated.strip(), (language, section, key)
            assert _placeholders(translated) == _placeholders(text), (language, section, key)


def test_every_section_the_code_asks_for_exists_and_every_section_is_used() -> None:
    used = {
        section
        for path in SOURCE.rglob("*.py")
        for section in SECTION_USE.findall(path.read_text(encoding="utf-8"))
    }
    assert used == set(TEXTS["en"])


def test_an_unknown_section_is_an_error_and_an_unknown_language_reads_english() -> None:
    assert ui_text("errors", "zh")["error_not_found"] == "此页面不存在。"
    assert ui_text("errors", "fr") == TEXTS["en"]["errors"]
    with pytest.raises(KeyError):
        ui_text("error", "en")


def _chinese_literals(path: Path) -> list[int]:
    """Lines of string literals with Chinese characters, docstrings aside (a page template's
    lines with Chinese)."""
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        return [number for number, line in enumerate(source.splitlines(), 1) if CJK.search(line)]
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and CJK.search(node.value)
    ]


def test_no_module_outside_the_catalogues_holds_chinese_ui_text() -> None:
    found = {}
    for path in sorted([*SOURCE.rglob("*.py"), *SOURCE.rglob("*.html")]):
        name = path.relative_to(SOURCE).as_posix()
        if name.startswith("locales/") or name in CHINESE_ALLOWED:
            continue
        lines = _chinese_literals(path)
        if lines:
            found[name] = lines
    assert found == {}, "Chinese words belong in retain/locales/zh_cn: " + repr(found)


def test_every_allowed_place_still_holds_chinese() -> None:
    # An allowance nobody needs any more is removed, so that it cannot hide new UI text.
    for name in CHINESE_ALLOWED:
        assert _chinese_literals(SOURCE / name), name


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
