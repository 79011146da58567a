"""Bring your own table: read a labelled customer table, type its columns, check it up front."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from retain.churn.model import ChurnInputError

POSITIVE = frozenset({"1", "1.0", "yes", "y", "true", "t", "churned", "churn", "lost", "left"})
NEGATIVE = frozenset({"0", "0.0", "no", "n", "false", "f", "retained", "active", "stayed", "kept"})
# A text column is a number column when this share of its filled cells read as numbers.
NUMERIC_SHARE = 0.95
# Text columns with more distinct values than this share of rows are names or ids, not categories.
MAX_CATEGORY_SHARE = 0.5
BLANKS = ("", "na", "n/a", "nan", "null", "none", "-")


@dataclass(frozen=True)
class PreparedTable:
    """A table's inputs typed for the model, its ids and (when labelled) its 0/1 label."""

    frame: pd.DataFrame
    ids: pd.Series
    numeric: list[str]
    categorical: list[str]
    label: pd.Series | None


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as text-or-number columns, blank cells as missing."""
    if not path.is_file():
        raise ChurnInputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in {".csv", ".txt", ".tsv"}:
        separator = "\t" if suffix == ".tsv" else None
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            sep=separator,
            engine="python",
            encoding="utf-8-sig",
        )
    raise ChurnInputError(f"{path}: expected a .csv or .parquet file, not {suffix or 'no suffix'}")


def _blank_to_missing(column: pd.Series) -> pd.Series:
    if column.dtype != object and not pd.api.types.is_string_dtype(column):
        return column
    text = column.astype("string").str.strip()
    return text.mask(text.str.lower().isin(BLANKS))


def _as_number(column: pd.Series) -> pd.Series | None:
    """The column as floats when nearly all filled cells are numbers ("1,234", "12%", " 3 ")."""
    if pd.api.types.is_bool_dtype(column):
        return column.astype("float64")
    if pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    filled = column.dropna()
    if filled.empty:
        return None
    numbers = _to_number(column)
    if numbers[filled.index].notna().mean() < NUMERIC_SHARE:
        return None
    return numbers


def _as_label(column: pd.Series, *, path: Path, name: str) -> pd.Series:
    """The label as 0/1 (missing where blank), from yes/no, true/false, 1/0 or churned/active."""
    text = _blank_to_missing(column.astype("string")).str.lower()
    unknown = sorted(set(text.dropna()) - POSITIVE - NEGATIVE)
    if unknown:
        shown = ", ".join(repr(value) for value in unknown[:5])
        raise ChurnInputError(
            f"{path}: label column {name!r} has values that are neither yes nor no: {shown}"
        )
    label = text.map(lambda value: pd.NA if value is pd.NA else int(value in POSITIVE))
    classes = sorted(set(label.dropna()))
    if len(classes) < 2:
        seen = "no values" if not classes else f"only {'churners' if classes[0] else 'stayers'}"
        raise ChurnInputError(
            f"{path}: label column {name!r} has {seen}; a model needs both churners and stayers"
        )
    return label.astype("Int64")


def _check_ids(frame: pd.DataFrame, *, path: Path, id_column: str | None) -> pd.Series:
    if id_column is None:
        return pd.Series(np.arange(1, len(frame) + 1).astype(str), index=frame.index, name="row")
    ids = frame[id_column].astype("string").str.strip()
    repeated = ids[ids.duplicated(keep=False) & ids.notna()]
    if not repeated.empty:
        counts = repeated.value_counts()
        shown = ", ".join(f"{value!r} ({count} times)" for value, count in counts.head(3).items())
        raise ChurnInputError(
            f"{path}: id column {id_column!r} repeats: {shown}; each customer needs one row"
        )
    if ids.isna().any():
        raise ChurnInputError(f"{path}: id column {id_column!r} has blank cells")
    return ids


def _require_column(frame: pd.DataFrame, *, path: Path, name: str, role: str) -> None:
    if name not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:20]))
        raise ChurnInputError(f"{path}: no {role} column {name!r}; the columns are: {shown}")


def prepare_table(
    frame: pd.DataFrame,
    *,
    path: Path,
    label_column: str | None,
    id_column: str | None,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
) -> PreparedTable:
    """Typed inputs, ids and label; ``numeric``/``categorical`` fix the columns to a model's."""
    if label_column is not None:
        _require_column(frame, path=path, name=label_column, role="label")
    if id_column is not None:
        _require_column(frame, path=path, name=id_column, role="id")
    ids = _check_ids(frame, path=path, id_column=id_column)
    label = (
        _as_label(frame[label_column], path=path, name=label_column)
        if label_column is not None
        else None
    )
    inputs = [str(name) for name in frame.columns if name not in {label_column, id_column}]
    if numeric is None or categorical is None:
        numeric, categorical = _infer_types(frame, inputs)
    missing = [name for name in [*numeric, *categorical] if name not in frame.columns]
    if missing:
        raise ChurnInputError(f"{path}: missing columns the model needs: {', '.join(missing)}")
    typed = {name: _to_number(_blank_to_missing(frame[name])) for name in numeric}
    typed.update({name: _blank_to_missing(frame[name]).astype("string") for name in categorical})
    if not typed:
        raise ChurnInputError(f"{path}: no usable input columns besides the label and id")
    return PreparedTable(
        frame=pd.DataFrame(typed, index=frame.index),
        ids=ids,
        numeric=numeric,
        categorical=categorical,
        label=label,
    )


def _infer_types(frame: pd.DataFrame, inputs: list[str]) -> tuple[list[str], list[str]]:
    """Which input columns are numbers and which are categories (the rest are ignored)."""
    numeric, categorical = [], []
    for name in inputs:
        column = _blank_to_missing(frame[name])
        if _as_number(column) is not None:
            numeric.append(name)
        elif _is_category(column):
            categorical.append(name)
    return numeric, categorical


def _to_number(column: pd.Series) -> pd.Series:
    """Floats, with cells that do not read as numbers missing."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column.astype("float64")
    cleaned = column.astype("string").str.replace(r"[,\s$€£¥%]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce").astype("float64")


def _is_category(column: pd.Series) -> bool:
    """Few distinct values: a category worth learning from, rather than a name or free text."""
    filled = column.dropna()
    return not filled.empty and filled.nunique() <= max(2, MAX_CATEGORY_SHARE * len(filled))
