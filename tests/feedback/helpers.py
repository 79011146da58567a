"""Shared helpers of the feedback tests: rated reviews made up from phrases, the shared corpora."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pandas as pd

from tests.conftest import shared_data_file

T0 = datetime(2026, 3, 2, 9, 0)
GOOD = [
    "The delivery was fast and the food was tasty",
    "Great quality, friendly staff, I love it",
    "送餐很快，味道很好",
    "质量不错，服务热情，很满意",
    "Excellent price and easy to use",
    "包装很好，很好吃，下次还来",
]
BAD = [
    "Terrible, the food was cold and the delivery late",
    "Awful quality, rude staff, never again",
    "送餐太慢了，菜都凉了",
    "质量很差，态度恶劣，再也不买了",
    "Too expensive and broken after a day",
    "难吃，太贵，差评",
]
ENDINGS = ["", "!", " really.", " 真的。", " overall", "。"]


def rated_rows(count: int, *, source: str = "shop") -> list[dict[str, object]]:
    """``count`` reviews alternating 5 and 1 stars, each text distinct."""
    rows = []
    phrases = itertools.cycle(zip(GOOD, BAD, strict=True))
    for number in range(count):
        good, bad = next(phrases)
        positive = number % 2 == 0
        text = (good if positive else bad) + ENDINGS[number % len(ENDINGS)] + f" #{number}"
        rows.append(
            {
                "source": source,
                "url": f"https://{source}.example/r/{number}",
                "author": f"author{number}",
                "rating": 5 if positive else 1,
                "text": text,
                "posted_at": (T0 + timedelta(hours=number)).isoformat(),
            }
        )
    return rows


def corpus(name: str) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels of a shared corpus: hotels, delivery or english (3 sources)."""
    if name in ("hotels", "delivery"):
        file = "ChnSentiCorp_htl_all.csv" if name == "hotels" else "waimai_10k.csv"
        frame = pd.read_csv(shared_data_file("sentiment", file)).dropna()
        return frame.review.astype(str).tolist(), frame.label.astype(int).tolist()
    frames = [
        pd.read_csv(
            shared_data_file("sentiment", f"{source}_labelled.txt"),
            sep="\t",
            header=None,
            names=["review", "label"],
            quoting=3,
        )
        for source in ("amazon_cells", "imdb", "yelp")
    ]
    frame = pd.concat(frames)
    return frame.review.astype(str).tolist(), frame.label.astype(int).tolist()
