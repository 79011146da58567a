"""The warehouse: the only module that knows how to connect, create tables and load data."""

from retain.warehouse.connection import backend_name, connect, on_warehouse, row_counts
from retain.warehouse.schema import CANONICAL_TABLES

__all__ = ["CANONICAL_TABLES", "backend_name", "connect", "on_warehouse", "row_counts"]
