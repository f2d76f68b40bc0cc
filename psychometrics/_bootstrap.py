"""Nonparametric bootstrap of statistics that need a refit per resample (omega, composite reliability).

The respondents are resampled with replacement; row indices are drawn in blocks of ``_BLOCK`` resamples from one
seeded ``numpy.random.default_rng``, so at most ``_BLOCK x n`` indices are held at a time (never ``n_boot x n``).
With respondents nested in clusters (:class:`Clusters`) the clusters are resampled instead: each resample draws as
many clusters as there are, with replacement, and takes every row of each drawn cluster (the one-stage cluster
bootstrap: Davison & Hinkley 1997, sec. 3.8; Field & Welsh 2007), and BCa's jackknife leaves out one cluster at a
time. Cluster numbers in row order make singleton clusters draw exactly the respondents' resamples.
Each resample refits a model (an iterative factor or CFA fit), which cannot be vectorised across resamples: the
loop over resamples is over fits. Intervals: percentile and BCa (Efron 1987; Efron & Tibshirani 1993, ch. 13-14,
eq. 14.9-14.15), as ``boot::boot.ci(type = c("perc", "bca"))`` up to the resampling stream.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import check_column_labels, check_count, check_label, label_position, looks_like_correlation_matrix
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


@dataclasses.dataclass(frozen=True)
class StratumSlots:
    """The C draws of a stratified resample: ``members`` lists the clusters stratum by stratum, and each of the C
    slots knows its stratum's first slot (``low``) and number of clusters (``size``)."""

    members: np.ndarray
    low: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, stratum_of_cluster: np.ndarray) -> StratumSlots:
        members = np.argsort(stratum_of_cluster, kind="stable")
        per_stratum = np.bincount(stratum_of_cluster)
        slot_stratum = stratum_of_cluster[members]
        return cls(members, (np.cumsum(per_stratum) - per_stratum)[slot_stratum], per_stratum[slot_stratum])


@dataclasses.dataclass(frozen=True)
class Clusters:
    """The cluster of each row, numbered 0 .. C - 1 (``codes``), with the rows sorted by cluster (``order``,
    stable) and each cluster's slice of ``order`` (``starts``, ``sizes``); ``strata`` when the clusters are
    nested in strata (e.g. services in sites)."""

    codes: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    strata: StratumSlots | None = None

    @classmethod
    def of(cls, codes: np.ndarray, stratum_of_cluster: np.ndarray | None = None) -> Clusters:
        sizes = np.bincount(codes)
        strata = None if stratum_of_cluster is None else StratumSlots.of(stratum_of_cluster)
        return cls(codes, np.argsort(codes, kind="stable"), np.cumsum(sizes) - sizes, sizes, strata)

    @property
    def count(self) -> int:
        return len(self.sizes)

    @property
    def n_strata(self) -> int | None:
        return None if self.strata is None else len(np.unique(self.strata.low))

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """``count`` resamples of C cluster numbers (resamples x C): C drawn with replacement from all clusters,
        or, with strata, each stratum's own number of clusters drawn from that stratum (stratified resampling)."""
        if self.strata is None:
            return rng.integers(0, self.count, size=(count, self.count))
        slots = self.strata
        return slots.members[slots.low + rng.integers(0, slots.size, size=(count, self.count))]

    def rows(self, drawn: np.ndarray) -> list[np.ndarray]:
        """The rows of each resample, one per row of ``drawn`` (resamples x C cluster numbers): every row of each
        drawn cluster, in the order drawn. Built at once for all resamples: each drawn cluster's start in ``order``
        repeated size times, plus 0 .. size - 1 (the running position less the start of its cluster's run)."""
        sizes = self.sizes[drawn].ravel()
        ends = np.cumsum(sizes)
        within = np.arange(ends[-1]) - np.repeat(ends - sizes, sizes)
        rows = self.order[np.repeat(self.starts[drawn].ravel(), sizes) + within]
        return np.split(rows, ends[drawn.shape[1] - 1 :: drawn.shape[1]][:-1])


def split_cluster(data, cluster, name: str = "cluster") -> tuple[object, np.ndarray | None]:
    """(items, labels) of a function's ``data`` and ``cluster`` (or ``strata``: ``name``) arguments: a column name
    of the DataFrame ``data`` gives the data without that column and the column's values; one label per row (an
    array by position, or a Series on the data's index) gives the data unchanged and the labels; without
    ``cluster``, (data, None)."""
    if cluster is None:
        return data, None
    if looks_like_correlation_matrix(data):
        raise DataError(
            f"a {name} bootstrap resamples the respondents' rows: pass respondents x items (with the {name} "
            "column), not a correlation matrix."
        )
    if _is_one_label(cluster):
        check_label(cluster, name=name)
        if isinstance(data, pd.DataFrame):
            check_column_labels(data, "data")  # a repeated cluster column would stay among the items
        columns = list(data.columns) if isinstance(data, pd.DataFrame) else []
        position = label_position(cluster, columns)
        if position is None:
            raise DataError(
                f"{name} column {cluster!r} is not in the data; available columns: {columns}. Name a column of "
                f"the data, or pass one {name} label per row (an array or a Series)."
            )
        others = [j for j in range(len(columns)) if j != position]  # by position: pandas reads b"id" as a list
        return data.iloc[:, others], data.iloc[:, position].to_numpy()
    return data, _labels_by_row(data, cluster, name)


def _is_one_label(cluster) -> bool:
    """Whether ``cluster`` names one column (a scalar), not one label per row (ragged nested lists are not)."""
    try:
        return np.ndim(cluster) == 0
    except ValueError:
        return False


def _labels_by_row(data, cluster, name: str) -> np.ndarray:
    """One label per row of ``data``: a 1-D array of its length, or a Series with the data's index."""
    n_rows = np.shape(data)[0]
    if isinstance(cluster, pd.Series) and isinstance(data, pd.DataFrame) and not cluster.index.equals(data.index):
        raise DataError(
            f"the {name} Series has another index than the data; pass it with the data's index "
            f"({name}.reindex(data.index)) or as an array in the data's row order."
        )
    labels = np.asarray(cluster, dtype=object)
    if labels.ndim != 1 or len(labels) != n_rows:
        raise DataError(
            f"{name} must hold one label per row: got shape {labels.shape} for {n_rows} rows. Pass a column "
            "name or a 1-D array in the data's row order."
        )
    return labels


def bootstrap_clusters(labels: np.ndarray, rows: pd.Index, strata: np.ndarray | None = None) -> Clusters:
    """The :class:`Clusters` of the analysed rows' labels (``rows``: their names, for the errors), numbered in
    order of first appearance; every row needs a label and there must be at least two clusters. ``strata`` (one
    label per row) must be constant within each cluster: the clusters are nested in the strata."""
    _check_labelled(labels, rows, "cluster")
    codes = pd.factorize(labels)[0]
    if codes.max() < 1:
        raise DataError(
            f"every respondent is in one cluster ({labels[0]!r}); a cluster bootstrap needs at least 2 clusters. "
            "Leave cluster out to resample the respondents."
        )
    if strata is None:
        return Clusters.of(codes)
    _check_labelled(strata, rows, "stratum")
    return Clusters.of(codes, _stratum_of_cluster(codes, pd.factorize(strata)[0], labels, strata))


def _check_labelled(labels: np.ndarray, rows: pd.Index, name: str) -> None:
    missing = np.flatnonzero(pd.isna(labels))
    if len(missing):
        raise DataError(
            f"the {name} of row {rows[missing[0]]!r} is missing ({len(missing)} row(s) without a {name}); give "
            f"every respondent a {name} (e.g. its own label for a respondent outside any) or drop the row."
        )


def _stratum_of_cluster(codes: np.ndarray, stratum_codes: np.ndarray, labels, strata) -> np.ndarray:
    """Each cluster's stratum number; a DataError names a cluster whose rows lie in two strata."""
    first = stratum_codes[np.unique(codes, return_index=True)[1]]  # the stratum of each cluster's first row
    crossing = np.flatnonzero(first[codes] != stratum_codes)
    if len(crossing):
        row = crossing[0]
        mate = np.flatnonzero(codes == codes[row])[0]
        raise DataError(
            f"cluster {labels[row]!r} lies in strata {strata[mate]!r} and {strata[row]!r}; the clusters must be "
            "nested in the strata (each cluster in one stratum). Check the labels or leave strata out."
        )
    return first


def _resamples(rng: np.random.Generator, n_obs: int, count: int, clusters: Clusters | None) -> Iterable[np.ndarray]:
    """The rows of ``count`` resamples: ``n_obs`` respondents drawn with replacement, or C clusters with their rows."""
    if clusters is None:
        return rng.integers(0, n_obs, size=(count, n_obs))
    return clusters.rows(clusters.draw(rng, count))


def resampled_statistics(
    statistic: Callable[[np.ndarray], np.ndarray], n_obs: int, n_boot: int, seed, clusters: Clusters | None = None
) -> np.ndarray:
    """``statistic(rows)`` on ``n_boot`` resamples of the row indices 0..n_obs-1 (of whole clusters with
    ``clusters``), shape (n_boot, m)."""
    rng = np.random.default_rng(seed)
    values, width = [], None
    for start in range(0, n_boot, _BLOCK):
        for rows in _resamples(rng, n_obs, min(_BLOCK, n_boot - start), clusters):  # one model fit per resample
            value = _value_or_nan(statistic, rows, width)
            width = width or value.size
            values.append(value)
    return np.vstack(values)


def jackknife_statistics(
    statistic: Callable[[np.ndarray], np.ndarray], n_obs: int, clusters: Clusters | None = None
) -> np.ndarray:
    """``statistic`` with each row (each cluster with ``clusters``) left out in turn, shape (n_obs or C, m) (one
    refit per row or cluster)."""
    if clusters is not None:
        codes = clusters.codes
        return np.vstack([_value_or_nan(statistic, np.flatnonzero(codes != c), None) for c in range(clusters.count)])
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
    clusters: Clusters | None = None,
) -> list[tuple[float, float]]:
    """Percentile or BCa interval of each column of ``draws`` (resamples that failed, NaN, are left out); BCa's
    acceleration from the delete-one-row jackknife, or the delete-one-cluster one with ``clusters``."""
    tail = (1 - confidence) / 2
    if method == "bca":
        a = acceleration(jackknife_statistics(statistic, n_obs, clusters))
    else:
        a = np.zeros(draws.shape[1])
    intervals = []
    for j in range(draws.shape[1]):
        column = draws[:, j][np.isfinite(draws[:, j])]
        if len(column) < 2:
            raise DataError("fewer than 2 bootstrap resamples could be analysed; the interval is undefined.")
        levels = (tail, 1 - tail) if method == "percentile" else _bca_levels(estimate[j], column, a[j], tail)
        low, high = np.quantile(column, levels)
        intervals.append((float(low), float(high)))
    return intervals
