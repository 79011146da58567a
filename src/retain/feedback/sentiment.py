"""Sentiment of English and Chinese texts: a linear model over words and character n-grams.

Features are TF-IDF of character 1-3-grams (robust to spelling and to Chinese without word
boundaries) joined with TF-IDF of words and word pairs (``jieba`` segments Chinese, a regular
expression splits English, so "not good" and "不 好吃" are features of their own). A
logistic regression on the union gives the probability that a text is positive; the score
is that probability mapped to [-1, 1], and probabilities near one half read as neutral.

Nothing is downloaded: the model is trained here, from labelled files the business gives and
from its own rated reviews (see ``labels_from_ratings``), and saved under the data folder.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from retain.feedback.language import detect_language

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
# Probabilities of being positive inside this band read as neutral rather than a guess.
NEUTRAL_BAND = (0.4, 0.6)
MODEL_FILE = "sentiment.joblib"
_LABELS = {"positive": 1, "pos": 1, "1": 1, "negative": 0, "neg": 0, "0": 0}
_ENGLISH_WORD = re.compile(r"[a-z0-9']+")


class SentimentError(ValueError):
    """Training or evaluation input that cannot be used."""


def parse_label(value: object) -> int:
    """1 for positive, 0 for negative from ``positive``/``negative``, ``1``/``0`` (any case)."""
    text = str(value).strip().lower()
    if text.endswith(".0"):
        text = text[:-2]
    if text not in _LABELS:
        raise SentimentError(f"label {value!r} is neither positive/negative nor 1/0")
    return _LABELS[text]


def words(text: str) -> list[str]:
    """Words of a text: jieba segments for Chinese, lower-case tokens for English."""
    if detect_language(text) == "zh":
        return [word for word in _jieba().lcut(text) if word.strip()]
    return _ENGLISH_WORD.findall(text.lower())


@cache
def _jieba() -> ModuleType:
    # Imported on first Chinese text, not with the module: loading jieba takes a second.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _pipeline(c: float) -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(1, 3),
                    min_df=2,
                    sublinear_tf=True,
                    lowercase=True,
                    dtype=np.float32,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    tokenizer=words,
                    token_pattern=None,
                    lowercase=False,
                    ngram_range=(1, 2),
                    min_df=2,
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass(frozen=True)
class Prediction:
    label: str
    score: float  # -1 (surely negative) .. 1 (surely positive)


class SentimentModel:
    """Binary sentiment fitted on labelled texts in English, Chinese or both."""

    def __init__(self, c: float = 1.0) -> None:
        self.pipeline = _pipeline(c)
        self.trained_on = 0

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> SentimentModel:
        """Fit on ``texts`` labelled 1 (positive) or 0 (negative)."""
        if len(set(labels)) < 2:
            raise SentimentError("training needs both positive and negative examples")
        self.pipeline.fit(list(texts), np.asarray(labels))
        self.trained_on = len(texts)
        return self

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is positive."""
        if not texts:
            return np.zeros(0)
        return np.asarray(self.pipeline.predict_proba(list(texts))[:, 1])

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """positive / neutral / negative with a score in [-1, 1] for each text."""
        return [_prediction(float(p)) for p in self.probability(texts)]

    def save(self, path: Path) -> None:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)

    @staticmethod
    def load(path: Path) -> SentimentModel:
        """The model saved at ``path`` (a file this installation wrote, never a download)."""
        import joblib

        model = joblib.load(path)
        if not isinstance(model, SentimentModel):
            raise SentimentError(f"{path} does not hold a sentiment model")
        return model


def _prediction(probability: float) -> Prediction:
    low, high = NEUTRAL_BAND
    label = NEGATIVE if probability < low else POSITIVE if probability > high else NEUTRAL
    return Prediction(label=label, score=round(2 * probability - 1, 4))


def labels_from_ratings(ratings: Sequence[int | None]) -> list[int | None]:
    """Free labels from star ratings: 4-5 positive, 1-2 negative, 3 or none unlabelled."""
    return [
        None if rating is None else 1 if rating >= 4 else 0 if rating <= 2 else None
        for rating in ratings
    ]


@dataclass(frozen=True)
class Evaluation:
    rows: int
    accuracy: float
    macro_f1: float


def evaluate(model: SentimentModel, texts: Sequence[str], labels: Sequence[int]) -> Evaluation:
    """Accuracy and macro F1 of the model's positive/negative call on labelled texts."""
    from sklearn.metrics import accuracy_score, f1_score

    if not texts:
        raise SentimentError("nothing to evaluate: the table has no labelled rows")
    predicted = (model.probability(texts) >= 0.5).astype(int)
    return Evaluation(
        rows=len(texts),
        accuracy=round(float(accuracy_score(labels, predicted)), 4),
        macro_f1=round(float(f1_score(labels, predicted, average="macro")), 4),
    )


def model_path(data_dir: Path) -> Path:
    return data_dir / "feedback" / MODEL_FILE


def load_trained(data_dir: Path) -> SentimentModel | None:
    """The model trained for this installation, or None before the first training."""
    path = model_path(data_dir)
    return SentimentModel.load(path) if path.exists() else None
