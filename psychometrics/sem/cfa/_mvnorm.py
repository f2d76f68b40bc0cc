"""The unrestricted multivariate normal model in moment space, (means, vech(Sigma)) in lavaan's order
(lavaan's lav_mvnorm_* functions): the observed information, summed over missing-data patterns when data are
incomplete.

Per pattern (or for complete data) the unit observed information at (mu, Sigma) for data with moments (mean, cov)
is (lav_mvnorm_information_observed_samplestats) ``I11 = W``, ``I21 = D'(W d kron W)``, ``I22 = D'(W kron M)D / 2``
with ``W = Sigma^-1``, ``d = mean - mu`` and ``M = W (2 (cov + d d') - Sigma) W`` (``M = W`` for the expected
information). All three are linear in ``W kron M`` and ``W d kron W``, so the patterns' terms (their ``W`` and
``M`` embedded in p x p zeros) are summed first and ``D'(.)D`` is applied once.
"""

from __future__ import annotations

import numpy as np

from ._model import vech_indices


def vech_positions(p: int) -> np.ndarray:
    """pos[i, j] = index of Sigma_ij in vech (both triangles)."""
    rows, cols = vech_indices(p)
    pos = np.zeros((p, p), dtype=int)
    pos[rows, cols] = pos[cols, rows] = np.arange(len(rows))
    return pos


def _information(w: np.ndarray, wm, wdw: np.ndarray, meanstructure: bool) -> np.ndarray:
    """Assemble I11, I21, I22 from ``w`` (W), ``wm(a, b, c, d) = W_ab M_cd`` (a function of index arrays) and
    ``wdw[c, r, m] = (W d)_c W_rm``.

    ``D'(A kron B)D`` has element ((i,j),(k,l)) = A_jl B_ik + A_jk B_il + A_il B_jk + A_ik B_jl, halved for each
    diagonal pair; ``D'(W d kron W)`` has element ((i,j), m) = (W d)_j W_im + (W d)_i W_jm, halved on the diagonal.
    """
    rows, cols = vech_indices(len(w))
    half = np.where(rows == cols, 0.5, 1.0)
    i, j, k, l = rows[:, None], cols[:, None], rows[None, :], cols[None, :]
    dup = wm(j, l, i, k) + wm(j, k, i, l) + wm(i, l, j, k) + wm(i, k, j, l)
    i22 = 0.5 * dup * np.outer(half, half)
    if not meanstructure:
        return i22
    i21 = (wdw[cols, rows] + wdw[rows, cols]) * half[:, None]
    return np.block([[w, i21.T], [i21, i22]])


def _m_matrix(w, mean, cov, mu, sigma) -> tuple[np.ndarray, np.ndarray]:
    d = mean - mu
    return w @ (2 * (cov + np.outer(d, d)) - sigma) @ w, w @ d


def h1_observed_information(mean, cov, mu, sigma, meanstructure: bool) -> np.ndarray:
    """Unit observed information at (mu, Sigma) for complete data with moments (mean, cov)."""
    w = np.linalg.inv(sigma)
    m, wd = _m_matrix(w, mean, cov, mu, sigma)
    return _information(w, lambda a, b, c, d: w[a, b] * m[c, d], np.multiply.outer(wd, w), meanstructure)


def missing_information(
    stats, mu: np.ndarray, sigma: np.ndarray, expected: bool = False, variances_only: bool = False
) -> np.ndarray:
    """Unit observed (or expected) information of incomplete data at (mu, Sigma): ``sum_o n_o I_o / N`` over the
    missing-data patterns (lav_mvnorm_missing_information_observed_samplestats / ..._expected).

    With ``z_i = W_o (y_i - mu)`` (``_fiml``), ``n_o M_o = 2 sum_(i in o) z_i z_i' - n_o W_o`` and ``n_o W_o d_o =
    sum_(i in o) z_i``, so ``sum_o n_o W_o kron M_o`` is one product of the patterns' vech(W_o) with their
    vech(2 sum z z' - n_o W_o) (or vech(n_o W_o) for the expected information), block by block. The expected
    information depends on Sigma only and is kept for the last Sigma (the identification check and the GFI ask
    for it at the same estimates). ``variances_only``: the observed information's block of the means and the
    variances (the independence model's parameters; :func:`_means_variances_block`)."""
    if expected:
        return stats.patterns.remember(
            "expected_information", sigma, lambda: _missing_information(stats, mu, sigma, True)
        )
    return _missing_information(stats, mu, sigma, False, variances_only)


def _missing_information(
    stats, mu: np.ndarray, sigma: np.ndarray, expected: bool, variances_only: bool = False
) -> np.ndarray:
    p, n = len(sigma), stats.n_obs
    patterns = stats.patterns
    rows, cols = vech_indices(p)
    pos = vech_positions(p)
    w_m = np.zeros(len(rows)) if variances_only else np.zeros((len(rows), len(rows)))
    wd_w = np.zeros((p, len(rows)))
    terms = patterns.terms(mu, sigma)
    for block, z, w_vech in patterns.inverses(terms):
        if expected:  # sum_o n_o vech(W_o) vech(W_o)', one symmetric product
            root = np.sqrt(block.counts)[:, None] * w_vech
            w_m += root.T @ root
            continue
        if len(block.counts) == 1:
            zz, z_sum = (z.T @ z)[rows, cols][None], z.sum(axis=0)[None]
        elif len(block.counts) == len(z):  # every row its own pattern: nothing to sum
            zz, z_sum = z[:, rows] * z[:, cols], z
        else:
            zz, z_sum = block.pattern_sums(z[:, rows] * z[:, cols]), block.pattern_sums(z)
        wd_w += z_sum.T @ w_vech
        m_vech = 2 * zz - block.counts[:, None] * w_vech
        w_m += np.einsum("ku,ku->u", w_vech, m_vech) if variances_only else w_vech.T @ m_vech
    w_m /= n
    w_bar = terms.inverse_sum / n
    if variances_only:
        return _means_variances_block(w_bar, w_m, wd_w / n, pos)
    return _information(w_bar, lambda a, b, c, d: w_m[pos[a, b], pos[c, d]], (wd_w / n)[:, pos], True)


def _means_variances_block(w: np.ndarray, wm_diagonal: np.ndarray, wd_w: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The rows and columns of the means and the variances in :func:`_information`: there ((i,i), m) is
    ``(W d)_i W_im`` and ((i,i),(k,k)) is ``sum W_ik M_ik / 2``, so only the diagonal ``wm_diagonal`` of the
    summed vech(W) vech(M)' products is needed (N p^2 instead of N p^4 operations)."""
    p = len(w)
    variances = np.arange(p)[:, None]
    i21 = wd_w[variances, pos]  # [i, m] = (W d)_i W_im
    i22 = 0.5 * wm_diagonal[pos]
    return np.block([[w, i21.T], [i21, i22]])
