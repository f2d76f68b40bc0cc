"""Bootstrap distribution of Cronbach's alpha in bounded memory: sufficient statistics per resample.

A resample is a vector w of row counts (how often each respondent is drawn). Every statistic alpha needs is a sum
over rows weighted by w, so one matrix product ``counts @ features`` gives it for a block of resamples at once (no
loop over respondents or draws; the loops below run over blocks of draws and of rows only, so that memory stays
O(n + n_boot k) whatever the size: no (n_boot, n) or (n, k^2) array is ever built).

Without missing answers alpha = k / (k - 1) (1 - tr(C) / 1'C1) needs k + 2 columns per row, y_j (the centred
answers), Q = sum_j y_j^2 and T^2 = (sum_j y_j)^2:
(n - 1) tr(C) = w'Q - sum_j (w'y_j)^2 / n and (n - 1) 1'C1 = w'T^2 - (sum_j w'y_j)^2 / n.
With missing answers the covariances are pairwise complete (R's ``cov(use = "pairwise")``, psych::alpha), so each
item pair j <= l needs its own sums over the rows answering both (m_j m_l):
cov_jl = (S_jl - S_j S_l / W) / (W - 1), W = w'(m_j m_l), S_j = w'(m_j m_l y_j), S_jl = w'(y_j y_l).
Rows answering every item share W's and S_j's columns (1 + k + k(k+1)/2 columns); only the other rows need all
4 k(k+1)/2. Centring by the item means leaves every covariance unchanged and avoids cancellation in the sums;
whole-number answers whose sums stay below 2^24 are summed uncentred in float32 instead, exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .._blas import cross_product, threads_for

_COUNT_CHUNK = 32  # most resamples counted per bincount (bfi's 2800 rows: 9 ms for 1000 draws, 64: 15 ms)
_COUNT_BYTES = 2**23  # most int64 counts per bincount: its output stays in cache (1e5 rows: 10 draws, 32: 5x slower)
_BLOCK_BYTES = 2**26  # largest array built at once: counts of a block of resamples, features of a block of rows


def _count_blocks(n_obs: int, n_boot: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """How often each respondent is drawn in each of ``n_boot`` resamples with replacement, in blocks (b, n_obs).

    Counts are uint8 (a count above 255 has probability below 1e-500) so that a block holds many resamples.
    The resamples are drawn a chunk at a time (:func:`_uniform_rows`) and blocks hold whole chunks, so a seed
    gives the same resamples of the same number of rows whatever the block size.
    """
    block = _draws_per_block(n_obs, n_boot)
    chunk = _resamples_per_count(n_obs)
    for start in range(0, n_boot, block):
        counts = np.empty((min(block, n_boot - start), n_obs), dtype=np.uint8)
        for first in range(0, len(counts), chunk):
            size = min(chunk, len(counts) - first)
            counts[first : first + size] = _counts(_uniform_rows(rng, size, n_obs), n_obs)
        yield counts


def _resamples_per_count(n_obs: int) -> int:
    """Resamples drawn and counted together: at most _COUNT_CHUNK, their int64 counts at most _COUNT_BYTES."""
    return int(np.clip(_COUNT_BYTES // (8 * n_obs), 1, _COUNT_CHUNK))


def _draws_per_block(n_obs: int, n_boot: int) -> int:
    """Resamples counted per block: whole chunks (:func:`_resamples_per_count`, at least one) whose uint8 counts
    take at most _BLOCK_BYTES."""
    chunk = _resamples_per_count(n_obs)
    return min(max(_BLOCK_BYTES // n_obs // chunk, 1) * chunk, n_boot)


def _uniform_rows(rng: np.random.Generator, size: int, n_obs: int) -> np.ndarray:
    """Row drawn at each of ``size`` x ``n_obs`` draws, uniform on 0 .. n_obs - 1: uint32 array (size, n_obs).

    Division with rejection: a 32-bit word w of the bit generator's raw output gives row w // q, q = 2^32 // n_obs,
    so that every row comes from exactly q words; the rare draws with w >= q n_obs (probability below
    n_obs / 2^32) take new words until accepted. Exactly uniform, and faster than ``rng.integers`` (one vectorised
    division of raw bits).
    """
    share = np.uint32(2**32 // n_obs)
    rows = _random_words(rng, size * n_obs)
    rows //= share
    rejected = np.flatnonzero(rows >= n_obs) if rows.max() >= n_obs else rows[:0]
    while rejected.size:
        fresh = _random_words(rng, rejected.size) // share
        rows[rejected] = fresh
        rejected = rejected[fresh >= n_obs]
    return rows.reshape(size, n_obs)


def _random_words(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` uniform 32-bit words, the halves of the bit generator's raw 64-bit output read little-endian
    (the same words on every platform)."""
    raw = rng.bit_generator.random_raw(-(-count // 2))
    return raw.astype("<u8", copy=False).view("<u4")[:count]


def _counts(rows: np.ndarray, n_obs: int) -> np.ndarray:
    """Row counts (b, n_obs) of b resamples given as drawn rows (b, n_obs), with one ``bincount``; the positions
    resample x n_obs + row are summed in uint32 (a chunk has far fewer than 2^32 of them)."""
    size = len(rows)
    positions = rows + np.arange(0, size * n_obs, n_obs, dtype=np.uint32)[:, None]
    return np.bincount(positions.ravel(), minlength=size * n_obs).reshape(size, n_obs)


def _row_slices(n_obs: int, n_columns: int) -> list[slice]:
    """Consecutive row blocks whose features (rows x n_columns floats) take at most _BLOCK_BYTES."""
    rows = max(1, _BLOCK_BYTES // (8 * n_columns))
    return [slice(start, min(start + rows, n_obs)) for start in range(0, n_obs, rows)]


def column_means(values: np.ndarray) -> np.ndarray:
    """NaN-skipping column means, summed over blocks of rows (``np.nanmean`` copies the whole array)."""
    sums, counts = np.zeros(values.shape[1]), np.zeros(values.shape[1])
    for rows in _row_slices(len(values), values.shape[1]):
        block = values[rows]
        sums += np.nansum(block, axis=0)
        counts += (~np.isnan(block)).sum(axis=0)
    return sums / counts


def complete_covariance(values: np.ndarray) -> np.ndarray:
    """Covariance matrix (divisor n - 1) of data without missing values, summed over blocks of rows: as
    ``np.cov(values.T)`` without its centred copy of the data."""
    means = column_means(values)
    cross = np.zeros((values.shape[1], values.shape[1]))
    for rows in _row_slices(len(values), values.shape[1]):
        centred = values[rows] - means
        cross += cross_product(centred)
    return cross / (len(values) - 1)


class _RowFeatures:
    """Features of the rows, block by block: kept when they fit in one block, else recomputed at each pass."""

    def __init__(self, make: Callable[[slice], tuple], n_obs: int, n_columns: int, dtype):
        self._make, self._slices, self.dtype = make, _row_slices(n_obs, n_columns), dtype
        self._kept = [make(rows) for rows in self._slices] if len(self._slices) == 1 else None

    def __iter__(self):
        if self._kept is not None:
            return zip(self._slices, self._kept)
        return ((rows, self._make(rows)) for rows in self._slices)


def bootstrap_alphas(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Raw alpha of each of ``n_boot`` resamples of the rows of ``values`` (n, k; NaN for missing), shape (n_boot,).

    Alpha uses pairwise-complete covariances when answers are missing (psych::alpha); a resample in which some
    pair is answered together by fewer than 2 rows gives NaN.
    """
    n_obs, k = values.shape
    # a row block's features and its counts as floats (draws x rows) each take at most _BLOCK_BYTES
    width = _draws_per_block(n_obs, n_boot)
    missing = bool(np.isnan(values).any())
    largest_feature = 1.0 if missing else float(k * k)  # |y_j y_l| <= m^2; Q and T^2 <= (k m)^2
    dtype: type[np.floating]
    if _exact_in_float32(values, largest_feature):
        dtype, means = np.float32, np.zeros(k)
    else:
        dtype, means = np.float64, column_means(values)
    if missing:
        summarise, features = _pairwise_alphas, _pairwise_features(values, means, width, dtype)
    else:
        summarise, features = _complete_alphas, _complete_features(values, means, width, dtype)
    alphas = [summarise(_weighted_sums(counts, features), n_obs, k) for counts in _count_blocks(n_obs, n_boot, rng)]
    return np.concatenate(alphas)


def _exact_in_float32(values: np.ndarray, largest_feature: float) -> bool:
    """True when every weighted sum is a whole number below 2^24, so that float32 products are exact (and twice
    as fast as float64): whole-number answers (Likert codes), uncentred, with n * largest feature * max|x|^2
    < 2^24 (a resample's weights sum to n). Exact sums give the same alphas as float64 ones."""
    largest = max(float(np.fmax.reduce(values, axis=None)), -float(np.fmin.reduce(values, axis=None)))  # no copy
    if not len(values) * largest_feature * largest**2 < 2**24:
        return False
    answered = values[~np.isnan(values)]
    return bool(np.all(answered == np.round(answered)))


def _weighted_sums(counts: np.ndarray, features: _RowFeatures) -> tuple:
    """Sum over row blocks of counts @ features for each feature matrix of a block (None: no such rows)."""
    totals: tuple | None = None
    for rows, blocks in features:
        weights = counts[:, rows].astype(features.dtype)
        sums = tuple(_block_sums(weights, block) for block in blocks)
        totals = sums if totals is None else tuple(t + s for t, s in zip(totals, sums))
    return tuple(np.asarray(total, dtype=float) for total in totals or ())  # features has at least one block


def _block_sums(counts: np.ndarray, block) -> np.ndarray | float:
    """counts @ features of one block; ``block`` is features of every row, or (row positions, their features)."""
    if isinstance(block, tuple):
        where, block = block
        counts = counts[:, where]
        if not len(where):
            return 0.0
    with threads_for(2.0 * counts.shape[0] * counts.shape[1] * block.shape[1]):
        return counts @ block


def _complete_features(values: np.ndarray, means: np.ndarray, width: int, dtype) -> _RowFeatures:
    """Columns y_1..y_k, Q = sum y_j^2, T^2 = (sum y_j)^2 of the rows (no missing answers), y = x - mean."""

    def make(rows: slice) -> tuple:
        y = values[rows] - means
        return (np.column_stack([y, np.einsum("ij,ij->i", y, y), y.sum(axis=1) ** 2]).astype(dtype),)

    return _RowFeatures(make, len(values), max(width, values.shape[1] + 2), dtype)


def _complete_alphas(sums: tuple, n_obs: int, k: int) -> np.ndarray:
    """Alpha of each resample from its sums of y_j, Q and T^2 (module docstring)."""
    (table,) = sums
    item_sums = table[:, :k]
    trace = table[:, k] - (item_sums**2).sum(axis=1) / n_obs
    total = table[:, k + 1] - item_sums.sum(axis=1) ** 2 / n_obs
    with np.errstate(invalid="ignore", divide="ignore"):
        return (1.0 - trace / total) * k / (k - 1)


def _pairwise_features(values: np.ndarray, means: np.ndarray, width: int, dtype) -> _RowFeatures:
    """Per block: features of the complete rows (others zero) and (positions, features) of the incomplete rows.

    Complete rows: 1, y_j (k), y_j y_l (j <= l); incomplete rows: m_j m_l, m_j m_l y_j, m_j m_l y_l, y_j y_l;
    y = x - mean, 0 where missing.
    """
    first, second = np.triu_indices(values.shape[1])

    def make(rows: slice) -> tuple:
        observed = ~np.isnan(values[rows])
        y = np.where(observed, values[rows] - means, 0.0)
        complete = observed.all(axis=1)
        products = y[:, first] * y[:, second]
        shared = np.column_stack([complete, y, products]) * complete[:, None]
        where = np.flatnonzero(~complete)
        both = (observed[where][:, first] & observed[where][:, second]).astype(float)
        own = np.hstack([both, both * y[where][:, first], both * y[where][:, second], products[where]])
        return shared.astype(dtype), (where, own.astype(dtype))

    return _RowFeatures(make, len(values), max(width, 4 * len(first)), dtype)


def _pairwise_alphas(sums: tuple, n_obs: int, k: int) -> np.ndarray:
    """Alpha of each resample from the pairwise sums W, S_j, S_l, S_jl of every pair j <= l (module docstring)."""
    shared, own = sums
    first, second = np.triu_indices(k)
    pairs = len(first)
    own = np.broadcast_to(own, (len(shared), 4 * pairs))
    weight = shared[:, :1] + own[:, :pairs]
    sum_first = shared[:, 1 : 1 + k][:, first] + own[:, pairs : 2 * pairs]
    sum_second = shared[:, 1 : 1 + k][:, second] + own[:, 2 * pairs : 3 * pairs]
    sum_products = shared[:, 1 + k :] + own[:, 3 * pairs :]
    with np.errstate(invalid="ignore", divide="ignore"):
        upper = (sum_products - sum_first * sum_second / weight) / (weight - 1)
        diagonal = first == second
        trace = upper[:, diagonal].sum(axis=1)
        total = 2 * upper.sum(axis=1) - trace
        return (1.0 - trace / total) * k / (k - 1)
