"""Every word users see, one catalogue per language, and how a page picks its language.

A catalogue (``locales/en/``, ``locales/zh_cn/``) holds the words for vocabulary values
(statuses, reasons, segments…, by kind: ``vocab``) and the text of every page, message and
answer (by section: ``ui_text``). Both catalogues have the same kinds, sections, keys and
``{placeholders}``; ``tests/test_locales.py`` checks it.

Languages are BCP 47 tags: ``en`` and ``zh-CN``. Older links and profiles that say ``zh``,
``zh-Hans`` or ``zh_CN`` are read as ``zh-CN``. Every domain may use this module: it imports
nothing from the rest of Retain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from retain.locales import en, zh_cn

Language = Literal["en", "zh-CN"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-CN")
DEFAULT_LANGUAGE: Language = "en"
CATALOGUES: Mapping[Language, Mapping[str, Mapping[str, str]]] = {
    "en": en.VOCABULARY,
    "zh-CN": zh_cn.VOCABULARY,
}
TEXTS: Mapping[Language, Mapping[str, Mapping[str, str]]] = {
    "en": en.TEXT,
    "zh-CN": zh_cn.TEXT,
}
_QUALITY = re.compile(r"^\s*q\s*=\s*([0-9.]+)\s*$")


def normalise_language(tag: object) -> Language | None:
    """The supported language a tag names (``zh``, ``zh-Hans``, ``en-GB``…), or None."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def language_or_default(tag: object) -> Language:
    """The supported language a tag names, English otherwise."""
    return normalise_language(tag) or DEFAULT_LANGUAGE


def browser_language(accept_language: str | None) -> Language | None:
    """The supported language the browser prefers most (Accept-Language with q-values)."""
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameter = part.partition(";")
        language = normalise_language(tag)
        if language is None:
            continue
        found = _QUALITY.match(parameter) if parameter else None
        try:
            quality = float(found.group(1)) if found else 1.0
        except ValueError:
            quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def choose_language(
    *,
    requested: str | None = None,
    chosen: str | None = None,
    stored: str | None = None,
    accept_language: str | None = None,
) -> Language:
    """The page language: asked for in the link, then chosen with the switcher, then the
    user's own stored choice, then the browser's preference, then English."""
    for candidate in (requested, chosen, stored):
        language = normalise_language(candidate)
        if language is not None:
            return language
    return browser_language(accept_language) or DEFAULT_LANGUAGE


def humanise(value: str) -> str:
    """A readable form of a key nobody translated yet: ``paid_search`` -> ``Paid search``."""
    words = re.sub(r"[_\s]+|(?<=[a-z])-(?=[a-z])", " ", value.split(":")[-1]).strip()
    return words[:1].upper() + words[1:] if words else value


def vocab(value: object, kind: str, language: str, *, name: bool = False) -> str:
    """The word for ``value`` of vocabulary ``kind`` in ``language``; a humanised form when
    the catalogue has none (a shop's own tier or reward name), never a raw snake_case key.
    With ``name``, a value the catalogue lacks is someone's name (an owner) and stays as is.
    An unknown ``kind`` is a KeyError: a misspelt vocabulary must not pass silently."""
    words = CATALOGUES[language_or_default(language)][kind]
    if value is None:
        return ""
    key = str(value)
    return words.get(key) or (key if name else humanise(key))


def ui_text(section: str, language: str) -> Mapping[str, str]:
    """The words of one page or message family (``dashboard``, ``return_portal``…) in
    ``language`` (English for a tag Retain does not speak). An unknown section is a KeyError."""
    return TEXTS[language_or_default(language)][section]
