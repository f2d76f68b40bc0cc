"""The unrestricted multivariate normal model in moment space, (means, vech(Sigma)) in lavaan's order
(lavaan's lav_mvnorm_* functions): information matrices, summed over missing-data patterns when data are incomplete."""

from __future__ import annotations

import numpy as np

from ._model import vech_indices


def vech_positions(p: int) -> np.ndarray:
    """pos[i, j] = index of Sigma_ij in vech (both triangles)."""
    rows, cols = vech_indices(p)
    pos = np.zeros((p, p), dtype=int)
    pos[rows, cols] = pos[cols, rows] = np.arange(len(rows))
    return pos


def duplication(p: int) -> np.ndarray:
    """The duplication matrix D (vec(S) = D vech(S)) for lavaan's vech order."""
    out = np.zeros((p * p, p * (p + 1) // 2))
    out[np.arange(p * p), vech_positions(p).T.ravel()] = 1.0
    return out


def h1_observed_information(mean, cov, mu, sigma, meanstructure: bool) -> np.ndarray:
    """Unit observed information of the normal log-likelihood in (means, vech(Sigma)) at (mu, Sigma) for data with
    moments (mean, cov) (lav_mvnorm_information_observed_samplestats): ``I11 = W``, ``I21 = D'(W d kron W)``,
    ``I22 = D'(W kron W (2 (S + d d') - Sigma) W) D / 2`` with ``W = Sigma^-1``, ``d = mean - mu``."""
    w = np.linalg.inv(sigma)
    d = mean - mu
    dup = duplication(len(sigma))
    i22 = 0.5 * dup.T @ np.kron(w, w @ (2 * (cov + np.outer(d, d)) - sigma) @ w) @ dup
    if not meanstructure:
        return i22
    i21 = dup.T @ np.kron((w @ d)[:, None], w)
    return np.block([[w, i21.T], [i21, i22]])


def pattern_sum(stats, info_of_pattern) -> np.ndarray:
    """sum_o n_o I_o / N with ``I_o = info_of_pattern(pattern, o)`` in the pattern's (means_o, vech(Sigma_oo))
    embedded in the full (means, vech(Sigma)) vector."""
    p = len(stats.cov)
    pos = vech_positions(p)
    total = np.zeros((p + p * (p + 1) // 2,) * 2)
    for pat in stats.patterns:
        o = pat.observed
        sub_rows, sub_cols = vech_indices(len(o))
        index = np.concatenate([o, p + pos[o[sub_rows], o[sub_cols]]])
        total[np.ix_(index, index)] += pat.n * info_of_pattern(pat, o)
    return total / stats.n_obs
