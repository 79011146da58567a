"""Aspects (topics) of a text with a sentiment each, from keyword lists in English and Chinese.

A text is cut into clauses at punctuation and at contrast words ("but", "但是"), because
"fast delivery but cold food" praises one aspect and blames another. Each clause that names
an aspect's word counts for that aspect, with the clause's own sentiment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from retain.feedback.language import LANGUAGES, detect_language
from retain.feedback.sentiment import Prediction, SentimentModel
from retain.sandbox import load_yaml

_CLAUSE_BREAK = re.compile(
    r"[，。！？；、,.!?;\n]+|\s+(?:but|however|though|although|yet)\s+|但是|但|可是|不过|然而|就是",
    re.IGNORECASE,
)


class AspectError(ValueError):
    """An aspect file that is not a mapping of aspect -> {en: [...], zh: [...]}."""


@dataclass(frozen=True)
class Aspects:
    """Keywords per aspect and language, compiled once."""

    keywords: dict[str, dict[str, tuple[str, ...]]]
    _patterns: dict[str, dict[str, re.Pattern[str]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for aspect, by_language in self.keywords.items():
            self._patterns[aspect] = {
                language: _pattern(words, language) for language, words in by_language.items()
            }

    @property
    def names(self) -> list[str]:
        return list(self.keywords)

    def found_in(self, clause: str, language: str) -> list[str]:
        """Aspects whose words occur in ``clause``."""
        return [
            aspect
            for aspect, patterns in self._patterns.items()
            if language in patterns and patterns[language].search(clause)
        ]


def _pattern(words: Sequence[str], language: str) -> re.Pattern[str]:
    escaped = sorted((re.escape(word.lower()) for word in words), key=len, reverse=True)
    # English words match whole words; Chinese has no spaces to mark them.
    body = "|".join(escaped)
    return re.compile(rf"\b(?:{body})\b" if language == "en" else f"(?:{body})", re.IGNORECASE)


def parse_aspects(text: str, *, source: str = "aspects") -> Aspects:
    """Aspects from YAML text; AspectError naming the aspect and language at fault."""
    raw = load_yaml(text)
    if not isinstance(raw, dict) or not raw:
        raise AspectError(f"{source}: expected a mapping of aspect names to keyword lists")
    keywords: dict[str, dict[str, tuple[str, ...]]] = {}
    for aspect, by_language in raw.items():
        if not isinstance(by_language, dict):
            raise AspectError(f"{source}: aspect {aspect!r} needs en and/or zh keyword lists")
        keywords[str(aspect)] = {}
        for language, words in by_language.items():
            if language not in LANGUAGES:
                raise AspectError(f"{source}: aspect {aspect!r}: unknown language {language!r}")
            if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
                raise AspectError(f"{source}: aspect {aspect!r}, {language}: a list of words")
            keywords[str(aspect)][language] = tuple(words)
    return Aspects(keywords=keywords)


def load_aspects(path: Path | None = None) -> Aspects:
    """The aspects in ``path``, or the shipped defaults (delivery, price, quality, ...)."""
    if path is not None:
        return parse_aspects(path.read_text(encoding="utf-8"), source=str(path))
    shipped = resources.files("retain.feedback").joinpath("aspects.yaml")
    return parse_aspects(shipped.read_text(encoding="utf-8"), source="aspects.yaml")


def clauses(text: str) -> list[str]:
    """The clauses of ``text``, without empty pieces."""
    return [piece.strip() for piece in _CLAUSE_BREAK.split(text) if piece and piece.strip()]


@dataclass(frozen=True)
class Analysis:
    language: str
    sentiment: Prediction
    # aspect -> sentiment score of the clauses naming it (mean when several do)
    aspects: dict[str, float]


def analyze_texts(
    texts: Sequence[str], *, model: SentimentModel, aspects: Aspects
) -> list[Analysis]:
    """Language, overall sentiment and per-aspect sentiment of each text, in one batch."""
    languages = [detect_language(text) for text in texts]
    mentions: list[tuple[int, str, str]] = []  # (text index, aspect, clause)
    for index, (text, language) in enumerate(zip(texts, languages, strict=True)):
        for clause in clauses(text):
            mentions.extend(
                (index, aspect, clause) for aspect in aspects.found_in(clause, language)
            )
    overall = model.predict(texts)
    # A text that is one clause already has its score; each other clause is scored once.
    clause_score = {
        text.strip(): prediction.score for text, prediction in zip(texts, overall, strict=True)
    }
    distinct = sorted({clause for _, _, clause in mentions} - clause_score.keys())
    clause_score.update(zip(distinct, (p.score for p in model.predict(distinct)), strict=True))
    per_text: list[dict[str, list[float]]] = [{} for _ in texts]
    for index, aspect, clause in mentions:
        per_text[index].setdefault(aspect, []).append(clause_score[clause])
    return [
        Analysis(
            language=language,
            sentiment=prediction,
            aspects={name: round(sum(s) / len(s), 4) for name, s in found.items()},
        )
        for language, prediction, found in zip(languages, overall, per_text, strict=True)
    ]
