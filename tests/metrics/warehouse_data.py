"""Canonical warehouse tables filled from small pandas frames, for the metrics tests."""

from __future__ import annotations

from decimal import Decimal

import ibis
import pandas as pd
import pyarrow as pa
from ibis.backends import BaseBackend

from retain.warehouse import CANONICAL_TABLES


def canonical_arrow(frame: pd.DataFrame, schema: ibis.Schema) -> pa.Table:
    """``frame`` as an Arrow table of exactly the canonical column types."""
    arrow_schema = schema.to_pyarrow()
    columns = []
    for field in arrow_schema:
        values = frame[field.name] if field.name in frame else pd.Series([None] * len(frame))
        if pa.types.is_decimal(field.type):
            values = values.map(lambda v: None if pd.isna(v) else Decimal(str(v)))
        columns.append(pa.array(values.tolist(), type=field.type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=arrow_schema.with_metadata({}))


def fill_canonical_tables(backend: BaseBackend, frames: dict[str, pd.DataFrame]) -> BaseBackend:
    """Every canonical table of ``backend`` replaced by the given frame, or left empty."""
    for name, schema in CANONICAL_TABLES.items():
        frame = frames.get(name, pd.DataFrame(columns=list(schema.names)))
        backend.create_table(name, canonical_arrow(frame, schema), overwrite=True)
    return backend
