"""The CDNOW 1/10 sample, read from the shared data folder (tests skip with a reason without it)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.conftest import SHARED_DATA

CDNOW = SHARED_DATA / "cdnow"
CALIBRATION_END = date(1997, 9, 30)  # 39 weeks after 1997-01-01, the end day included


def cdnow_orders() -> pd.DataFrame:
    """The sample's transactions as canonical orders: customer_id, ordered_at, amount."""
    path = CDNOW / "CDNOW_sample.txt"
    if not path.exists():
        pytest.skip(f"CDNOW data not found at {path} (the shared data folder is absent)")
    raw = pd.read_csv(
        path,
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
    path = CDNOW / "cdnow_customers_summary.csv"
    if not path.exists():
        pytest.skip(f"CDNOW data not found at {path} (the shared data folder is absent)")
    summary = pd.read_csv(path).rename(columns={"ID": "customer_id"})
    summary.attrs["unit"] = "weeks"
    return summary
