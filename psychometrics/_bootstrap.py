"""Nonparametric bootstrap of statistics that need a refit per resample (omega, composite reliability).

The respondents are resampled with replacement; row indices are drawn in blocks of ``_BLOCK`` resamples from one
seeded ``numpy.random.default_rng``, so at most ``_BLOCK x n`` indices are held at a time (never ``n_boot x n``).
Each resample refits a model (an iterative factor or CFA fit), which cannot be vectorised across resamples: the
loop over resamples is over fits. Intervals: percentile and BCa (Efron 1987; Efron & Tibshirani 1993, ch. 13-14,
eq. 14.9-14.15), as ``boot::boot.ci(type = c("perc", "bca"))`` up to the resampling stream.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from ._checks import check_count
from .errors import DataError, PsychometricsError

BOOTSTRAP_INTERVALS = ("percentile", "bca")
_BLOCK = 64  # resamples whose row indices are drawn at once


def check_n_boot(n_boot) -> int:
    """The number of resamples, checked to be a whole number from 2 to MAX_BOOT (the spec schema's bound)."""
    from .reliability.classical import MAX_BOOT  # the one definition of the bound

    return check_count(n_boot, name="n_boot", minimum=2, maximum=MAX_BOOT)


def _value_or_nan(statistic: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, width: int | None):
    """The statistic of one resample; NaN when that resample cannot be analysed (e.g. an item is constant in it)."""
    try:
        return np.asarray(statistic(rows), dtype=float)
    except (PsychometricsError, np.linalg.LinAlgError, FloatingPointError):
        return np.full(width or 1, np.nan)


def resampled_statistics(statistic: Callable[[np.ndarray], np.ndarray], n_obs: int, n_boot: int, seed) -> np.ndarray:
    """``statistic(rows)`` on ``n_boot`` resamples of the row indices 0..n_obs-1, shape (n_boot, m)."""
    rng = np.random.default_rng(seed)
    values, width = [], None
    for start in range(0, n_boot, _BLOCK):
        block = rng.integers(0, n_obs, size=(min(_BLOCK, n_boot - start), n_obs))
        for rows in block:  # one model fit per resample
            value = _value_or_nan(statistic, rows, width)
            width = width or value.size
            values.append(value)
    return np.vstack(values)


def jackknife_statistics(statistic: Callable[[np.ndarray], np.ndarray], n_obs: int) -> np.ndarray:
    """``statistic`` with each row left out in turn, shape (n_obs, m) (one refit per row)."""
    everyone = np.arange(n_obs)
    return np.vstack([_value_or_nan(statistic, np.delete(everyone, i), None) for i in range(n_obs)])


def acceleration(jackknife: np.ndarray) -> np.ndarray:
    """BCa acceleration a = sum d^3 / (6 (sum d^2)^1.5), d = mean - jackknife value (Efron & Tibshirani eq. 14.15)."""
    d = np.nanmean(jackknife, axis=0) - jackknife
    return np.nansum(d**3, axis=0) / (6 * np.nansum(d**2, axis=0) ** 1.5)


def _bca_levels(estimate: float, draws: np.ndarray, a: float, tail: float) -> tuple[float, float]:
    """Adjusted percentile levels Phi(z0 + (z0 + z) / (1 - a (z0 + z))), z0 = Phi^-1(share of draws < estimate)."""
    share = np.mean(draws < estimate)
    if share in (0.0, 1.0):
        raise DataError(
            "every bootstrap value lies on one side of the estimate; the BCa interval is undefined. "
            "Use ci='percentile' or more resamples."
        )
    z0 = stats.norm.ppf(share)
    z = stats.norm.ppf([tail, 1 - tail])
    return tuple(stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z))))


def bootstrap_interval(
    estimate: np.ndarray,
    draws: np.ndarray,
    method: str,
    confidence: float,
    statistic: Callable[[np.ndarray], np.ndarray],
    n_obs: int,
) -> list[tuple[float, float]]:
    """Percentile or BCa interval of each column of ``draws`` (resamples that failed, NaN, are left out)."""
    tail = (1 - confidence) / 2
    a = acceleration(jackknife_statistics(statistic, n_obs)) if method == "bca" else np.zeros(draws.shape[1])
    intervals = []
    for j in range(draws.shape[1]):
        column = draws[:, j][np.isfinite(draws[:, j])]
        if len(column) < 2:
            raise DataError("fewer than 2 bootstrap resamples could be analysed; the interval is undefined.")
        levels = (tail, 1 - tail) if method == "percentile" else _bca_levels(estimate[j], column, a[j], tail)
        low, high = np.quantile(column, levels)
        intervals.append((float(low), float(high)))
    return intervals
