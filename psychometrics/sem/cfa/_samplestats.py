"""Per-group sample statistics (lavaan's SampleStats): ML covariance (divisor N), means, N.

Complete-data ML needs only these moments; estimators that need more (robust ML's fourth-order moments, FIML's
missing-data patterns) can read the complete ``data`` kept here.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ...errors import ModelError
from ._model import vech_indices


@dataclasses.dataclass(frozen=True)
class SampleStats:
    """Moments of one group: ``cov`` with divisor N (lavaan's likelihood="normal"), ``mean``, ``n_obs``; the raw
    rows ``data``, with ``cluster=`` each row's cluster number ``cluster`` (0 .. C - 1), with
    ``sampling_weights=`` each row's normalised weight ``weights``: then the moments are weighted (lavaan's
    cov.wt(method = "ML")) and ``n_obs`` is the sum of the weights (lavaan's nobs)."""

    cov: np.ndarray
    mean: np.ndarray | None
    n_obs: float  # the sum of the sampling weights when weighted
    data: np.ndarray | None = None
    cluster: np.ndarray | None = None
    weights: np.ndarray | None = None

    @classmethod
    def from_data(
        cls, values: np.ndarray, cluster: np.ndarray | None = None, weights: np.ndarray | None = None
    ) -> SampleStats:
        if weights is None:
            mean = values.mean(axis=0)
            centred = values - mean
            return cls(centred.T @ centred / len(values), mean, len(values), values, cluster)
        total = float(weights.sum())
        mean = weights @ values / total
        centred = values - mean
        return cls((weights[:, None] * centred).T @ centred / total, mean, total, values, cluster, weights)

    @classmethod
    def from_moments(cls, cov: np.ndarray, mean: np.ndarray | None, n_obs: int) -> SampleStats:
        """From an unbiased covariance matrix (divisor N - 1), rescaled by (N - 1)/N as lavaan's sample.cov.rescale."""
        return cls(
            np.asarray(cov, float) * (n_obs - 1) / n_obs, None if mean is None else np.asarray(mean, float), n_obs
        )

    @functools.cached_property
    def log_det_cov(self) -> float:
        return float(np.linalg.slogdet(self.cov)[1])

    def adf_nacov(self, meanstructure: bool) -> np.ndarray:
        """The ADF asymptotic covariance of sqrt(N) (means, vech(S)) (lavaan's lav_samplestats_Gamma, divisor N):
        the covariance of the casewise scores :func:`moment_scores` (the per-case matrix cluster-robust and
        weighted versions would aggregate or weight)."""
        key = f"_nacov_{meanstructure}"
        if self.data is None:
            raise ModelError("the ADF NACOV needs raw data; this group was given as sample moments")
        if key not in self.__dict__:
            self.__dict__[key] = nacov_from_scores(moment_scores(self.data, meanstructure))
        return self.__dict__[key]


def moment_scores(values: np.ndarray, meanstructure: bool) -> np.ndarray:
    """Per case: ``y_i - ybar`` (with a mean structure) and ``vech((y_i - ybar)(y_i - ybar)')``."""
    centred = values - values.mean(axis=0)
    rows, cols = vech_indices(values.shape[1])
    products = centred[:, rows] * centred[:, cols]
    return np.hstack([centred, products]) if meanstructure else products


def cluster_sums(scores: np.ndarray, cluster: np.ndarray | None, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-case score rows, times the case's sampling weight, summed within clusters and scaled by
    sqrt(C / (C - 1)) (lavaan's weighted and cluster-robust first-order information,
    lav_mvnorm_information_firstorder with wt and cluster.idx); the rows unchanged without either."""
    if weights is not None:
        scores = scores * weights[:, None]
    if cluster is None:
        return scores
    n_clusters = int(cluster.max()) + 1
    sums = np.zeros((n_clusters, scores.shape[1]))
    np.add.at(sums, cluster, scores)
    return sums * np.sqrt(n_clusters / (n_clusters - 1))


def nacov_from_scores(scores: np.ndarray) -> np.ndarray:
    """``sum_i (z_i - zbar)(z_i - zbar)' / N`` of per-case scores ``z_i`` (rows)."""
    centred = scores - scores.mean(axis=0)
    return centred.T @ centred / len(scores)


@dataclasses.dataclass(frozen=True)
class MomentStats:
    """A group's sample moments in lavaan's WLS.obs order (means with a mean structure, then vech(S)) with their
    ADF NACOV: what the least-squares estimators (ULS, DWLS, WLS) fit on continuous data. ``cov`` is the unbiased
    covariance (divisor N - 1): lavaan rescales it to divisor N for ML only."""

    cov: np.ndarray
    mean: np.ndarray | None
    n_obs: float
    moments: np.ndarray
    nacov: np.ndarray

    @classmethod
    def from_sample(cls, stats: SampleStats, meanstructure: bool) -> MomentStats:
        cov = stats.cov * stats.n_obs / (stats.n_obs - 1)
        rows, cols = vech_indices(len(cov))
        moments = cov[rows, cols]
        if meanstructure:
            moments = np.concatenate([stats.mean, moments])
        return cls(cov, stats.mean, stats.n_obs, moments, stats.adf_nacov(meanstructure))
