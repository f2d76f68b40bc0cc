"""Sample statistics of ordinal items for DWLS/WLSMV: thresholds, polychoric correlations and their asymptotic
covariance matrix (NACOV), as lavaan 0.6-14 computes them (lav_samplestats_step1/step2, muthen1984).

Step 1: each item's thresholds maximise its univariate probit likelihood, i.e. the normal quantiles of its
cumulative category proportions. Step 2: each pair's polychoric correlation maximises the bivariate likelihood of
its contingency table with the thresholds held fixed (Olsson 1979; lavaan's zero.add = c(0.5, 0): a 2 x 2 table
with one empty cell is corrected, larger tables are not). NACOV (Muthen 1984): the estimates solve the stacked
estimating equations ``sum_i s_i = 0`` (univariate threshold scores, bivariate correlation scores), so
``Gamma = N B^-1 (sum_i s_i s_i') B^-T`` with the block lower-triangular Jacobian ``B`` estimated from outer
products of the scores (A11: the items' threshold blocks; A21: correlation scores times the bivariate threshold
scores; A22: the correlation scores' sums of squares). All per-case scores are arrays (cases x statistics).

Written here because no Python library computes these (semopy has no WLSMV; psychometrics.polychoric is psych's
estimator, whose pieces are reused). Moments are ordered as lavaan's WLS.obs: the thresholds item by item, then the correlations below the diagonal,
column by column.

Pairwise-present data (lavaan's missing = "pairwise"): a missing answer is coded -1. Each item's thresholds come
from the cases answering it, each correlation from the cases answering both items, and a case's score for a
statistic it does not enter is zero (lavaan's crossproducts with na.rm), so INNER, A11, A21 and A22 sum over the
cases that answered; N in ``Gamma = N B^-1 INNER B^-T`` stays the number of cases of the group.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.special import ndtr, ndtri

from ...factor._bvn import bvn_cdf, bvn_density
from ...errors import DataError
from ...factor.polychoric import _cells, _corner_grid, _estimate_rho, _pair_tables

_SQRT_2PI = np.sqrt(2 * np.pi)


def _phi(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(np.isfinite(x), np.exp(-0.5 * np.square(np.where(np.isfinite(x), x, 0.0))) / _SQRT_2PI, 0.0)


def pair_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the correlations below the diagonal, column by column (lav_matrix_vech, diagonal=FALSE)."""
    cols, rows = np.triu_indices(p, 1)
    return rows, cols


@dataclasses.dataclass(frozen=True)
class CategoricalStats:
    """One group's ordinal statistics: ``thresholds`` (item by item; ``threshold_item`` names the item of each),
    ``correlation`` (polychoric), ``nacov`` (asymptotic covariance of sqrt(N) times the moments), ``n_obs``; the
    cases' ``codes`` (0-based categories, -1 missing), each item's category values ``levels`` and whether the fit
    keeps cases with missing answers (``pairwise``), for factor scores."""

    thresholds: np.ndarray
    threshold_item: np.ndarray
    correlation: np.ndarray
    nacov: np.ndarray
    n_obs: int
    codes: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)
    levels: tuple | None = dataclasses.field(default=None, compare=False, repr=False)
    pairwise: bool = False

    @property
    def moments(self) -> np.ndarray:
        rows, cols = pair_indices(len(self.correlation))
        return np.concatenate([self.thresholds, self.correlation[rows, cols]])

    @property
    def cov(self) -> np.ndarray:
        """The polychoric correlations (lavaan's sampstat "cov" for ordinal items)."""
        return self.correlation


def _univariate(codes: np.ndarray, n_levels: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Padded thresholds (items x (K_max + 1), -inf first, +inf from each item's last category on) and the per-case
    threshold scores d log p_c / d tau (cases x thresholds): phi(tau_c) / p_c for the upper threshold of the
    case's category c, -phi(tau_{c-1}) / p_c for the lower one; zero where the item is missing (code -1)."""
    k_max = max(n_levels)
    padded = np.full((codes.shape[1], k_max + 1), np.inf)
    padded[:, 0] = -np.inf
    scores = []
    for j, k in enumerate(n_levels):
        answered = codes[:, j] >= 0
        counts = np.bincount(codes[answered, j], minlength=k)
        prob = counts / answered.sum()  # proportions among the cases answering the item
        tau = ndtri(np.cumsum(prob)[:-1])
        padded[j, 1:k] = tau
        dens = _phi(tau)
        by_category = np.zeros((k + 1, k - 1))  # the last row: a missing answer (index -1) scores zero
        by_category[np.arange(k - 1), np.arange(k - 1)] = dens / prob[:-1]
        by_category[np.arange(1, k), np.arange(k - 1)] -= dens / prob[1:]
        scores.append(by_category[codes[:, j]])
    return padded, np.hstack(scores)


def _threshold_slopes(own: np.ndarray, other: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """D[pair, m, l] = d/d own_m of P(own <= own_m, other in category l) = phi(own_m) [Phi((other_{l+1} - rho
    own_m)/s) - Phi((other_l - rho own_m)/s)], s = sqrt(1 - rho^2), for the padded thresholds m."""
    s = np.sqrt(1 - rho**2)[:, None, None]
    finite_own = np.where(np.isfinite(own), own, 0.0)  # infinite own thresholds get phi = 0 below
    cdf = ndtr((other[:, None, :] - rho[:, None, None] * finite_own[:, :, None]) / s)
    return _phi(own)[:, :, None] * np.diff(cdf, axis=2)


def _bivariate(codes, padded, first, second, rho, tables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-case correlation scores (cases x pairs) and A21 blocks (pairs x K_max - 1) for each pair's two items."""
    row_cuts, col_cuts = padded[first], padded[second]
    prob = _cells(_corner_grid(bvn_cdf, row_cuts, col_cuts, rho))
    dprob = _cells(_corner_grid(bvn_density, row_cuts, col_cuts, rho))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(prob > 0, dprob / prob, 0.0)
    pairs = np.arange(len(first))
    both = (codes[:, first] >= 0) & (codes[:, second] >= 0)
    score = np.where(both, ratio[pairs[None, :], codes[:, first], codes[:, second]], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(tables > 0, tables * ratio / prob, 0.0)  # sum over cases of score_rho / P, by cell
    # A21 for threshold t of the row item: sum_l (w[t, l] - w[t + 1, l]) D[t + 1, l]; likewise for the column item
    d_row = _threshold_slopes(row_cuts, col_cuts, rho)[:, 1:-1, :]
    d_col = _threshold_slopes(col_cuts, row_cuts, rho)[:, 1:-1, :]
    a21_row = np.einsum("ptl,ptl->pt", w[:, :-1, :] - w[:, 1:, :], d_row)
    a21_col = np.einsum("pkt,ptk->pt", w[:, :, :-1] - w[:, :, 1:], d_col)
    return score, a21_row, a21_col


def _corrected_two_by_two(tables: np.ndarray, n_levels, rows, cols, names) -> np.ndarray:
    """lavaan's zero.add = c(0.5, 0) with zero.keep.margins: in a 2 x 2 table with one empty cell, 0.5 is added
    to that cell and its diagonal partner and taken from the other two (for the correlation estimate only;
    larger tables are left alone). Two empty cells (a perfect association) are an error here."""
    binary = (np.asarray(n_levels)[rows] == 2) & (np.asarray(n_levels)[cols] == 2)
    empty = (tables[:, :2, :2] == 0).sum(axis=(1, 2))
    for k in np.flatnonzero(binary & (empty == 2)):
        raise DataError(
            f"binary items {names[cols[k]]!r} and {names[rows[k]]!r} have two empty cells in their "
            "2 x 2 table (a perfect association); their correlation cannot be estimated. Drop one."
        )
    tables = tables.copy()
    for k in np.flatnonzero(binary & (empty == 1)):
        sign = 1.0 if tables[k, 0, 0] == 0 or tables[k, 1, 1] == 0 else -1.0
        tables[k, :2, :2] += sign * np.array([[0.5, -0.5], [-0.5, 0.5]])
    return tables


def categorical_stats(codes: np.ndarray, n_levels: list[int], names) -> CategoricalStats:
    """Thresholds, polychoric correlations and NACOV of ordinal data ``codes`` (0-based categories, -1 where
    missing) of the items ``names``."""
    n, p = codes.shape
    padded, sc_th = _univariate(codes, n_levels)
    th_item = np.repeat(np.arange(p), np.asarray(n_levels) - 1)
    th_start = np.concatenate([[0], np.cumsum(np.asarray(n_levels) - 1)])
    rows, cols = pair_indices(p)
    tables = _pair_tables(np.where(codes >= 0, codes, np.nan), padded.shape[1] - 1, rows, cols)
    corrected = _corrected_two_by_two(tables, n_levels, rows, cols, names)
    rho = _estimate_rho(corrected, padded[rows, 1:-1], padded[cols, 1:-1])
    sc_cor, a21_row, a21_col = _bivariate(codes, padded, rows, cols, rho, tables)
    scores = np.hstack([sc_th, sc_cor])
    inner = scores.T @ scores
    n_th = len(th_item)
    a11_inv = np.zeros((n_th, n_th))
    a21 = np.zeros((len(rows), n_th))
    for j in range(p):
        block = slice(th_start[j], th_start[j + 1])
        a11_inv[block, block] = np.linalg.inv(inner[block, block])
        for pick, a21_part in ((rows == j, a21_row), (cols == j, a21_col)):
            a21[np.flatnonzero(pick), block] = a21_part[pick][:, : n_levels[j] - 1]
    a22_inv = 1.0 / np.sum(sc_cor**2, axis=0)
    b_inv = np.zeros((n_th + len(rows), n_th + len(rows)))
    b_inv[:n_th, :n_th] = a11_inv
    b_inv[n_th:, :n_th] = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv[n_th:, n_th:] = np.diag(a22_inv)
    correlation = np.eye(p)
    correlation[rows, cols] = correlation[cols, rows] = rho
    thresholds = np.concatenate([padded[j, 1:k] for j, k in enumerate(n_levels)])
    return CategoricalStats(thresholds, th_item, correlation, n * b_inv @ inner @ b_inv.T, n, codes)
