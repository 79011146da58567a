"""Sentiment accuracy and analysis throughput: Retain's model vs TF-IDF char n-grams + LR and
snownlp, measured in the same run on the shared corpora (Chinese hotels and food delivery,
English Amazon / IMDb / Yelp sentences).

In-domain: a stratified 80/20 split of each corpus (seed 0). Cross-domain: trained on Chinese
hotels + English, tested on delivery and the reverse (also with 500 rated reviews of the target
domain added, as a business adds its own); English trained on two sources, tested on the third.
snownlp is not trained here, so its in-domain figure is also its cross-domain one.
Throughput: full analysis (language, sentiment, clause-level aspects) of ``--texts`` reviews
in batches, after a warm-up.

    .venv/bin/python bench/feedback.py [--data ../shared/data/sentiment] [--texts 20000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline

from retain.feedback.aspects import analyze_texts, load_aspects
from retain.feedback.sentiment import SentimentModel

Corpus = tuple[list[str], list[int]]
ADAPT_ROWS = 500
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sentiment"


def load_corpora(folder: Path) -> dict[str, Corpus]:
    corpora: dict[str, Corpus] = {}
    for name, file in (("hotels", "ChnSentiCorp_htl_all.csv"), ("delivery", "waimai_10k.csv")):
        frame = pd.read_csv(folder / file).dropna()
        corpora[name] = (frame.review.astype(str).tolist(), frame.label.astype(int).tolist())
    for name in ("amazon", "imdb", "yelp"):
        frame = pd.read_csv(
            folder / f"{'amazon_cells' if name == 'amazon' else name}_labelled.txt",
            sep="\t",
            header=None,
            names=["text", "label"],
            quoting=3,
        )
        corpora[name] = (frame.text.astype(str).tolist(), frame.label.astype(int).tolist())
    return corpora


def _take(corpus: Corpus, count: int) -> tuple[Corpus, Corpus]:
    """A stratified sample of ``count`` rows and the rest (seed 0)."""
    rest, own, rest_labels, own_labels = train_test_split(
        *corpus, test_size=count, random_state=0, stratify=corpus[1]
    )
    return (own, own_labels), (rest, rest_labels)


def baseline() -> Pipeline:
    """The issue's baseline: TF-IDF of character 1-3-grams and a logistic regression."""
    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(max_iter=1000),
    )


def join(*corpora: Corpus) -> Corpus:
    return [t for c in corpora for t in c[0]], [label for c in corpora for label in c[1]]


def accuracy(predict: Callable[[list[str]], Sequence[int]], test: Corpus) -> float:
    return float(np.mean(np.asarray(predict(test[0])) == np.asarray(test[1])))


def ours(train: Corpus) -> Callable[[list[str]], Sequence[int]]:
    model = SentimentModel().fit(*train)
    return lambda texts: (model.probability(texts) >= 0.5).astype(int).tolist()


def theirs(train: Corpus) -> Callable[[list[str]], Sequence[int]]:
    model = baseline().fit(*train)
    return lambda texts: model.predict(texts).tolist()


def snownlp(texts: list[str]) -> list[int]:
    from snownlp import SnowNLP

    return [int(SnowNLP(text).sentiments >= 0.5) for text in texts]


def split(corpus: Corpus) -> tuple[Corpus, Corpus]:
    a, b, ya, yb = train_test_split(*corpus, test_size=0.2, random_state=0, stratify=corpus[1])
    return (a, ya), (b, yb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--texts", type=int, default=20_000)
    args = parser.parse_args()
    corpora = load_corpora(args.data)
    english = join(corpora["amazon"], corpora["imdb"], corpora["yelp"])
    print(f"{'test':34} {'rows':>6} {'ours':>7} {'tfidf':>7} {'snownlp':>8}")
    splits = {name: split(corpora[name]) for name in ("hotels", "delivery")}
    splits["english (3 sources)"] = split(english)
    for name, (train, test) in splits.items():
        snow = accuracy(snownlp, test) if name != "english (3 sources)" else float("nan")
        print(
            f"{'in-domain ' + name:34} {len(test[0]):>6} {accuracy(ours(train), test):>7.4f} "
            f"{accuracy(theirs(train), test):>7.4f} {snow:>8.4f}"
        )
    crosses = [
        ("hotels+english -> delivery", join(corpora["hotels"], english), corpora["delivery"]),
        ("delivery+english -> hotels", join(corpora["delivery"], english), corpora["hotels"]),
    ]
    for held in ("amazon", "imdb", "yelp"):
        rest = join(*(corpora[n] for n in ("amazon", "imdb", "yelp") if n != held))
        crosses.append((f"english others -> {held}", rest, corpora[held]))
    # Adaptation: the other domain plus a few hundred of the business's own rated reviews.
    for source, target in (("hotels", "delivery"), ("delivery", "hotels")):
        own, rest = _take(corpora[target], ADAPT_ROWS)
        crosses.append(
            (f"{source}+en+{ADAPT_ROWS} own -> {target}", join(corpora[source], english, own), rest)
        )
    for name, train, test in crosses:
        print(
            f"{'cross ' + name:34} {len(test[0]):>6} {accuracy(ours(train), test):>7.4f} "
            f"{accuracy(theirs(train), test):>7.4f} {'':>8}"
        )
    measure_throughput(corpora, args.texts)


def measure_throughput(corpora: dict[str, Corpus], count: int) -> None:
    everything = join(*corpora.values())
    model = SentimentModel().fit(*everything)
    aspects = load_aspects()
    rng = np.random.default_rng(0)
    texts = [everything[0][i] for i in rng.integers(0, len(everything[0]), count)]
    analyze_texts(texts[:500], model=model, aspects=aspects)
    ours_wall, ours_cpu = _rates(
        lambda: [
            analyze_texts(texts[start : start + 2_000], model=model, aspects=aspects)
            for start in range(0, count, 2_000)
        ],
        count,
    )
    sample = texts[: min(count, 2_000)]
    snow_wall, snow_cpu = _rates(lambda: snownlp(sample), len(sample))
    print(
        f"throughput, texts/s (wall clock / per CPU-second of this process): full analysis "
        f"{ours_wall:,.0f} / {ours_cpu:,.0f} over {count:,} texts; snownlp sentiment only "
        f"{snow_wall:,.0f} / {snow_cpu:,.0f} over {len(sample):,}; "
        f"ratio {ours_cpu / snow_cpu:.1f}x (CPU); model trained on {len(everything[0]):,} texts"
    )


def _rates(work: Callable[[], object], count: int) -> tuple[float, float]:
    """Texts per wall-clock second and per CPU second (the latter ignores other processes)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


if __name__ == "__main__":
    main()
