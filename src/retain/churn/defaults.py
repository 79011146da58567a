"""Churn defaults that ``retain churn --help`` shows: plain constants, no heavy imports."""

from __future__ import annotations

DEFAULT_HORIZON_DAYS = 30
