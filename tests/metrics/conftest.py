"""Backends for the shared metrics suite: DuckDB, PostgreSQL and Apache Spark in local mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import ibis
import pandas as pd
import pyarrow as pa
import pytest
from ibis.backends import BaseBackend

from retain.warehouse import CANONICAL_TABLES, connect


def _arrow(frame: pd.DataFrame, schema: ibis.Schema) -> pa.Table:
    """``frame`` as an Arrow table of exactly the canonical column types."""
    arrow_schema = schema.to_pyarrow()
    columns = []
    for field in arrow_schema:
        values = frame[field.name] if field.name in frame else pd.Series([None] * len(frame))
        if pa.types.is_decimal(field.type):
            values = values.map(lambda v: None if pd.isna(v) else Decimal(str(v)))
        columns.append(pa.array(values.tolist(), type=field.type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=arrow_schema.with_metadata({}))


Loader = Callable[[dict[str, pd.DataFrame]], BaseBackend]


@pytest.fixture(scope="session")
def spark_session():  # type: ignore[no-untyped-def]
    """One local Spark for the test process (starting one takes seconds)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("retain-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=["duckdb", "postgres", "spark"])
def load_warehouse(request: pytest.FixtureRequest) -> Iterator[Loader]:
    """A function that puts frames into the canonical tables of a fresh warehouse."""
    session = None
    if request.param == "duckdb":
        backend = connect("duckdb://")
    elif request.param == "postgres":
        database = request.getfixturevalue("postgres_database")
        backend = connect(f"postgresql://postgres@127.0.0.1:5432/{database}")
    else:
        session = request.getfixturevalue("spark_session")
        backend = ibis.pyspark.connect(session)

    def load(frames: dict[str, pd.DataFrame]) -> BaseBackend:
        for name, schema in CANONICAL_TABLES.items():
            frame = frames.get(name, pd.DataFrame(columns=list(schema.names)))
            table = _arrow(frame, schema)
            if session is not None:  # Ibis cannot yet load null decimals into Spark
                session.createDataFrame(table).createOrReplaceTempView(name)
            else:
                backend.create_table(name, table, overwrite=True)
        return backend

    yield load
    if session is not None:  # the session outlives the test: leave it empty
        for name in CANONICAL_TABLES:
            session.catalog.dropTempView(name)
    else:
        backend.disconnect()
