"""Identical summary rows collapsed into weighted rows: a fit costs what the distinct rows cost."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

DEFAULT_COLUMNS = ("frequency", "recency", "T")


def compress(
    summary: pd.DataFrame, columns: Sequence[str] = DEFAULT_COLUMNS
) -> tuple[pd.DataFrame, npt.NDArray[np.float64]]:
    """The distinct rows of ``summary[columns]`` and how many customers share each."""
    counted = summary.groupby(list(columns), sort=True, as_index=False).size()
    rows = counted[list(columns)].reset_index(drop=True)
    return rows, counted["size"].to_numpy(dtype=np.float64)


def expand(
    summary: pd.DataFrame, columns: Sequence[str] = DEFAULT_COLUMNS
) -> tuple[pd.DataFrame, npt.NDArray[np.intp]]:
    """The distinct rows of ``summary[columns]`` and, per original row, which distinct row it is."""
    groups = summary.groupby(list(columns), sort=True)
    inverse: npt.NDArray[np.intp] = np.asarray(groups.ngroup(), dtype=np.intp)
    rows = groups.size().reset_index()[list(columns)]
    return rows, inverse
