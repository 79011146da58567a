"""The CDNOW 1/10 sample, read from the shared data folder (see tests.conftest.shared_data_file)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tests.conftest import shared_data_file

CALIBRATION_END = date(1997, 9, 30)  # 39 weeks after 1997-01-01, the end day included


def cdnow_orders() -> pd.DataFrame:
    """The sample's transactions as canonical orders: customer_id, ordered_at, amount."""
    raw = pd.read_csv(
        shared_data_file("cdnow", "CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )


def shipped_summary() -> pd.DataFrame:
    """cdnow_customers_summary.csv: frequency, recency and T in weeks, 39-week calibration."""
    summary = pd.read_csv(shared_data_file("cdnow", "cdnow_customers_summary.csv")).rename(
        columns={"ID": "customer_id"}
    )
    summary.attrs["unit"] = "weeks"
    return summary
