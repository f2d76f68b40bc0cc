"""Turn the ``data_or_corr`` argument of the factor-structure functions into a checked correlation matrix.

Shared by suitability, retention, efa and omega. Raw data give pairwise-complete Pearson (or polychoric)
correlations as R's ``cor(x, use = "pairwise")``; a square matrix with a unit diagonal is taken as a correlation
matrix and then needs ``n_obs`` for test statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import (
    _check_items_vary,
    as_correlation_matrix,
    as_item_frame,
    check_choice,
    check_n_obs,
    looks_like_correlation_matrix,
)
from .._typing import DataOrCorr
from ..errors import DataError
from .polychoric import polychoric, polychoric_of_checked

CORRELATIONS = ("pearson", "polychoric")


@dataclass(frozen=True)
class CorrelationInput:
    """A checked correlation matrix with its sample size (None when unknown) and the raw items, if given."""

    corr: pd.DataFrame
    n_obs: int | None
    data: pd.DataFrame | None
    pair_counts: np.ndarray | None


def pairwise_counts(frame: pd.DataFrame) -> np.ndarray:
    """Number of respondents answering both items of each pair (psych::pairwiseCount)."""
    observed = frame.notna().to_numpy(dtype=np.int64)  # integer product: exact, and no BLAS threads
    return (observed.T @ observed).astype(float)


def correlation_input(
    data_or_corr: DataOrCorr,
    n_obs: int | None = None,
    *,
    cor: str = "pearson",
    require_pd: bool = True,
    what: str = "the analysis",
    drop_empty_rows: bool = False,
    correct: float = 0,
) -> CorrelationInput:
    """Check ``data_or_corr`` and return its correlation matrix (see the module docstring).

    ``drop_empty_rows`` leaves out respondents who answered no item (else a DataError); ``correct`` is the
    continuity correction of the polychoric correlations (psych::polychoric's ``correct``).
    """
    check_choice(cor, CORRELATIONS, name="cor")
    if looks_like_correlation_matrix(data_or_corr):
        corr = as_correlation_matrix(data_or_corr, require_pd=require_pd)
        n = None if n_obs is None else check_n_obs(n_obs, what=what)
        return CorrelationInput(corr, n, None, None)
    frame = as_item_frame(data_or_corr, drop_empty_rows=drop_empty_rows)
    if cor == "polychoric":
        corr = polychoric(frame, correct=correct).correlation
    else:
        corr = frame.corr(method="pearson", min_periods=2)
    _check_defined(corr)
    corr = as_correlation_matrix(corr, require_pd=require_pd)
    return CorrelationInput(corr, len(frame), frame, pairwise_counts(frame))


def _check_defined(corr: pd.DataFrame) -> None:
    if corr.isna().to_numpy().any():
        i, j = np.argwhere(corr.isna().to_numpy())[0]
        raise DataError(
            f"items {corr.index[i]!r} and {corr.columns[j]!r} are never answered together, so their correlation "
            "is undefined; drop one of them."
        )


def resampled_correlation(frame: pd.DataFrame, cor: str, correct: float = 0) -> np.ndarray:
    """The correlations of a resample of the rows of ``CorrelationInput.data`` (checked, no empty rows), as
    :func:`correlation_input` would give them, repeating only the checks a resample can fail: an item constant in
    the resample and a pair never answered together (DataError)."""
    _check_items_vary(frame.to_numpy(), frame.columns, "data")
    if cor == "polychoric":
        corr = polychoric_of_checked(frame, correct).correlation
    else:
        corr = frame.corr(method="pearson", min_periods=2)
    _check_defined(corr)
    return corr.to_numpy()
