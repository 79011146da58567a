"""A demo business whose true churners and usage cuts are known, as canonical frames."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from ibis.backends import BaseBackend

from retain.currency.money import Money
from retain.ingest.demo import generate_demo
from retain.ingest.kinds import KINDS
from retain.warehouse import connect
from tests.metrics.warehouse_data import fill_canonical_tables

AS_OF = datetime(2026, 10, 1)
MONEY = Money(rates={"CNY": Decimal(1) / Decimal(7)})


def demo_frames(folder: Path, *, customers: int, seed: int) -> dict[str, pd.DataFrame]:
    """A generated business as canonical frames, plus its ground truth under ``truth``."""
    demo = generate_demo(out_dir=folder, customers=customers, seed=seed, as_of=AS_OF)
    frames = {}
    for kind_name, path in demo.files.items():
        kind = KINDS[kind_name]
        frame = pd.read_parquet(path)
        frames[kind.table] = frame[[c for c in kind.warehouse_columns if c in frame]]
    frames["truth"] = pd.read_parquet(demo.truth_path)
    return frames


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """3,000 customers over two years up to 2026-10-01."""
    return demo_frames(tmp_path_factory.mktemp("churn-demo"), customers=3000, seed=2)


@pytest.fixture(scope="session")
def demo_duckdb(demo: dict[str, pd.DataFrame]) -> BaseBackend:
    """The demo in an in-memory DuckDB warehouse."""
    return fill_canonical_tables(connect("duckdb://"), demo)
