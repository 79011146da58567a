"""The logistic-regression churn model, kept instead of the trees when it backtests better.

On small or nearly linear data a regularised logistic regression can rank churners better than
boosted trees; then it is the model worth keeping. Its reasons are the exact Shapley values of a
linear model with independent inputs: coefficient × (value − training mean) per transformed
input, summed back to the column it came from (a one-hot column's levels add up), in log-odds
as the trees' tree SHAP values are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retain.churn.model import FloatArray, fit_baseline, predict_baseline

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


@dataclass
class LinearChurnModel:
    """A fitted logistic pipeline, its inputs' training means and the columns it expects."""

    pipeline: Pipeline
    numeric: list[str]
    categorical: dict[str, list[str]]
    transformed_means: FloatArray
    horizon_days: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Every input column, in the order the reasons report them."""
        return [*self.numeric, *self.categorical]

    def predict(self, frame: pd.DataFrame) -> FloatArray:
        """Probability of churn per row."""
        return predict_baseline(
            self.pipeline, frame, numeric=self.numeric, categorical=list(self.categorical)
        )

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each input column's share of the row's log-odds away from the average customer."""
        prepare, logistic = self.pipeline[0], self.pipeline[-1]
        transformed = _dense(prepare.transform(_inputs(frame, self)))
        terms = (transformed - self.transformed_means) * logistic.coef_[0]
        owners = _owning_columns(prepare, self.columns)
        by_column = pd.DataFrame(terms, index=frame.index).T.groupby(owners).sum().T
        return by_column.reindex(columns=self.columns, fill_value=0.0)


def fit_linear_churn_model(
    *, frame: pd.DataFrame, label: Any, numeric: list[str], categorical: list[str]
) -> LinearChurnModel:
    """Fit the logistic pipeline and remember the training means its reasons are measured from."""
    pipeline = fit_baseline(frame=frame, label=label, numeric=numeric, categorical=categorical)
    levels = {
        name: sorted(frame[name].dropna().astype("string").unique().tolist())
        for name in categorical
    }
    model = LinearChurnModel(pipeline, list(numeric), levels, np.zeros(0))
    model.transformed_means = _dense(pipeline[0].transform(_inputs(frame, model))).mean(axis=0)
    return model


def _inputs(frame: pd.DataFrame, model: LinearChurnModel) -> pd.DataFrame:
    inputs = frame[model.columns].copy()
    for name in model.categorical:
        inputs[name] = inputs[name].astype("object").where(inputs[name].notna(), None)
    return inputs


def _dense(matrix: Any) -> FloatArray:
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=float)


def _owning_columns(prepare: Any, columns: list[str]) -> list[str]:
    """The input column behind each transformed output, longest name first so prefixes agree."""
    by_length = sorted(columns, key=len, reverse=True)
    owners = []
    for name in prepare.get_feature_names_out():
        _, _, output = str(name).partition("__")
        owners.append(next(column for column in by_length if output.startswith(column)))
    return owners
