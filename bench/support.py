"""Help-centre search benchmark: Retain's bilingual search against SQL LIKE, same store, same run.

The claim (issue 8, "bench/support.py"): searching 10,000 articles in English and Chinese,
Retain's search (jieba + TF-IDF, index cached in memory) answers more queries per second than a
hand-written SQL LIKE search and ranks the right article first more often.

What runs, on an embedded store (SQLite file):

1. Setup, not timed: ``--articles`` generated articles, half English and half Chinese, each about
   one (product, problem) pair with a sentence or two of filler. Titles and bodies use one
   wording; the queries use another (plurals, other word order, a different but overlapping
   phrasing in Chinese), so an exact-phrase match would find nothing.
2. Retain, timed: the index is built once (timed separately), then ``--queries`` queries go
   through ``knowledge.search_articles(limit=5)`` in the query's language.
3. Baseline, timed: the same queries, tokenised the same way (so both sides see the same words,
   Chinese segmented by jieba), as one SQL statement each: ``WHERE language = ? AND (title LIKE
   '%w1%' OR body LIKE '%w1%' OR ...)`` ranked by how many words match (title matches count
   double), top 5. That is the search a developer writes without a search library.
4. For both: queries per second, and top-1 / top-5 accuracy (the article the query was made
   from is first / among the five).

Usage:
    .venv/bin/python bench/support.py [--articles 10000] [--queries 400] [--seed 8]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from retain.store import ensure_store, session_scope
from retain.support import knowledge

PRODUCTS_EN = [
    "kettle",
    "toaster",
    "blender",
    "vacuum",
    "heater",
    "fan",
    "lamp",
    "speaker",
    "router",
    "camera",
    "printer",
    "scanner",
    "monitor",
    "keyboard",
    "mouse",
    "charger",
    "battery",
    "headphone",
    "watch",
    "phone",
    "tablet",
    "laptop",
    "drone",
    "scooter",
    "bicycle",
    "helmet",
    "backpack",
    "suitcase",
    "tent",
    "stove",
    "grill",
    "fridge",
    "freezer",
    "oven",
    "microwave",
    "dishwasher",
    "washer",
    "dryer",
    "iron",
    "mixer",
]
PRODUCTS_ZH = [
    "水壶",
    "烤面包机",
    "搅拌机",
    "吸尘器",
    "取暖器",
    "电风扇",
    "台灯",
    "音箱",
    "路由器",
    "相机",
    "打印机",
    "扫描仪",
    "显示器",
    "键盘",
    "鼠标",
    "充电器",
    "电池",
    "耳机",
    "手表",
    "手机",
    "平板",
    "笔记本",
    "无人机",
    "滑板车",
    "自行车",
    "头盔",
    "背包",
    "行李箱",
    "帐篷",
    "炉子",
    "烤架",
    "冰箱",
    "冰柜",
    "烤箱",
    "微波炉",
    "洗碗机",
    "洗衣机",
    "烘干机",
    "熨斗",
    "料理机",
]
# (article wording, query wording) per problem, in each language.
PROBLEMS_EN = [
    ("return a damaged {p}", "my {p}s arrived damaged, how do returns work"),
    ("reset the {p} to factory settings", "factory reset for {p}"),
    ("update the firmware of your {p}", "{p} firmware updates"),
    ("the {p} does not turn on", "{p} won't turn on at all"),
    ("warranty for the {p}", "is my {p} under warranty"),
    ("clean the {p} safely", "cleaning instructions {p}"),
    ("pair the {p} with bluetooth", "bluetooth pairing {p} fails"),
    ("replace the {p} battery", "{p} battery replacements"),
    ("track the delivery of your {p}", "where is the delivery of my {p}"),
    ("the {p} makes a noise", "strange noises from {p}"),
]
PROBLEMS_ZH = [
    ("{p}损坏如何退货", "我的{p}到货就坏了想退货"),
    ("{p}恢复出厂设置", "{p}怎么恢复出厂"),
    ("{p}固件升级方法", "{p}的固件如何升级"),
    ("{p}无法开机", "{p}开不了机怎么办"),
    ("{p}保修政策", "{p}还在保修期吗"),
    ("如何安全清洁{p}", "{p}清洁方法"),
    ("{p}蓝牙配对", "{p}蓝牙连不上"),
    ("更换{p}电池", "{p}电池怎么换"),
    ("查询{p}物流", "我的{p}物流到哪了"),
    ("{p}有异响", "{p}发出奇怪的声音"),
]
FILLER_EN = [
    "Follow the steps below.",
    "Contact us if this does not help.",
    "This takes a few minutes.",
    "Keep your order number at hand.",
    "See also the user manual.",
]
FILLER_ZH = [
    "请按照以下步骤操作。",
    "如果仍未解决请联系我们。",
    "整个过程只需几分钟。",
    "请准备好订单号。",
]


def make_articles(count: int, rng: random.Random) -> list[dict[str, str]]:
    """``count`` articles, English and Chinese alternating, each with its query wording."""
    articles = []
    for number in range(count):
        english = number % 2 == 0
        products, problems = (PRODUCTS_EN, PROBLEMS_EN) if english else (PRODUCTS_ZH, PROBLEMS_ZH)
        combination = number // 2
        product = products[combination % len(products)]
        article_words, query_words = problems[(combination // len(products)) % len(problems)]
        series = combination // (len(products) * len(problems))  # model series beyond 400 pairs
        model = f"{'X' if english else '型号'}{series}"
        filler = " ".join(rng.sample(FILLER_EN if english else FILLER_ZH, 2))
        title = article_words.format(p=product).capitalize() + f" ({model})"
        articles.append(
            {
                "slug": f"a-{number}",
                "title": title,
                "body": f"{title}. {filler}",
                "language": "en" if english else "zh-CN",
                "query": query_words.format(p=product) + f" {model}",
            }
        )
    return articles


def baseline_search(session: object, terms: list[str], language: str) -> list[str]:
    """Top five slugs by matching words, as a hand-written LIKE query."""
    if not terms:
        return []
    score = " + ".join(
        f"(CASE WHEN title LIKE :t{i} THEN 2 ELSE 0 END)"
        f" + (CASE WHEN body LIKE :t{i} THEN 1 ELSE 0 END)"
        for i in range(len(terms))
    )
    where = " OR ".join(f"title LIKE :t{i} OR body LIKE :t{i}" for i in range(len(terms)))
    params: dict[str, object] = {f"t{i}": f"%{term}%" for i, term in enumerate(terms)}
    params["language"] = language
    sql = text(
        f"SELECT slug, {score} AS score FROM kb_article WHERE status = 'published' "
        f"AND language = :language AND ({where}) ORDER BY score DESC, id LIMIT 5"
    )
    return [row[0] for row in session.execute(sql, params)]  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=8)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    articles = make_articles(options.articles, rng)
    queries = rng.sample(articles, min(options.queries, len(articles)))

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'retain.db'}"
        ensure_store(url)
        with session_scope(url) as session:
            for article in articles:
                knowledge.create_article(
                    session,
                    slug=article["slug"],
                    title=article["title"],
                    body=article["body"],
                    language=article["language"],
                    status="published",
                )
        with session_scope(url) as session:
            started = time.perf_counter()
            knowledge.search_articles(session, "warm up", limit=1)  # builds the index
            index_seconds = time.perf_counter() - started

            ours = _run(
                lambda q: [
                    hit.article.slug
                    for hit in knowledge.search_articles(
                        session, q["query"], language=q["language"], limit=5
                    )
                ],
                queries,
            )
            theirs = _run(
                lambda q: baseline_search(session, knowledge.tokens(q["query"]), q["language"]),
                queries,
            )

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}"
    )
    print(
        f"articles: {len(articles):,} (half en, half zh-CN); "
        f"queries: {len(queries)}; index build (once): {index_seconds:.2f} s"
    )
    print(f"{'':<22}{'queries/s':>12}{'top-1':>9}{'top-5':>9}")
    for name, result in (("Retain (TF-IDF)", ours), ("SQL LIKE baseline", theirs)):
        print(f"{name:<22}{result[0]:>12,.1f}{result[1]:>9.1%}{result[2]:>9.1%}")
    print(
        f"ratio (Retain / baseline) queries/s: {ours[0] / theirs[0]:.1f}x; "
        f"top-1 {ours[1]:.1%} vs {theirs[1]:.1%}"
    )


def _run(search: object, queries: list[dict[str, str]]) -> tuple[float, float, float]:
    first = five = 0
    started = time.perf_counter()
    for query in queries:
        found = search(query)  # type: ignore[operator]
        first += bool(found) and found[0] == query["slug"]
        five += query["slug"] in found
    elapsed = time.perf_counter() - started
    return len(queries) / elapsed, first / len(queries), five / len(queries)


if __name__ == "__main__":
    main()
