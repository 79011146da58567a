"""The assistant on CLINC150: training time, answer latency, accuracy and coverage vs baselines.

Ours: TF-IDF (word 1-2 + char_wb 2-5) joined with the all-MiniLM-L6-v2 embedding (NumPy
forward pass), one logistic regression, temperature-scaled on the validation split, a threshold
on the validation split for 5 % escalation, and an out-of-scope class from oos_train.

Baselines, same run, same features where they share them:
  * TF-IDF (word + char n-grams) + logistic regression (in-scope accuracy);
  * the average of that model's probabilities and a logistic regression on the embedding,
    with its accuracy on the 95 % most confident in-scope test messages.

Latency: ``answer_message`` end to end (intent model, knowledge-base search, store writes on
SQLite) for messages drawn from the test split, without generation, one at a time.

    .venv/bin/python bench/assistant.py [--messages 300]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from retain.assistant.brain import Brain, evaluate, shared_encoder
from retain.assistant.examples import Examples, read_examples
from retain.assistant.intents import load_intents
from retain.assistant.model import train_intent_model
from retain.assistant.service import answer_message
from retain.settings import Settings, StorageSettings
from retain.store import ensure_store, session_scope

CLINC = Path(__file__).resolve().parents[2] / "shared" / "data" / "clinc150" / "data_full.json"


def _baselines(
    train: Examples, test: Examples, vectors: dict[str, np.ndarray]
) -> tuple[float, float, float, float]:
    """TF-IDF+LR accuracy, its training seconds, averaged-ensemble accuracy and at 95 %."""
    train, test = train.without("oos"), test.without("oos")
    started = time.perf_counter()
    vectorizer = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    words = LogisticRegression(max_iter=2000).fit(
        vectorizer.fit_transform(train.texts), train.intents
    )
    seconds = time.perf_counter() - started
    words_probabilities = words.predict_proba(vectorizer.transform(test.texts))
    truth = np.array(test.intents)
    tfidf_accuracy = float(np.mean(words.classes_[words_probabilities.argmax(1)] == truth))
    embedded = LogisticRegression(max_iter=2000).fit(
        np.stack([vectors[t] for t in train.texts]), train.intents
    )
    averaged = (
        words_probabilities + embedded.predict_proba(np.stack([vectors[t] for t in test.texts]))
    ) / 2
    correct = words.classes_[averaged.argmax(1)] == truth
    confident = averaged.max(1) >= np.quantile(averaged.max(1), 0.05)
    return tfidf_accuracy, seconds, float(correct.mean()), float(correct[confident].mean())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300, help="Messages timed end to end.")
    arguments = parser.parse_args()
    train = read_examples(CLINC, split="train")
    validation = read_examples(CLINC, split="validation")
    test = read_examples(CLINC, split="test")
    encoder = shared_encoder()

    texts = sorted(set(train.texts) | set(validation.texts) | set(test.texts))
    started = time.perf_counter()
    vectors = dict(zip(texts, encoder.encode(texts), strict=True))
    encode_seconds = time.perf_counter() - started
    print(
        f"encoded {len(texts):,} sentences in {encode_seconds:.1f} s "
        f"({1000 * encode_seconds / len(texts):.1f} ms each, batched)"
    )

    def cached(batch: list[str]) -> np.ndarray:
        return np.stack([vectors[t] for t in batch])

    started = time.perf_counter()
    model = train_intent_model(train, validation, embed=cached)
    fit_seconds = time.perf_counter() - started
    train_share = len(set(train.texts) | set(validation.texts)) / len(texts)
    ours = evaluate(model, test, embed=cached)
    tfidf, tfidf_seconds, averaged, averaged_95 = _baselines(train, test, vectors)

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(storage=StorageSettings(data_dir=Path(folder)))
        ensure_store(settings.storage.store_url)
        brain = Brain(model, load_intents())
        latencies = []
        rng = np.random.default_rng(8)
        for index in rng.choice(len(test), size=arguments.messages, replace=False):
            started = time.perf_counter()
            with session_scope(settings.storage.store_url) as session:
                answer_message(
                    session=session,
                    settings=settings,
                    brain=brain,
                    text=test.texts[index],
                    email="bench@example.com",
                )
            latencies.append(1000 * (time.perf_counter() - started))
    p50, p95 = np.percentile(latencies, [50, 95])

    figures = {
        "train_examples": len(train),
        "test_examples": len(test),
        "training_seconds_ours": round(fit_seconds + encode_seconds * train_share, 1),
        "training_seconds_tfidf_lr": round(tfidf_seconds, 1),
        "answer_latency_p50_ms": round(float(p50), 1),
        "answer_latency_p95_ms": round(float(p95), 1),
        "accuracy_ours": round(ours.accuracy, 4),
        "accuracy_tfidf_lr": round(tfidf, 4),
        "accuracy_average_tfidf_minilm": round(averaged, 4),
        "coverage_ours": round(ours.coverage, 4),
        "answered_accuracy_ours": round(ours.answered_accuracy, 4),
        "accuracy_average_tfidf_minilm_on_95pct": round(averaged_95, 4),
        "escalation_rate_ours": round(ours.escalation_rate, 4),
        "oos_recall_ours": round(ours.oos_recall or 0.0, 4),
    }
    print(json.dumps(figures, indent=2))
    print(
        f"error rate ratio vs TF-IDF+LR: {(1 - ours.accuracy) / (1 - tfidf):.2f}x; "
        f"vs averaged TF-IDF+MiniLM: {(1 - ours.accuracy) / (1 - averaged):.2f}x"
    )


if __name__ == "__main__":
    main()
