"""What the workflow steps read of the generated business, and their deterministic chance.

Every choice a step makes (who writes a ticket, which order comes back, what a review says)
is drawn from a generator seeded by the demo's seed and the thing chosen, so the same seed
gives the same workflow data, and a second run picks exactly what the first did. Instants of
live work (an open ticket, a pending return) are placed before the moment the step runs, as a
queue is always seen from now.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from retain.clock import utcnow
from retain.locales import language_or_default

ZH = "zh-CN"


def chance(seed: int, *parts: object) -> random.Random:
    """A generator for one decision: the same seed and parts always draw the same numbers."""
    return random.Random(":".join(str(part) for part in (seed, *parts)))


def now_minute() -> datetime:
    """Now as naive UTC to the minute, the clock the store keeps."""
    return utcnow().replace(second=0, microsecond=0)


@dataclass(frozen=True)
class DemoData:
    """The generated business's files, read once per step and only the columns used."""

    demo_dir: Path

    def _read(self, name: str, columns: list[str]) -> pd.DataFrame:
        frame = pq.read_table(self.demo_dir / f"{name}.parquet", columns=columns).to_pandas()
        for column in frame.columns:
            if column.endswith("_at"):
                frame[column] = pd.to_datetime(frame[column]).dt.tz_localize(None)
        return frame

    @cached_property
    def customers(self) -> pd.DataFrame:
        """customer_id, signup_at, channel, language (en or zh-CN) and email, by sign-up."""
        frame = self._read(
            "customers", ["customer_id", "signup_at", "channel", "language", "email"]
        )
        frame["language"] = [language_or_default(value) for value in frame["language"]]
        return frame.sort_values(["signup_at", "customer_id"], ignore_index=True)

    @cached_property
    def orders(self) -> pd.DataFrame:
        """order_id, customer_id, ordered_at, amount, currency and status, by time."""
        frame = self._read(
            "orders", ["order_id", "customer_id", "ordered_at", "amount", "currency", "status"]
        )
        return frame.sort_values(["ordered_at", "order_id"], ignore_index=True)

    @cached_property
    def first_products(self) -> pd.DataFrame:
        """Each order's customer, time and the product of its first line, by time."""
        lines = self._read("order-lines", ["order_id", "line_number", "product_id"])
        first = lines.sort_values(["order_id", "line_number"]).drop_duplicates("order_id")
        return self.orders[["order_id", "customer_id", "ordered_at"]].merge(
            first[["order_id", "product_id"]], on="order_id"
        )

    def product_bought_before(self, customer_id: str, at: datetime) -> str | None:
        """The first product of the customer's last order before ``at``, if any."""
        frame = self.first_products
        bought = frame[(frame["customer_id"] == customer_id) & (frame["ordered_at"] < at)]
        return None if bought.empty else str(bought["product_id"].iloc[-1])

    @cached_property
    def language_by_customer(self) -> dict[str, str]:
        return dict(zip(self.customers["customer_id"], self.customers["language"], strict=True))

    @cached_property
    def email_by_customer(self) -> dict[str, str]:
        return dict(zip(self.customers["customer_id"], self.customers["email"], strict=True))

    @property
    def last_order_at(self) -> datetime:
        """When the demo's last order was placed (its business ends there)."""
        return pd.Timestamp(self.orders["ordered_at"].max()).to_pydatetime()  # type: ignore[no-any-return]

    @cached_property
    def customer_by_order(self) -> dict[str, str]:
        return dict(zip(self.orders["order_id"], self.orders["customer_id"], strict=True))

    def customer_of(self, order_id: str) -> str:
        return str(self.customer_by_order[order_id])

    def pick_customers(self, seed: int, purpose: str, count: int) -> list[str]:
        """``count`` customers drawn for ``purpose``, in a fixed order for the seed."""
        ids = list(self.customers["customer_id"])
        return chance(seed, purpose).sample(ids, min(count, len(ids)))


def scaled(customers: int, *, per: int, low: int, high: int) -> int:
    """One item per ``per`` customers, between ``low`` and ``high``."""
    return max(low, min(high, customers // per))
