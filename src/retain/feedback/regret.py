"""Product regret: which products customers return, complain about and do not come back after.

Per product (or category), as Ibis expressions over the warehouse, so they run on DuckDB,
PostgreSQL and Spark alike:

- return_rate = orders containing it with a return / orders containing it (``return_event``
  names the order, not the line, so a return counts against every product of the order);
- negative_share = its reviews with 1-2 stars, or unrated and negative / its reviews;
- repeat_rate = first-time buyers whose first order contained it and who ordered again /
  those first-time buyers;
- churn_90d = its purchases at least 90 days old not followed by another order of the same
  customer within 90 days / those purchases;
- regret = mean of return_rate, negative_share, churn_90d and (1 - repeat_rate), over the
  parts that have data; products with fewer than ``min_orders`` orders are left out.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

LAPSE_DAYS = 90
VALID_STATUSES = ("paid", "pending", "completed", "fulfilled", "shipped", "delivered")


def _purchases(backend: BaseBackend, at: datetime) -> ir.Table:
    """(order_id, customer_id, ordered_at, next_at, first, product_id, product_name, category)."""
    orders = backend.table("order")
    orders = orders.filter(orders.ordered_at <= at, ~orders.status.isin(("cancelled", "refunded")))
    by_customer = ibis.window(group_by=orders.customer_id, order_by=orders.ordered_at)
    orders = orders.mutate(
        next_at=orders.ordered_at.lead().over(by_customer),
        first=ibis.row_number().over(by_customer) == 0,
    ).select("order_id", "customer_id", "ordered_at", "next_at", "first")
    lines = backend.table("order_line")
    products = (
        lines.filter(lines.product_id.notnull())
        .select("order_id", "product_id", "product_name", "category")
        .distinct()
    )
    return products.join(orders, "order_id")


def regret_expression(backend: BaseBackend, *, at: datetime, by: str = "product_id") -> ir.Table:
    """Per product (``by="product_id"``) or category: the regret parts and their evidence."""
    purchases = _purchases(backend, at)
    returned = backend.table("return_event").select("order_id").distinct().mutate(returned=1)
    marked = purchases.left_join(returned, "order_id").select(
        purchases, returned=ibis.coalesce(returned.returned, 0)
    )
    lapse_cutoff = at - timedelta(days=LAPSE_DAYS)
    old = marked.ordered_at <= lapse_cutoff
    lapsed = old & (
        marked.next_at.isnull() | (marked.next_at > marked.ordered_at + ibis.interval(days=90))
    )
    label = marked.product_name.max() if by == "product_id" else marked.category.max()
    sales = marked.group_by(by).aggregate(
        name=label,
        orders=marked.order_id.nunique(),
        returned_orders=marked.order_id.nunique(where=marked.returned == 1),
        first_buyers=marked.customer_id.nunique(where=marked.first),
        first_buyers_again=marked.customer_id.nunique(
            where=marked.first & marked.next_at.notnull()
        ),
        old_purchases=old.sum(),
        lapsed_purchases=lapsed.sum(),
    )
    reviews = backend.table("review_event")
    reviews = reviews.filter(reviews.kind == "review", reviews.product_id.notnull())
    negative = ibis.ifelse(
        reviews.rating.notnull(), reviews.rating <= 2, reviews.sentiment == "negative"
    )
    if by == "category":
        categories = backend.table("order_line").select("product_id", "category").distinct()
        reviews = reviews.join(categories, "product_id")
    review_counts = reviews.group_by(by).aggregate(
        reviews=reviews.count(), negative_reviews=negative.sum()
    )
    joined = sales.left_join(review_counts, by).select(
        sales,
        reviews=ibis.coalesce(review_counts.reviews, 0),
        negative_reviews=ibis.coalesce(review_counts.negative_reviews, 0),
    )
    return joined.mutate(
        return_rate=joined.returned_orders.cast("float64") / joined.orders,
        negative_share=ibis.ifelse(
            joined.reviews > 0,
            joined.negative_reviews.cast("float64") / joined.reviews,
            ibis.null(),
        ),
        repeat_rate=ibis.ifelse(
            joined.first_buyers > 0,
            joined.first_buyers_again.cast("float64") / joined.first_buyers,
            ibis.null(),
        ),
        churn_90d=ibis.ifelse(
            joined.old_purchases > 0,
            joined.lapsed_purchases.cast("float64") / joined.old_purchases,
            ibis.null(),
        ),
    )


def rank_regret(
    backend: BaseBackend,
    *,
    at: datetime,
    by: str = "product_id",
    min_orders: int = 20,
    limit: int = 20,
) -> pd.DataFrame:
    """The products (or categories) with the most regret first, with evidence."""
    if by not in ("product_id", "category"):
        raise ValueError("regret is ranked by product_id or category")
    frame = regret_expression(backend, at=at, by=by).execute()
    frame = frame[frame["orders"] >= min_orders].copy()
    parts = pd.DataFrame(
        {
            "return_rate": frame["return_rate"],
            "negative_share": frame["negative_share"],
            "churn_90d": frame["churn_90d"],
            "no_repeat": 1 - frame["repeat_rate"],
        }
    ).astype(float)
    frame["regret"] = parts.mean(axis=1, skipna=True).round(4)
    frame = frame.sort_values(["regret", "orders"], ascending=[False, False]).head(limit)
    aspects = top_negative_aspects(backend, by=by, keys=frame[by].astype(str).tolist())
    frame["top_negative_aspects"] = [aspects.get(str(key), "") for key in frame[by]]
    return frame.rename(columns={by: "key"}).reset_index(drop=True)


def top_negative_aspects(
    backend: BaseBackend, *, by: str, keys: list[str], top: int = 3
) -> dict[str, str]:
    """The aspects most often negative in each product's (or category's) reviews."""
    if not keys:
        return {}
    reviews = backend.table("review_event")
    reviews = reviews.filter(reviews.kind == "review", reviews.product_id.notnull())
    if by == "category":
        categories = backend.table("order_line").select("product_id", "category").distinct()
        reviews = reviews.join(categories, "product_id")
    rows = reviews.filter(reviews[by].isin(keys)).select(by, "aspects").execute()
    counts: dict[str, Counter[str]] = {}
    for key, text in zip(rows[by], rows["aspects"], strict=True):
        for aspect, score in json.loads(text or "{}").items():
            if score < 0:
                counts.setdefault(str(key), Counter())[aspect] += 1
    return {
        key: ", ".join(f"{name} ({n})" for name, n in found.most_common(top))
        for key, found in counts.items()
    }
