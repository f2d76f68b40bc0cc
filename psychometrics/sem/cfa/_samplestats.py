"""Per-group sample statistics (lavaan's SampleStats): ML covariance (divisor N), means, N.

Complete-data ML needs only these moments; estimators that need more (robust ML's fourth-order moments, FIML's
missing-data patterns) can read the complete ``data`` kept here.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np



@dataclasses.dataclass(frozen=True)
class SampleStats:
    """Moments of one group: ``cov`` with divisor N (lavaan's likelihood="normal"), ``mean``, ``n_obs``."""

    cov: np.ndarray
    mean: np.ndarray | None
    n_obs: int
    data: np.ndarray | None = None

    @classmethod
    def from_data(cls, values: np.ndarray) -> "SampleStats":
        mean = values.mean(axis=0)
        centred = values - mean
        return cls(centred.T @ centred / len(values), mean, len(values), values)

    @classmethod
    def from_moments(cls, cov: np.ndarray, mean: np.ndarray | None, n_obs: int) -> "SampleStats":
        """From an unbiased covariance matrix (divisor N - 1), rescaled by (N - 1)/N as lavaan's sample.cov.rescale."""
        return cls(np.asarray(cov, float) * (n_obs - 1) / n_obs, None if mean is None else np.asarray(mean, float), n_obs)

    @functools.cached_property
    def log_det_cov(self) -> float:
        return float(np.linalg.slogdet(self.cov)[1])
