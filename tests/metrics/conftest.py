"""Backends for the shared metrics suite: DuckDB, PostgreSQL and Apache Spark in local mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd
import pytest
from ibis.backends import BaseBackend

from retain.warehouse import CANONICAL_TABLES, connect
from tests.metrics.warehouse_data import canonical_arrow, fill_canonical_tables

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
        backend = connect("spark://local[2]", create_tables=False)  # joins the running session

    def load(frames: dict[str, pd.DataFrame]) -> BaseBackend:
        if session is None:
            return fill_canonical_tables(backend, frames)
        for name, schema in CANONICAL_TABLES.items():  # Ibis cannot yet load null decimals
            frame = frames.get(name, pd.DataFrame(columns=list(schema.names)))
            session.createDataFrame(canonical_arrow(frame, schema)).createOrReplaceTempView(name)
        return backend

    yield load
    if session is not None:  # the session outlives the test: leave it empty
        for name in CANONICAL_TABLES:
            session.catalog.dropTempView(name)
    else:
        backend.disconnect()
