"""Polychoric and tetrachoric correlations: the two-step estimator of psych::polychoric / psych::tetrachoric.

Step 1: each item's thresholds are the normal quantiles of its cumulative category proportions (all answers to
that item: "global" thresholds). Step 2: for every pair of items, the correlation maximises the multinomial
likelihood of the pairwise-complete contingency table under a discretised bivariate normal (Olsson 1979), with
the thresholds fixed. All pairs are estimated at once: the cell probabilities come from a vectorised
bivariate-normal CDF (:mod:`psychometrics.factor._bvn`) and the likelihood equation in rho is solved by bisection on
its derivative for every pair simultaneously.

As psych 2.2.9: when items differ in their highest category, thresholds are taken pairwise from each table's
margins (psych sets ``global = FALSE``), empty rows and columns are dropped and, with ``correct > 0``, empty
cells get ``correct`` counts; a matrix that is not positive definite is smoothed (``cor.smooth``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import ndtr, ndtri

from .._blas import cross_product, small_matrices
from ._bvn import bvn_cdf, bvn_density
from .._typing import ItemData
from .._checks import as_item_frame, check_nonnegative
from ._matrices import smooth_correlation
from .._results import Result
from ..errors import DataError

__all__ = ["PolychoricResult", "polychoric", "tetrachoric"]

_MAX_CATEGORIES = 8  # psych's max.cat
_RHO_LIMIT = 1 - 1e-9
_MAX_STEPS = 100


@dataclasses.dataclass(frozen=True, repr=False)
class PolychoricResult(Result):
    """``correlation`` (items x items), ``thresholds`` (items x category boundaries), ``n_obs`` (rows)."""

    correlation: pd.DataFrame
    thresholds: pd.DataFrame
    n_obs: int

    def to_frame(self) -> pd.DataFrame:
        return self.correlation.copy()


def _integer_codes(frame: pd.DataFrame) -> None:
    values = frame.to_numpy()
    bad = ~np.isnan(values) & (values != np.round(values))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(
            f"polychoric correlations need whole-number categories; column {frame.columns[j]!r}, row "
            f"{frame.index[i]!r} has {values[i, j]!r}. Recode the answers as integers."
        )


_TABLE_ROWS = 2**14  # rows one-hot coded at once (16,384 x 100 items x 8 categories: 52 MB of float32)


def _pair_tables(codes: np.ndarray, n_categories: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pairwise-complete contingency tables of the item pairs (first, second): (pairs, K, K) counts.

    Every table at once from one cross-product: with D the respondents x (items K) one-hot coding of the answers
    (a missing answer codes as all zeros), D'D holds in block (j, l) the K x K table of items j and l over the
    respondents answering both. Rows are coded in blocks of _TABLE_ROWS (memory O(p K) per row, never
    respondents x pairs) and float32 counts are exact below 2^24 per block.
    """
    n_obs, p = codes.shape
    k = n_categories
    counts = np.zeros((p * k, p * k))
    for start in range(0, n_obs, _TABLE_ROWS):
        block = codes[start : start + _TABLE_ROWS]
        one_hot = (block[:, :, None] == np.arange(k)).reshape(len(block), p * k).astype(np.float32)
        counts += cross_product(one_hot)
    return counts.reshape(p, k, p, k)[first, :, second, :]


def _thresholds_from_margins(margins: np.ndarray) -> np.ndarray:
    """Normal quantiles of cumulative proportions, +inf from the last non-empty category on: (..., K - 1)."""
    cumulative = np.cumsum(margins, axis=-1)[..., :-1]
    n_categories = margins.shape[-1]
    last = n_categories - 1 - np.argmax((margins > 0)[..., ::-1], axis=-1)
    with np.errstate(invalid="ignore"):
        thresholds = ndtri(np.clip(cumulative, 0.0, 1.0))
    return np.where(np.arange(n_categories - 1) >= last[..., None], np.inf, thresholds)


def _pad(thresholds: np.ndarray) -> np.ndarray:
    infinite = np.full(thresholds.shape[:-1] + (1,), np.inf)
    return np.concatenate([-infinite, thresholds, infinite], axis=-1)


def _cells(grid: np.ndarray) -> np.ndarray:
    """Rectangle probabilities from a grid of CDF (or density) values at the threshold corners."""
    return grid[:, 1:, 1:] - grid[:, :-1, 1:] - grid[:, 1:, :-1] + grid[:, :-1, :-1]


def _corner_grid(
    function: Callable[..., np.ndarray], row_cuts: np.ndarray, col_cuts: np.ndarray, rho: np.ndarray
) -> np.ndarray:
    """``function`` (CDF or density) at every threshold corner; only finite corners need the bivariate formula."""
    inner = function(row_cuts[:, 1:-1, None], col_cuts[:, None, 1:-1], rho[:, None, None])
    grid = np.zeros((len(rho), row_cuts.shape[1], col_cuts.shape[1]))
    grid[:, 1:-1, 1:-1] = inner
    if function is bvn_cdf:  # P(X <= h, Y <= +inf) = Phi(h) on the last row and column
        grid[:, 1:-1, -1] = ndtr(row_cuts[:, 1:-1])
        grid[:, -1, 1:-1] = ndtr(col_cuts[:, 1:-1])
        grid[:, -1, -1] = 1.0
    return grid


def _likelihood_slope(rho: np.ndarray, tables: np.ndarray, row_cuts: np.ndarray, col_cuts: np.ndarray) -> np.ndarray:
    """d/d rho of sum n_ij log P_ij for every pair (cells with P <= 0 ignored, as psych's polyF)."""
    probabilities = _cells(_corner_grid(bvn_cdf, row_cuts, col_cuts, rho))
    derivative = _cells(_corner_grid(bvn_density, row_cuts, col_cuts, rho))
    usable = (tables > 0) & (probabilities > 0)
    ratio = np.divide(tables * derivative, probabilities, out=np.zeros_like(probabilities), where=usable)
    return ratio.sum(axis=(1, 2))


def _estimate_rho(tables: np.ndarray, row_thresholds: np.ndarray, col_thresholds: np.ndarray) -> np.ndarray:
    """Maximum-likelihood rho of each pair with fixed thresholds: the root of the score, bracketed in (-1, 1)
    and found for all pairs at once by regula falsi with the Illinois modification (bisection when the
    secant point is unusable). A pair stops once its score or bracket is below 1e-12; later steps evaluate
    the score of the other pairs only."""
    row_cuts, col_cuts = _pad(row_thresholds), _pad(col_thresholds)
    n_pairs = len(tables)
    lower, upper = np.full(n_pairs, -_RHO_LIMIT), np.full(n_pairs, _RHO_LIMIT)
    f_lower, f_upper = np.full(n_pairs, np.inf), np.full(n_pairs, -np.inf)
    side, guess = np.zeros(n_pairs), np.zeros(n_pairs)
    active = np.arange(n_pairs)
    for _ in range(_MAX_STEPS):
        lo, up, f_lo, f_up = lower[active], upper[active], f_lower[active], f_upper[active]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            secant = (lo * f_up - up * f_lo) / (f_up - f_lo)
        usable = np.isfinite(secant) & (secant > lo) & (secant < up)
        step = np.where(usable, secant, (lo + up) / 2)
        value = _likelihood_slope(step, tables[active], row_cuts[active], col_cuts[active])
        rising, last = value > 0, side[active]
        # Illinois: halve the score kept at an end point that survives twice in a row
        f_up = np.where(rising & (last == 1), f_up / 2, f_up)
        f_lo = np.where(~rising & (last == -1), f_lo / 2, f_lo)
        guess[active] = step
        lower[active], f_lower[active] = np.where(rising, step, lo), np.where(rising, value, f_lo)
        upper[active], f_upper[active] = np.where(rising, up, step), np.where(rising, f_up, value)
        side[active] = np.where(rising, 1, -1)
        active = active[~((upper[active] - lower[active] < 1e-12) | (np.abs(value) < 1e-12))]
        if not len(active):
            break
    return guess


def _pairwise_thresholds(tables: np.ndarray, correct: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """psych's non-global case: tables as proportions, empty cells of non-empty rows/columns set to correct/n,
    thresholds from the (corrected, not renormalised) margins."""
    totals = tables.sum(axis=(1, 2))[:, None, None]
    proportions = tables / np.where(totals > 0, totals, 1)
    live = (tables.sum(axis=2) > 0)[:, :, None] & (tables.sum(axis=1) > 0)[:, None, :]
    if correct > 0:
        proportions = np.where(live & (tables == 0), correct / totals, proportions)
    return (
        proportions,
        _thresholds_from_margins(proportions.sum(axis=2)),
        _thresholds_from_margins(proportions.sum(axis=1)),
    )


def _two_step(
    frame: pd.DataFrame,
    codes: np.ndarray,
    n_categories: int,
    global_thresholds: bool,
    correct: float,
    correct_counts: bool,
) -> PolychoricResult:
    """Shared estimator of polychoric() and tetrachoric(); ``codes`` are 0-based categories (NaN = missing)."""
    p = codes.shape[1]
    frequencies = np.stack([np.bincount(c[~np.isnan(c)].astype(int), minlength=n_categories) for c in codes.T])
    thresholds = _thresholds_from_margins(frequencies / frequencies.sum(axis=1, keepdims=True))
    first, second = np.triu_indices(p, 1)
    tables = _pair_tables(codes, n_categories, first, second)
    if tables.sum(axis=(1, 2)).min() == 0:
        k = int(np.argmin(tables.sum(axis=(1, 2))))
        raise DataError(
            f"items {frame.columns[first[k]]!r} and {frame.columns[second[k]]!r} are never answered "
            "together; their correlation cannot be estimated."
        )
    if global_thresholds:
        if correct_counts and correct > 0:
            tables = np.where(tables == 0, correct, tables)
        rho = _estimate_rho(tables, thresholds[first], thresholds[second])
    else:
        proportions, row_cuts, col_cuts = _pairwise_thresholds(tables, correct)
        rho = _estimate_rho(proportions, row_cuts, col_cuts)
    matrix = np.eye(p)
    matrix[first, second] = matrix[second, first] = rho
    matrix = smooth_correlation(matrix)
    labels = frame.columns
    return PolychoricResult(
        pd.DataFrame(matrix, index=labels, columns=labels),
        pd.DataFrame(thresholds, index=labels, columns=[f"t{i + 1}" for i in range(n_categories - 1)]),
        len(frame),
    )


@small_matrices
def polychoric(data: ItemData, correct: float = 0) -> PolychoricResult:
    """Polychoric correlations of ordinal items, as ``psych::polychoric(x, correct = correct)`` (psych 2.2.9).

    Parameters
    ----------
    data : DataFrame
        Respondents x items with whole-number categories (at most 8); missing answers are pairwise deleted.
    correct : float
        Continuity correction for empty cells, used (as in psych) only when the items differ in their highest
        category, i.e. when thresholds are taken pairwise. psych's default is 0.5; 0 leaves the table alone.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient. Psychometrika, 44, 443-460.

    Examples
    --------
    >>> import psychometrics as pm
    >>> res = pm.polychoric(pm.datasets.load("bfi")[["A1", "A2", "A3"]])
    >>> round(float(res.correlation.loc["A2", "A3"]), 4)
    0.5555
    """
    correct = check_nonnegative(correct, name="correct")
    frame = as_item_frame(data)
    _integer_codes(frame)
    return polychoric_of_checked(frame, correct)


def polychoric_of_checked(frame: pd.DataFrame, correct: float) -> PolychoricResult:
    """:func:`polychoric` of a frame that passed its checks (float items with whole-number categories), e.g. a
    resample of such a frame's rows (see ``_factor_input.resampled_correlation``)."""
    values = frame.to_numpy()
    codes = values - np.nanmin(values)
    n_categories = int(np.nanmax(codes)) + 1
    if n_categories > _MAX_CATEGORIES:
        raise DataError(
            f"the items span {n_categories} categories; polychoric correlations are meant for at most "
            f"{_MAX_CATEGORIES} (use Pearson correlations)."
        )
    item_max = np.nanmax(codes, axis=0)
    return _two_step(frame, codes, n_categories, bool(item_max.min() == item_max.max()), correct, False)


@small_matrices
def tetrachoric(data: ItemData, correct: float = 0) -> PolychoricResult:
    """Tetrachoric correlations of dichotomous items, as ``psych::tetrachoric(x, correct = correct)``.

    Each item's two values are coded 0/1 from its own minimum; thresholds are global (-qnorm of the item's
    mean). psych's default ``correct = 0.5`` replaces an empty cell of a 2 x 2 table by 0.5 counts.

    Parameters
    ----------
    data : DataFrame
        Respondents x dichotomous items.
    correct : float
        Count added to an empty cell of a 2 x 2 table (psych's ``correct``; 0 leaves empty cells).

    Returns
    -------
    PolychoricResult
        ``correlation`` (items x items), ``thresholds`` and ``n_obs``.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient. Psychometrika, 44, 443-460.

    Examples
    --------
    >>> import psychometrics as pm
    >>> res = pm.tetrachoric(pm.datasets.load("lsat6"))
    >>> round(float(res.correlation.loc["Q1", "Q2"]), 4)
    0.1703
    """
    correct = check_nonnegative(correct, name="correct")
    frame = as_item_frame(data)
    codes = frame.to_numpy() - np.nanmin(frame.to_numpy(), axis=0)
    wrong = [c for c, top in zip(frame.columns, np.nanmax(codes, axis=0)) if top != 1]
    if wrong or (~np.isnan(codes) & (codes != 0) & (codes != 1)).any():
        raise DataError(
            f"tetrachoric correlations need dichotomous items; {wrong or 'some items'} have other "
            "values. Use polychoric() for ordinal items."
        )
    return _two_step(frame, codes, 2, True, correct, True)


def _table_rho(table: npt.ArrayLike) -> tuple[float, np.ndarray, np.ndarray]:
    """rho, row and column thresholds of one contingency table (counts or proportions), thresholds taken from
    its margins (psych's ``polychoric`` of a table, ``correct = 0``)."""
    counts = np.asarray(table, dtype=float)[None]
    proportions, row_cuts, col_cuts = _pairwise_thresholds(counts, 0.0)
    return float(_estimate_rho(proportions, row_cuts, col_cuts)[0]), row_cuts[0], col_cuts[0]
