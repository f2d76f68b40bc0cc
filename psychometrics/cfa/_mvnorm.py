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


def duplication_kron(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """D'(A kron B)D for symmetric A, B (D the duplication matrix) without forming the Kronecker product: element
    ((i,j),(k,l)) = A_jl B_ik + A_jk B_il + A_il B_jk + A_ik B_jl, halved for each diagonal pair."""
    rows, cols = vech_indices(len(a))
    half = np.where(rows == cols, 0.5, 1.0)
    out = (a[np.ix_(cols, cols)] * b[np.ix_(rows, rows)] + a[np.ix_(cols, rows)] * b[np.ix_(rows, cols)]
           + a[np.ix_(rows, cols)] * b[np.ix_(cols, rows)] + a[np.ix_(rows, rows)] * b[np.ix_(cols, cols)])
    return out * np.outer(half, half)


def h1_observed_information(mean, cov, mu, sigma, meanstructure: bool) -> np.ndarray:
    """Unit observed information of the normal log-likelihood in (means, vech(Sigma)) at (mu, Sigma) for data with
    moments (mean, cov) (lav_mvnorm_information_observed_samplestats): ``I11 = W``, ``I21 = D'(W d kron W)``,
    ``I22 = D'(W kron W (2 (S + d d') - Sigma) W) D / 2`` with ``W = Sigma^-1``, ``d = mean - mu``."""
    w = np.linalg.inv(sigma)
    d = mean - mu
    i22 = 0.5 * duplication_kron(w, w @ (2 * (cov + np.outer(d, d)) - sigma) @ w)
    if not meanstructure:
        return i22
    rows, cols = vech_indices(len(w))
    wd = w @ d
    i21 = (wd[cols, None] * w[rows] + wd[rows, None] * w[cols]) * np.where(rows == cols, 0.5, 1.0)[:, None]
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
