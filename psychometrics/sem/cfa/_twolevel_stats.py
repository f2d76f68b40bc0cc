"""The two-level normal likelihood from cluster sufficient statistics, its derivatives, and the saturated (h1)
model by lavaan's EM algorithm.

Each cluster ``j`` of ``n_j`` respondents has the within-cluster scatter ``W_j`` and the mean ``ybar_j``. With the
within covariance ``Sigma_W``, the between covariance ``Sigma_B``, the mean ``mu`` and ``A_j = Sigma_W + n_j
Sigma_B``, the log-likelihood of a two-level model whose variables all vary at both levels is (McDonald &
Goldstein 1989; lavaan 0.6-14's lav_mvnorm_cluster_loglik_samplestats_2l)

    -2 logL = N p log(2 pi) + (N - J) [log|Sigma_W| + tr(Sigma_W^-1 S_PW)]
              + sum_j [log|A_j| + n_j (ybar_j - mu)' A_j^-1 (ybar_j - mu)]

with ``S_PW`` the pooled within covariance (divisor N - J). Clusters of one size share ``A_j``, so the sum runs
over the distinct cluster sizes with the mean outer product of their cluster means. The saturated coordinates are
``s = (mu, vech Sigma_W, vech Sigma_B)`` (vech: lower triangle column by column); derivatives with respect to an
off-diagonal vech element count both triangles.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ._model import vech_indices as _vech_indices

LOG_2PI = np.log(2 * np.pi)
EM_TOL = 1e-4  # lavaan's lav_h1_implied_logl: lav_mvnorm_cluster_em_sat(tol = 1e-04, max.iter = 5000)
EM_MAX_ITER = 5000


@dataclasses.dataclass(frozen=True)
class ClusterStats:
    """Sufficient statistics of complete two-level data: ``y`` (N x p), ``cluster`` (each row's cluster, 0..J-1),
    ``sizes`` (n_j), ``means`` (J x p cluster means), ``s_pw`` (pooled within covariance, divisor N - J),
    ``size_values``/``size_counts``/``size_of`` (the distinct sizes, how many clusters have each, each cluster's
    size index) and ``mean_outer`` (per size: the mean over its clusters of ybar_j ybar_j')."""

    y: np.ndarray
    cluster: np.ndarray
    sizes: np.ndarray
    means: np.ndarray
    s_pw: np.ndarray
    size_values: np.ndarray
    size_counts: np.ndarray
    size_of: np.ndarray
    between: np.ndarray

    @classmethod
    def from_data(cls, y: np.ndarray, cluster: np.ndarray, between: np.ndarray | None = None) -> "ClusterStats":
        n_clusters = int(cluster.max()) + 1
        sizes = np.bincount(cluster, minlength=n_clusters)
        means = np.zeros((n_clusters, y.shape[1]))
        np.add.at(means, cluster, y)
        means /= sizes[:, None]
        within = y - means[cluster]
        s_pw = within.T @ within / (len(y) - n_clusters)
        size_values, size_of, size_counts = np.unique(sizes, return_inverse=True, return_counts=True)
        between = np.ones(y.shape[1], bool) if between is None else np.asarray(between, bool)
        return cls(y, cluster, sizes, means, s_pw, size_values, size_counts, size_of, between)

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def n_clusters(self) -> int:
        return len(self.sizes)

    @property
    def p(self) -> int:
        return self.y.shape[1]

    def centred_outer(self, mu: np.ndarray) -> np.ndarray:
        """Per cluster size: the mean of (ybar_j - mu)(ybar_j - mu)' over its clusters (K x p x p)."""
        d = self.means - mu
        out = np.zeros((len(self.size_values), self.p, self.p))
        np.add.at(out, self.size_of, d[:, :, None] * d[:, None, :])
        return out / self.size_counts[:, None, None]

    def within_scatter(self) -> np.ndarray:
        """Each cluster's within scatter W_j = sum_i (y_ij - ybar_j)(y_ij - ybar_j)' (J x p x p)."""
        within = self.y - self.means[self.cluster]
        out = np.zeros((self.n_clusters, self.p, self.p))
        np.add.at(out, self.cluster, within[:, :, None] * within[:, None, :])
        return out


@functools.lru_cache(maxsize=16)
def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """_model.vech_indices, kept per p (the likelihood asks for them at every evaluation)."""
    return _vech_indices(p)


def saturated_free(between: np.ndarray) -> np.ndarray:
    """Positions in s = (mu, vech Sigma_W, vech Sigma_B) of the saturated model's parameters: all means and
    within (co)variances, the between (co)variances of the variables that vary between clusters (lavaan's h1.ndat)."""
    p = len(between)
    rows, cols = vech_indices(p)
    pairs = between[rows] & between[cols]
    return np.concatenate([np.arange(p + len(rows)), p + len(rows) + np.flatnonzero(pairs)])


def unpack(s: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, Sigma_W, Sigma_B) from the saturated coordinates."""
    rows, cols = vech_indices(p)
    k = len(rows)
    sw, sb = np.zeros((p, p)), np.zeros((p, p))
    sw[rows, cols] = sw[cols, rows] = s[p:p + k]
    sb[rows, cols] = sb[cols, rows] = s[p + k:]
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
    """Per cluster size: A_k = Sigma_W + n_k Sigma_B, its inverse and log-determinant; None when some A_k or
    Sigma_W is not positive definite."""
    a = sw[None] + stats.size_values[:, None, None] * sb[None]
    try:
        np.linalg.cholesky(a)
        np.linalg.cholesky(sw)
    except np.linalg.LinAlgError:
        return None
    return a, np.linalg.inv(a), np.linalg.slogdet(a)[1]


def loglik(stats: ClusterStats, s: np.ndarray) -> float:
    """The two-level log-likelihood at s = (mu, vech Sigma_W, vech Sigma_B); -inf outside the admissible set."""
    mu, sw, sb = unpack(s, stats.p)
    parts = _cluster_matrices(stats, sw, sb)
    if parts is None:
        return -np.inf
    _, a_inv, a_logdet = parts
    n, j = stats.n_obs, stats.n_clusters
    within = (n - j) * (np.linalg.slogdet(sw)[1] + np.sum(np.linalg.inv(sw) * stats.s_pw))
    quad = np.einsum("kab,kab->k", a_inv, stats.centred_outer(mu))
    between = np.sum(stats.size_counts * (a_logdet + stats.size_values * quad))
    return float(-0.5 * (n * stats.p * LOG_2PI + within + between))


def gradient(stats: ClusterStats, s: np.ndarray) -> np.ndarray:
    """d logL / ds (analytic)."""
    mu, sw, sb = unpack(s, stats.p)
    _, a_inv, _ = _cluster_matrices(stats, sw, sb)
    n_k, m_k = stats.size_values.astype(float), stats.size_counts.astype(float)
    d_mean = np.zeros((len(n_k), stats.p))
    np.add.at(d_mean, stats.size_of, stats.means - mu)  # per size: sum of (ybar_j - mu)
    g_mu = np.einsum("k,kab,kb->a", n_k, a_inv, d_mean)
    c = stats.centred_outer(mu)
    aca = a_inv @ c @ a_inv
    per_size = m_k[:, None, None] * (a_inv - n_k[:, None, None] * aca)  # d(-2 logL)/dA_k summed over clusters
    sw_inv = np.linalg.inv(sw)
    n_within = stats.n_obs - stats.n_clusters
    g_sw = n_within * (sw_inv - sw_inv @ stats.s_pw @ sw_inv) + per_size.sum(axis=0)
    g_sb = np.einsum("k,kab->ab", n_k, per_size)
    return np.concatenate([g_mu, -0.5 * _vech_gradient(g_sw), -0.5 * _vech_gradient(g_sb)])


def cluster_scores(stats: ClusterStats, s: np.ndarray) -> np.ndarray:
    """Each cluster's contribution to d logL / ds (J x len(s)); they sum to :func:`gradient` (lavaan's
    lav_mvnorm_cluster_scores_2l, up to its factor -2)."""
    mu, sw, sb = unpack(s, stats.p)
    _, a_inv_k, _ = _cluster_matrices(stats, sw, sb)
    a_inv = a_inv_k[stats.size_of]
    n_j = stats.sizes.astype(float)
    d = stats.means - mu
    ad = np.einsum("jab,jb->ja", a_inv, d)
    ada = ad[:, :, None] * ad[:, None, :]
    sw_inv = np.linalg.inv(sw)
    g_sw = ((n_j - 1)[:, None, None] * sw_inv - sw_inv @ stats.within_scatter() @ sw_inv
            + a_inv - n_j[:, None, None] * ada)
    g_sb = n_j[:, None, None] * (a_inv - n_j[:, None, None] * ada)
    return np.hstack([n_j[:, None] * ad, -0.5 * _vech_gradient(g_sw), -0.5 * _vech_gradient(g_sb)])


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
    lav_mvnorm_cluster_em_estepb): from Sigma_W = Sigma_B = I and zero means, treat each cluster's between
    component v_j as missing; E-step its posterior mean E v_j = mu_B + Sigma_B (A_j / n_j)^-1 (ybar_j - mu) and
    covariance Sigma_B - Sigma_B (A_j / n_j)^-1 Sigma_B; M-step the within and between moments (the rows of
    within-only variables in Sigma_B start at 0 and stay there, as lavaan's). Stops, as lavaan,
    when the log-likelihood rises by less than 1e-4, so that the unrestricted log-likelihood (and the chi-square)
    are lavaan's to the digit."""
    p = stats.p
    moments = (np.eye(p), np.diag(stats.between.astype(float)), np.zeros(p), np.zeros(p))
    fx_old = fx = loglik(stats, pack(moments[2] + moments[3], moments[0], moments[1]))
    iteration = 0
    while iteration < EM_MAX_ITER:
        iteration += 1
        moments = _em_step(stats, *moments)
        sw, sb, mu_w, mu_b = moments
        fx = loglik(stats, pack(mu_w + mu_b, sw, sb))
        if fx - fx_old < EM_TOL:
            break
        fx_old = fx
    sw, sb, mu_w, mu_b = moments
    return SaturatedFit(mu_w + mu_b, sw, sb, fx, iteration)


def _em_step(stats: ClusterStats, sw, sb, mu_w, mu_b) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One E-step and M-step of :func:`em_saturated` (vectorised over the clusters and their sizes)."""
    n_j, ybar = stats.sizes.astype(float), stats.means
    a = sw[None] + stats.size_values[:, None, None] * sb[None]
    omega_inv = stats.size_values[:, None, None] * np.linalg.inv(a)  # (A_k / n_k)^-1
    gain = sb[None] @ omega_inv  # Sigma_B (A_k / n_k)^-1
    ev = mu_b + np.einsum("jab,jb->ja", gain[stats.size_of], ybar - (mu_w + mu_b))
    cov_v = sb[None] - gain @ sb[None]
    cov_v = (cov_v + np.transpose(cov_v, (0, 2, 1))) / 2
    cov_sum = np.einsum("k,kab->ab", stats.size_counts.astype(float), cov_v)
    cov_weighted = np.einsum("k,kab->ab", (stats.size_counts * stats.size_values).astype(float), cov_v)
    mu_w = (n_j @ (ybar - ev)) / stats.n_obs
    mu_b = ev.mean(axis=0)
    sb = (cov_sum + ev.T @ ev) / stats.n_clusters - np.outer(mu_b, mu_b)
    cross = (n_j[:, None] * ybar).T @ ev
    cw2 = cov_weighted + (n_j[:, None] * ev).T @ ev - cross - cross.T
    sw = (stats.y.T @ stats.y + cw2) / stats.n_obs - np.outer(mu_w, mu_w)
    return sw, sb, mu_w, mu_b
