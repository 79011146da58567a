"""Sentiment and aspects on held-out splits of the shared corpora, in Chinese and English."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from retain.feedback.aspects import AspectError, analyze_texts, clauses, load_aspects, parse_aspects
from retain.feedback.language import detect_language
from retain.feedback.sentiment import (
    SentimentError,
    SentimentModel,
    evaluate,
    labels_from_ratings,
    parse_label,
)
from tests.feedback.helpers import corpus


def _split(name: str) -> tuple[list[str], list[str], list[int], list[int]]:
    texts, labels = corpus(name)
    train, test, train_labels, test_labels = train_test_split(
        texts, labels, test_size=0.2, random_state=0, stratify=labels
    )
    return train, test, train_labels, test_labels


def _baseline_accuracy(train: list[str], test: list[str], y: list[int], truth: list[int]) -> float:
    baseline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(max_iter=1000),
    ).fit(train, y)
    return float(np.mean(baseline.predict(test) == np.asarray(truth)))


@pytest.mark.parametrize("name", ["delivery", "english"])
def test_held_out_accuracy_beats_the_tfidf_baseline(name: str) -> None:
    train, test, train_labels, test_labels = _split(name)
    model = SentimentModel().fit(train, train_labels)
    found = evaluate(model, test, test_labels)
    assert found.accuracy >= _baseline_accuracy(train, test, train_labels, test_labels)
    assert found.accuracy >= 0.8 and found.macro_f1 >= 0.78


def test_snownlp_is_a_weaker_chinese_baseline() -> None:
    from snownlp import SnowNLP

    train, test, train_labels, test_labels = _split("delivery")
    test, test_labels = test[:400], test_labels[:400]
    ours = evaluate(SentimentModel().fit(train, train_labels), test, test_labels).accuracy
    theirs = np.mean(
        [int(SnowNLP(t).sentiments >= 0.5) == y for t, y in zip(test, test_labels, strict=True)]
    )
    assert ours > theirs


@pytest.fixture(scope="module")
def bilingual() -> SentimentModel:
    delivery, english = corpus("delivery"), corpus("english")
    return SentimentModel().fit(delivery[0] + english[0], delivery[1] + english[1])


def test_each_aspect_gets_the_sentiment_of_its_own_clause(bilingual: SentimentModel) -> None:
    texts = [
        "送餐很快，但是味道太难吃了",
        "味道很好吃，就是送餐太慢了",
        "The staff were very friendly but the food was terrible",
    ]
    delivery_good, delivery_bad, mixed = analyze_texts(
        texts, model=bilingual, aspects=load_aspects()
    )
    assert delivery_good.language == "zh" and mixed.language == "en"
    assert delivery_good.aspects["delivery"] > 0 > delivery_good.aspects["quality"]
    assert delivery_bad.aspects["quality"] > 0 > delivery_bad.aspects["delivery"]
    assert mixed.aspects["support"] > 0 > mixed.aspects["quality"]


def test_aspect_detection_on_labelled_clauses(bilingual: SentimentModel) -> None:
    # Held-out delivery reviews that name exactly one aspect keyword set: the detected aspect
    # must carry the same polarity as the review's label in most cases.
    _, test, _, labels = _split("delivery")
    found = analyze_texts(test, model=bilingual, aspects=load_aspects())
    agree = [
        (score > 0) == bool(label)
        for analysis, label in zip(found, labels, strict=True)
        if len(analysis.aspects) == 1
        for score in analysis.aspects.values()
    ]
    assert len(agree) > 100
    assert np.mean(agree) >= 0.75


def test_language_is_told_by_script() -> None:
    assert detect_language("服务很好") == "zh"
    assert detect_language("Great service") == "en"
    assert detect_language("iPhone 手机很好用") == "zh"
    assert detect_language("👍 123") == "und"


def test_labels_come_from_words_digits_and_stars() -> None:
    assert [parse_label(v) for v in ("positive", "NEGATIVE", "1", "0", 1, "0.0")] == [
        1,
        0,
        1,
        0,
        1,
        0,
    ]
    with pytest.raises(SentimentError, match="neither"):
        parse_label("maybe")
    assert labels_from_ratings([5, 4, 3, 2, 1, None]) == [1, 1, None, 0, 0, None]


def test_clauses_split_at_contrast_words() -> None:
    assert clauses("Fast delivery but cold food.") == ["Fast delivery", "cold food"]
    assert clauses("送餐很快，但是菜凉了") == ["送餐很快", "菜凉了"]


def test_bad_aspect_files_are_named() -> None:
    with pytest.raises(AspectError, match="unknown language 'fr'"):
        parse_aspects("price: {fr: [prix]}")
    with pytest.raises(AspectError, match="a list of words"):
        parse_aspects("price: {en: cheap}")
