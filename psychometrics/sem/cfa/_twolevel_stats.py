"""The two-level normal likelihood from cluster sufficient statistics, its derivatives, and the saturated (h1)
model by lavaan's EM algorithm.

The variables are those measured on the respondents (level 1; ``within``; some of them within-only) and those
measured on the clusters (between-only, ``z``). Each cluster ``j`` of ``n_j`` respondents has the within-cluster
scatter ``W_j`` of its level-1 variables and the vector ``b_j`` of their cluster means and its z values. With the
within covariance ``Sigma_W`` (zero rows for z), the between covariance ``Sigma_B`` (zero rows for within-only
variables), the means ``mu`` and ``V_j = Sigma_B + Sigma_W / n_j`` (the covariance of ``b_j``), the
log-likelihood is (McDonald & Goldstein 1989; lavaan 0.6-14's lav_mvnorm_cluster_loglik_samplestats_2l, which
writes the same with ``Sigma_W + n_j Sigma_B`` and the z block apart)

    -2 logL = (N p1 + J q) log(2 pi) + (N - J) [log|Sigma_W,11| + tr(Sigma_W,11^-1 S_PW)]
              + sum_j [log|V_j| + p1 log n_j + (b_j - mu)' V_j^-1 (b_j - mu)]

with ``p1`` level-1 variables, ``q`` between-only ones, ``Sigma_W,11`` the level-1 block and ``S_PW`` the
pooled within covariance (divisor N - J). Clusters of one size share ``V_j``, so the sum runs over the distinct
cluster sizes with the mean outer product of their ``b_j - mu``. The saturated coordinates are
``s = (mu, vech Sigma_W, vech Sigma_B)`` over all variables (vech: lower triangle column by column; derivatives
with respect to an off-diagonal vech element count both triangles), of which :func:`saturated_free` are free.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._model import vech_indices

LOG_2PI = np.log(2 * np.pi)
EM_TOL = 1e-4  # lavaan's lav_h1_implied_logl: lav_mvnorm_cluster_em_sat(tol = 1e-04, max.iter = 5000)
EM_MAX_ITER = 5000


@dataclasses.dataclass(frozen=True)
class ClusterStats:
    """Sufficient statistics of complete two-level data: ``y`` (N x p: the level-1 variables, then the
    between-only ones, constant within a cluster), ``cluster`` (each row's cluster, 0..J-1), ``sizes`` (n_j),
    ``means`` (J x p cluster means b_j), ``s_pw`` (pooled within covariance, divisor N - J),
    ``size_values``/``size_counts``/``size_of`` (the distinct sizes, how many clusters have each, each cluster's
    size index), ``within`` (the variables measured at level 1) and ``between`` (those that vary between
    clusters in the model; a level-1 variable without a between part is within-only, lavaan's within.idx)."""

    y: np.ndarray
    cluster: np.ndarray
    sizes: np.ndarray
    means: np.ndarray
    s_pw: np.ndarray
    size_values: np.ndarray
    size_counts: np.ndarray
    size_of: np.ndarray
    within: np.ndarray
    between: np.ndarray

    @classmethod
    def from_data(
        cls, y: np.ndarray, cluster: np.ndarray, between: np.ndarray | None = None, within: np.ndarray | None = None
    ) -> ClusterStats:
        n_clusters = int(cluster.max()) + 1
        sizes = np.bincount(cluster, minlength=n_clusters)
        means = np.zeros((n_clusters, y.shape[1]))
        np.add.at(means, cluster, y)
        means /= sizes[:, None]
        deviations = y - means[cluster]
        s_pw = deviations.T @ deviations / (len(y) - n_clusters)
        size_values, size_of, size_counts = np.unique(sizes, return_inverse=True, return_counts=True)
        everything = np.ones(y.shape[1], bool)
        between = everything if between is None else np.asarray(between, bool)
        within = everything if within is None else np.asarray(within, bool)
        return cls(y, cluster, sizes, means, s_pw, size_values, size_counts, size_of, within, between)

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def n_clusters(self) -> int:
        return len(self.sizes)

    @property
    def p(self) -> int:
        return self.y.shape[1]

    def centred_sums(self, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per cluster size: the sum of (b_j - mu) (K x p) and the mean of (b_j - mu)(b_j - mu)' (K x p x p)
        over its clusters."""
        d = self.means - mu
        sums = np.zeros((len(self.size_values), self.p))
        np.add.at(sums, self.size_of, d)
        outer = np.zeros((len(self.size_values), self.p, self.p))
        np.add.at(outer, self.size_of, d[:, :, None] * d[:, None, :])
        return sums, outer / self.size_counts[:, None, None]

    def within_scatter(self) -> np.ndarray:
        """Each cluster's within scatter W_j = sum_i (y_ij - ybar_j)(y_ij - ybar_j)' (J x p x p)."""
        deviations = self.y - self.means[self.cluster]
        out = np.zeros((self.n_clusters, self.p, self.p))
        np.add.at(out, self.cluster, deviations[:, :, None] * deviations[:, None, :])
        return out


def saturated_free(within: np.ndarray, between: np.ndarray) -> np.ndarray:
    """Positions in s = (mu, vech Sigma_W, vech Sigma_B) of the saturated model's parameters: all means, the
    within (co)variances of the level-1 variables, the between (co)variances of the variables that vary between
    clusters (lavaan's h1.ndat)."""
    p = len(between)
    rows, cols = vech_indices(p)
    k = len(rows)
    return np.concatenate(
        [
            np.arange(p),
            p + np.flatnonzero(within[rows] & within[cols]),
            p + k + np.flatnonzero(between[rows] & between[cols]),
        ]
    )


def unpack(s: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, Sigma_W, Sigma_B) from the saturated coordinates."""
    rows, cols = vech_indices(p)
    k = len(rows)
    sw, sb = np.zeros((p, p)), np.zeros((p, p))
    sw[rows, cols] = sw[cols, rows] = s[p : p + k]
    sb[rows, cols] = sb[cols, rows] = s[p + k :]
    return s[:p], sw, sb


def pack(mu: np.ndarray, sw: np.ndarray, sb: np.ndarray) -> np.ndarray:
    rows, cols = vech_indices(len(mu))
    return np.concatenate([mu, sw[rows, cols], sb[rows, cols]])


def _vech_gradient(g: np.ndarray) -> np.ndarray:
    """d/d vech of a function whose derivative with respect to the symmetric matrix (both triangles free) is
    ``g`` (..., p, p): the diagonal once, the off-diagonal elements twice."""
    p = g.shape[-1]
    rows, cols = vech_indices(p)
    return g[..., rows, cols] * np.where(rows == cols, 1.0, 2.0)


def _cluster_matrices(stats: ClusterStats, sw: np.ndarray, sb: np.ndarray):
    """Sigma_W,11 (the level-1 block) and, per cluster size, V_k = Sigma_B + Sigma_W / n_k with its inverse and
    log-determinant; None when one of them is not positive definite."""
    w = stats.within
    sw_11 = sw[np.ix_(w, w)]
    v = sb[None] + sw[None] / stats.size_values[:, None, None]
    try:
        np.linalg.cholesky(v)
        np.linalg.cholesky(sw_11)
    except np.linalg.LinAlgError:
        return None
    return sw_11, np.linalg.inv(v), np.linalg.slogdet(v)[1]


def loglik(stats: ClusterStats, s: np.ndarray) -> float:
    """The two-level log-likelihood at s = (mu, vech Sigma_W, vech Sigma_B); -inf outside the admissible set."""
    mu, sw, sb = unpack(s, stats.p)
    parts = _cluster_matrices(stats, sw, sb)
    if parts is None:
        return -np.inf
    sw_11, v_inv, v_logdet = parts
    n, j, w = stats.n_obs, stats.n_clusters, stats.within
    p1 = int(w.sum())
    within = (n - j) * (np.linalg.slogdet(sw_11)[1] + np.sum(np.linalg.inv(sw_11) * stats.s_pw[np.ix_(w, w)]))
    quad = np.einsum("kab,kab->k", v_inv, stats.centred_sums(mu)[1])
    between = np.sum(stats.size_counts * (v_logdet + p1 * np.log(stats.size_values) + quad))
    return float(-0.5 * (log_2pi_constant(stats) + within + between))


def log_2pi_constant(stats: ClusterStats) -> float:
    """The log(2 pi) term of -2 logL: one per level-1 value and per between-only value (lavaan's P log(2 pi))."""
    p1 = int(stats.within.sum())
    return (stats.n_obs * p1 + stats.n_clusters * (stats.p - p1)) * LOG_2PI


def _within_part(stats: ClusterStats, sw: np.ndarray, scatter: np.ndarray, count) -> np.ndarray:
    """d(-2 logL)/dSigma_W of the within deviations, count Sigma_W^-1 - Sigma_W^-1 scatter Sigma_W^-1 on the
    level-1 block (scatter and count per cluster, or pooled)."""
    w = stats.within
    inv = np.linalg.inv(sw[np.ix_(w, w)])
    block = np.asarray(count)[..., None, None] * inv - inv @ scatter[..., w, :][..., :, w] @ inv
    out = np.zeros(block.shape[:-2] + (stats.p, stats.p))
    out[..., np.ix_(w, w)[0], np.ix_(w, w)[1]] = block
    return out


def gradient(stats: ClusterStats, s: np.ndarray) -> np.ndarray:
    """d logL / ds (analytic)."""
    mu, sw, sb = unpack(s, stats.p)
    _, v_inv, _ = _cluster_matrices(stats, sw, sb)
    sums, outer = stats.centred_sums(mu)
    g_mu = np.einsum("kab,kb->a", v_inv, sums)
    per_size = stats.size_counts[:, None, None] * (v_inv - v_inv @ outer @ v_inv)  # d(-2 logL)/dV_k
    n_within = stats.n_obs - stats.n_clusters
    g_sw = _within_part(stats, sw, n_within * stats.s_pw, n_within) + np.einsum(
        "k,kab->ab", 1 / stats.size_values, per_size
    )
    g_sb = per_size.sum(axis=0)
    return np.concatenate([g_mu, -0.5 * _vech_gradient(g_sw), -0.5 * _vech_gradient(g_sb)])


def cluster_scores(stats: ClusterStats, s: np.ndarray) -> np.ndarray:
    """Each cluster's contribution to d logL / ds (J x len(s)); they sum to :func:`gradient` (lavaan's
    lav_mvnorm_cluster_scores_2l, up to its factor -2)."""
    mu, sw, sb = unpack(s, stats.p)
    _, v_inv_k, _ = _cluster_matrices(stats, sw, sb)
    v_inv = v_inv_k[stats.size_of]
    n_j = stats.sizes.astype(float)
    vd = np.einsum("jab,jb->ja", v_inv, stats.means - mu)
    g_v = v_inv - vd[:, :, None] * vd[:, None, :]  # d(-2 logL_j)/dV_j
    g_sw = _within_part(stats, sw, stats.within_scatter(), n_j - 1) + g_v / n_j[:, None, None]
    return np.hstack([vd, -0.5 * _vech_gradient(g_sw), -0.5 * _vech_gradient(g_v)])


def numeric_jacobian(function, x: np.ndarray, step: float = 1e-4, richardson: bool = True) -> np.ndarray:
    """Jacobian of a vector function by central differences, by default with one Richardson extrapolation (error
    O(h^4)), in the spirit of numDeriv::jacobian that lavaan uses for the observed information."""
    x = np.asarray(x, float)
    h = step * np.maximum(np.abs(x), 1.0)
    columns = []
    for k in range(len(x)):
        e = np.zeros(len(x))
        e[k] = h[k]
        wide = (function(x + e) - function(x - e)) / (2 * h[k])
        if not richardson:
            columns.append(wide)
            continue
        narrow = (function(x + e / 2) - function(x - e / 2)) / h[k]
        columns.append((4 * narrow - wide) / 3)
    return np.column_stack(columns)


@dataclasses.dataclass(frozen=True)
class SaturatedFit:
    """The unrestricted two-level model (lavaan's h1): its moments and log-likelihood."""

    mu: np.ndarray
    sigma_w: np.ndarray
    sigma_b: np.ndarray
    logl: float
    iterations: int


def em_saturated(stats: ClusterStats) -> SaturatedFit:
    """lavaan's EM for the saturated two-level model (lav_mvnorm_cluster_em_sat with its E-step
    lav_mvnorm_cluster_em_estepb): from Sigma_W = Sigma_B = I and zero means (the between-only variables' means and
    covariance fixed at their sample values over the clusters, divisor J), treat each cluster's between
    component v_j of the level-1 variables as missing; E-step its posterior mean
    E v_j = mu_B + Sigma_B[1,.] V_j^-1 (b_j - mu) and covariance Sigma_B,11 - Sigma_B[1,.] V_j^-1 Sigma_B[.,1];
    M-step the within and between moments and the covariances of v with z. The rows of within-only variables in
    Sigma_B start at 0 and stay there, as lavaan's. Stops, as lavaan, when the log-likelihood rises by less than
    1e-4, so that the unrestricted log-likelihood (and the chi-square) are lavaan's to the digit."""
    p, w = stats.p, stats.within
    z = ~w
    sb = np.diag(stats.between.astype(float))
    fx_old = fx = loglik(stats, pack(np.zeros(p), np.diag(w.astype(float)), sb))
    centred = stats.means[:, z] - stats.means[:, z].mean(axis=0)
    sb[np.ix_(z, z)] = centred.T @ centred / stats.n_clusters
    state = (np.eye(int(w.sum())), sb, np.zeros(int(w.sum())), np.zeros(int(w.sum())), stats.means[:, z].mean(axis=0))
    iteration = 0
    while iteration < EM_MAX_ITER:
        iteration += 1
        state = _em_step(stats, *state)
        fx = loglik(stats, pack(*_em_moments(stats, *state)))
        if fx - fx_old < EM_TOL:
            break
        fx_old = fx
    return SaturatedFit(*_em_moments(stats, *state), fx, iteration)


def _em_moments(stats: ClusterStats, sw_11, sb, mu_w, mu_b, mu_z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, Sigma_W, Sigma_B) over all variables from the EM state."""
    w = stats.within
    mu, sw = np.zeros(stats.p), np.zeros((stats.p, stats.p))
    mu[w], mu[~w] = mu_w + mu_b, mu_z
    sw[np.ix_(w, w)] = sw_11
    return mu, sw, sb


def _em_step(stats: ClusterStats, sw_11, sb, mu_w, mu_b, mu_z):
    """One E-step and M-step of :func:`em_saturated` (vectorised over the clusters and their sizes); ``sb`` is
    Sigma_B over all variables (its z block fixed), the means of the level-1 variables split in within and
    between parts."""
    w, n, j = stats.within, stats.n_obs, stats.n_clusters
    mu, sw, _ = _em_moments(stats, sw_11, sb, mu_w, mu_b, mu_z)
    v = sb[None] + sw[None] / stats.size_values[:, None, None]
    gain = sb[w][None] @ np.linalg.inv(v)  # Sigma_B[1,.] V_k^-1
    ev = mu_b + np.einsum("jab,jb->ja", gain[stats.size_of], stats.means - mu)
    cov_v = sb[np.ix_(w, w)][None] - gain @ sb[:, w][None]
    cov_v = (cov_v + np.transpose(cov_v, (0, 2, 1))) / 2
    cov_sum = np.einsum("k,kab->ab", stats.size_counts.astype(float), cov_v)
    cov_weighted = np.einsum("k,kab->ab", (stats.size_counts * stats.size_values).astype(float), cov_v)
    n_j, ybar = stats.sizes.astype(float), stats.means[:, w]
    mu_w = (n_j @ (ybar - ev)) / n
    mu_b = ev.mean(axis=0)
    sb = sb.copy()
    sb[np.ix_(w, w)] = (cov_sum + ev.T @ ev) / j - np.outer(mu_b, mu_b)
    zy = stats.means[:, ~w].T @ ev / j - np.outer(mu_z, mu_b)
    sb[np.ix_(~w, w)], sb[np.ix_(w, ~w)] = zy, zy.T
    cross = (n_j[:, None] * ybar).T @ ev
    cw2 = cov_weighted + (n_j[:, None] * ev).T @ ev - cross - cross.T
    y1 = stats.y[:, w]
    sw_11 = (y1.T @ y1 + cw2) / n - np.outer(mu_w, mu_w)
    return sw_11, sb, mu_w, mu_b, mu_z
