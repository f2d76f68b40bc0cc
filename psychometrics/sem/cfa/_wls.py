"""Weighted least squares (lavaan 0.6-14's WLS, DWLS and ULS discrepancies) and the model of ordered items.

Ordered items (Muthen 1984; lavaan's delta parameterisation): the latent responses y* follow the LISREL model with
``Sigma = Lambda A Lambda' + Theta`` and ``mu = nu + Lambda (I - B)^-1 alpha``; the scaling factors ``delta`` are
the inverse standard deviations of y*, so the residual variances are not parameters (``theta_ii = 1/delta_i^2 -
(Lambda A Lambda')_ii``). Implied moments per group: thresholds ``delta_i (tau_ik - mu_i)`` and correlations
``delta_i delta_j Sigma_ij`` (:class:`CategoricalModel`).

Discrepancy ``F_g = (s_g - sigma_g)' W_g (s_g - sigma_g)`` with ``W_g`` = NACOV^-1 (WLS), diag(NACOV)^-1 (DWLS) or
the identity (ULS); the objective is ``sum_g (N_g - 1)/N F_g`` and the test statistic ``N`` times it (lavaan's
fx.group = (N_g - 1)/N_g F_g / 2 and chisq = 2 N fmin) (:class:`WLSProblem`). Standard errors and the scaled tests
(``_robust``, ``_tests``) read the problem's Jacobians, weight matrices and NACOV.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats as st

from ..._blas import small_matrices
from ._categorical import pair_indices
from ._model import GroupMatrices, LisrelModel
from ._tests import block_diag


class CategoricalModel:
    """Free parameters -> latent-response moments of ordinal items (thresholds and correlations) per group.

    ``table`` is the full parameter table; rows with ``matrix`` "tau" (thresholds, ``row`` = position in the
    group's threshold vector) and "delta" (scaling factors, ``row`` = item) are handled here, the others by the
    LISREL model ``lisrel``, whose free parameters are the first ``lisrel.n_free`` entries of ``x``.
    """

    def __init__(self, columns: dict, lisrel: LisrelModel, threshold_item: list[np.ndarray]):
        self.columns, self.lisrel = columns, lisrel
        self.p, self.n_groups = lisrel.p, lisrel.n_groups
        self.n_free = int(columns["x"].max()) + 1
        self.threshold_item = threshold_item
        self.pair_rows, self.pair_cols = pair_indices(lisrel.p)
        self._vech_pairs = np.flatnonzero(lisrel.vech_rows != lisrel.vech_cols)
        self._extra = {}
        for name in ("tau", "delta"):
            for g in range(self.n_groups):
                pick = (columns["matrix"] == name) & (columns["group"] == g)
                self._extra[name, g] = (
                    columns["row"][pick].astype(int),
                    columns["x"][pick].astype(int),
                    columns["ustart"][pick].astype(float),
                )

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The parameter table (lhs, op, rhs, group, ..., x, matrix, row, col)."""
        return pd.DataFrame(self.columns)

    @property
    def n_data_moments(self) -> int:
        return len(self.threshold_item[0]) + len(self.pair_rows)

    def n_moments(self, group: int) -> int:
        return len(self.threshold_item[group]) + len(self.pair_rows)

    def _vector(self, x: np.ndarray, group: int, name: str) -> np.ndarray:
        rows, index, fixed = self._extra[name, group]
        out = np.zeros(len(self.threshold_item[group]) if name == "tau" else self.p)
        out[rows] = np.where(index >= 0, x[np.maximum(index, 0)], fixed)
        return out

    def _lisrel_matrices(self, x: np.ndarray, group: int) -> GroupMatrices:
        return self.lisrel.matrices(x[: self.lisrel.n_free], group)

    def matrices(self, x: np.ndarray, group: int) -> GroupMatrices:
        """LISREL matrices of the latent responses, Theta's diagonal set to 1/delta^2 - diag(Lambda A Lambda')."""
        mats = self._lisrel_matrices(x, group)
        theta = mats.theta.copy()
        common = np.einsum("ij,jk,ik->i", mats.lambda_, mats.lv_cov(), mats.lambda_)
        np.fill_diagonal(theta, 1 / self._vector(x, group, "delta") ** 2 - common)
        return GroupMatrices(mats.lambda_, theta, mats.psi, mats.beta, mats.nu, mats.alpha)

    def values(self, x: np.ndarray) -> np.ndarray:
        """Value of every table row; the (non-free) residual variances of the items as implied by the model."""
        rows = self.columns["x"].astype(int)
        out = np.where(rows >= 0, x[np.maximum(rows, 0)], self.columns["ustart"].astype(float))
        matrix, r, c = (self.columns[k] for k in ("matrix", "row", "col"))
        group = self.columns["group"].astype(int)
        for g in range(self.n_groups):
            pick = np.flatnonzero((group == g) & (matrix == "theta") & (r == c) & (rows < 0))
            out[pick] = np.diag(self.matrices(x, g).theta)[r[pick].astype(int)]
        return out

    def moments(self, x: np.ndarray, group: int) -> np.ndarray:
        """Implied thresholds delta_i (tau - mu_i), then correlations delta_i delta_j Sigma_ij."""
        mats = self._lisrel_matrices(x, group)
        delta, item = self._vector(x, group, "delta"), self.threshold_item[group]
        thresholds = delta[item] * (self._vector(x, group, "tau") - mats.mu()[item])
        r, c = self.pair_rows, self.pair_cols
        return np.concatenate([thresholds, delta[r] * delta[c] * mats.sigma()[r, c]])

    def baseline_jacobian(self, stats) -> np.ndarray:
        """The independence model's Jacobian: free thresholds, zero correlations (moments x thresholds)."""
        n_th = len(stats.thresholds)
        return np.vstack([np.eye(n_th), np.zeros((len(self.pair_rows), n_th))])

    def jacobian(self, x: np.ndarray, group: int) -> np.ndarray:
        """d(moments of ``group``)/dx (moments x free parameters), analytic."""
        lisrel, k = self.lisrel, self.lisrel.n_free
        mats = self._lisrel_matrices(x, group)
        inner = lisrel.to_free(lisrel.element_jacobian(x[:k], group, lisrel.own_elements(group)), group)
        delta, item = self._vector(x, group, "delta"), self.threshold_item[group]
        tau, mu, sigma = self._vector(x, group, "tau"), mats.mu(), mats.sigma()
        r, c, n_th = self.pair_rows, self.pair_cols, len(item)
        out = np.zeros((self.n_moments(group), self.n_free))
        out[:n_th, :k] = -delta[item][:, None] * inner[item]
        out[n_th:, :k] = (delta[r] * delta[c])[:, None] * inner[self.p + self._vech_pairs]
        rows, index, _ = self._extra["tau", group]
        free = index >= 0
        np.add.at(out, (rows[free], index[free]), delta[item[rows[free]]])
        rows, index, _ = self._extra["delta", group]
        for i, column in zip(rows[index >= 0], index[index >= 0]):
            out[np.flatnonzero(item == i), column] += tau[item == i] - mu[i]
            out[n_th + np.flatnonzero(r == i), column] += delta[c[r == i]] * sigma[i, c[r == i]]
            out[n_th + np.flatnonzero(c == i), column] += delta[r[c == i]] * sigma[r[c == i], i]
        return out


def weight_matrix(nacov: np.ndarray, discrepancy: str) -> np.ndarray:
    """The weight matrix of a group (lavaan's WLS.V): ``NACOV^-1`` (WLS), its diagonal ``1 / diag(NACOV)`` (DWLS)
    or ones (ULS); the last two as 1-D arrays (diagonal weights)."""
    if discrepancy == "WLS":
        return np.linalg.inv(nacov)
    if discrepancy == "DWLS":
        return 1.0 / np.diag(nacov)
    return np.ones(len(nacov))


def _weighted(w: np.ndarray, m: np.ndarray) -> np.ndarray:
    """W m for a full or a diagonal (1-D) weight matrix."""
    return w[:, None] * m if w.ndim == 1 and m.ndim == 2 else (w * m if w.ndim == 1 else w @ m)


@dataclasses.dataclass(frozen=True)
class WLSProblem:
    """The (D/U)WLS estimation problem (the interface of ``_estimation.Problem`` used by ``minimize``).

    ``model`` maps parameters to the moments of each group and their Jacobian (``moments``, ``jacobian``);
    ``stats`` hold the sample ``moments`` and their ``nacov``; ``w`` the weight matrices (:func:`weight_matrix`).
    ``F_g = (s_g - sigma_g)' W_g (s_g - sigma_g)``, objective ``sum_g (N_g - 1)/N F_g`` (lavaan's fx.group =
    (N_g - 1)/N_g F_g / 2, with chisq = 2 N fmin)."""

    model: CategoricalModel | LisrelModel
    stats: tuple[Any, ...]
    w: tuple

    @property
    def n_total(self) -> int:
        return int(sum(s.n_obs for s in self.stats))

    @property
    def fractions(self) -> np.ndarray:
        """N_g / N: the group weights of the information, the robust covariance and the test statistic."""
        n = np.array([s.n_obs for s in self.stats], float)
        return n / n.sum()

    @property
    def weights(self) -> np.ndarray:
        """(N_g - 1) / N: the group weights of the objective."""
        n = np.array([s.n_obs for s in self.stats], float)
        return (n - 1) / n.sum()

    @property
    def chisq_factors(self) -> np.ndarray:
        """N_g - 1: a group's chi-square is (N_g - 1) F_g."""
        return np.array([s.n_obs - 1 for s in self.stats], float)

    def residuals(self, x: np.ndarray, group: int) -> np.ndarray:
        return self.stats[group].moments - self.model.moments(x, group)

    def group_values(self, x: np.ndarray) -> np.ndarray:
        """F_g = (s - sigma)' W (s - sigma) per group."""
        out = []
        for g, w in enumerate(self.w):
            r = self.residuals(x, g)
            out.append(r @ _weighted(w, r))
        return np.array(out)

    def objective(self, x: np.ndarray) -> float:
        return float(self.weights @ self.group_values(x))

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return sum(
            (
                -2 * c * self.model.jacobian(x, g).T @ _weighted(w, self.residuals(x, g))
                for g, (c, w) in enumerate(zip(self.weights, self.w))
            ),
            np.zeros(self.model.n_free),
        )

    def expected_information(self, x: np.ndarray, fractions: bool = False) -> np.ndarray:
        """sum_g c_g Delta_g' W_g Delta_g: with the objective's weights half its Gauss-Newton Hessian, with
        ``fractions`` (c_g = N_g/N) lavaan's expected information."""
        out = np.zeros((self.model.n_free, self.model.n_free))
        for g, (c, w) in enumerate(zip(self.fractions if fractions else self.weights, self.w)):
            jac = self.model.jacobian(x, g)
            used = np.flatnonzero(jac.any(axis=0))  # the parameters the group's moments depend on
            part = jac[:, used]
            out[np.ix_(used, used)] += c * part.T @ _weighted(w, part)
        return out

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Gauss-Newton Hessian (the residuals' curvature is dropped: WLS residuals are small at the optimum)."""
        return 2 * self.expected_information(x)

    def unit_information(self, x: np.ndarray) -> np.ndarray:
        """lavaan's (expected) information, groups weighted by N_g / N."""
        return self.expected_information(x, fractions=True)

    def deltas(self, x: np.ndarray) -> list[np.ndarray]:
        return [self.model.jacobian(x, g) for g in range(len(self.stats))]

    def weight_blocks(self, x: np.ndarray) -> tuple:
        """Each group's weight matrix (lavaan's WLS.V; 1-D when diagonal)."""
        return self.w

    def weighted_square(self, x: np.ndarray, group: int, vector: np.ndarray) -> float:
        """``v' W_g v``."""
        return float(vector @ _weighted(self.w[group], vector))

    def gammas(self) -> list[np.ndarray]:
        """Each group's NACOV (the asymptotic covariance of sqrt(N_g) times the sample moments)."""
        return [s.nacov for s in self.stats]

    def baseline_jacobians(self) -> list[np.ndarray]:
        """Each group's Jacobian of the baseline (independence) model: for ordered items free thresholds and zero
        correlations (lavaan's baseline for categorical data), for continuous items free means and variances."""
        return [self.model.baseline_jacobian(s) for s in self.stats]

    def baseline_weights(self) -> tuple:
        return self.w

    def baseline_chisq(self) -> tuple[float, int]:
        """The baseline model is linear in its parameters, so its minimum is ``r' U r`` with ``U = W - W D (D' W
        D)^-1 D' W`` (D its Jacobian, r the sample moments)."""
        chisq, df = 0.0, 0
        for c, w, s, d in zip(self.chisq_factors, self.w, self.stats, self.baseline_jacobians()):
            chisq += c * s.moments @ _projected_weight(w, d) @ s.moments
            df += len(d) - d.shape[1]
        return float(chisq), df


def _projected_weight(w: np.ndarray, d: np.ndarray) -> np.ndarray:
    """U = W - W D (D' W D)^-1 D' W (W full or diagonal)."""
    wfull = np.diag(w) if w.ndim == 1 else w
    wd = wfull @ d
    return wfull - wd @ np.linalg.solve(d.T @ wd, wd.T)


def _stacked_jacobian(problem, x: np.ndarray) -> np.ndarray:
    return np.vstack(problem.deltas(x))


@small_matrices  # parameters x parameters and one moments x parameters pinv: one BLAS thread (_blas)
def satorra_2000(free: tuple, restricted: tuple) -> tuple[float, int, float]:
    """Scaled-shifted chi-square difference test of nested WLSMV fits (Satorra 2000; lavaan's lavTestLRT with
    method "satorra.2000", lav_test_diff_Satorra2000 with A.method = "delta").

    Each argument is (problem, solution, chisq, df). The restricted model's Jacobian ``Delta0`` is projected on
    the free model's, ``H = Delta1^+ Delta0``, and the rows of ``A`` span the left null space of ``H`` (the
    directions the restricted model cannot move in). With ``P`` the free model's information,
    ``M = P^-1 A' (A P^-1 A')^+ A P^-1`` and ``U = V Delta1 M Delta1' V`` (``V = bdiag(W_g)``, ``Gamma =
    bdiag(N_g/N Gamma_g)``): ``a = sqrt(m / tr((U Gamma)^2))``, ``T = a (T0 - T1) + m - a tr(U Gamma)`` with
    ``m`` the difference in degrees of freedom. The traces are taken in parameter space, ``tr(U Gamma) = tr(M B)``
    and ``tr((U Gamma)^2) = tr((M B)^2)`` with ``B = Delta1' V Gamma V Delta1 = sum_g N_g/N (W_g Delta1_g)' Gamma_g
    (W_g Delta1_g)`` (the cyclic property of the trace), without forming the moments-sized ``U``.
    Returns (T, m, p-value).
    """
    (problem, x1, chisq1, df1), (problem0, x0, chisq0, df0) = free, restricted
    m = df0 - df1
    if m <= 0:
        return chisq0 - chisq1, m, np.nan
    deltas = problem.deltas(x1)
    h = np.linalg.pinv(np.vstack(deltas)) @ _stacked_jacobian(problem0, x0)
    left, values, _ = np.linalg.svd(h)
    rank = int(np.sum(values > max(h.shape) * np.finfo(float).eps * values.max()))
    a = left[:, rank:].T
    p_inv = np.linalg.inv(problem.unit_information(x1))
    apa = a @ p_inv @ a.T
    middle = p_inv @ a.T @ np.linalg.pinv(apa) @ a @ p_inv
    b = np.zeros_like(middle)
    for f, w, d, gamma in zip(problem.fractions, problem.weight_blocks(x1), deltas, problem.gammas()):
        wd = _weighted(w, d)
        b += f * wd.T @ gamma @ wd
    mb = middle @ b
    trace, trace2 = float(np.trace(mb)), float(np.sum(mb * mb.T))
    scale = np.sqrt(m / trace2)
    statistic = float(scale * (chisq0 - chisq1) + m - scale * trace)
    return statistic, m, float(st.chi2.sf(statistic, m))


def _correlation_information(sigma: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Expected unit ML information of the correlations below the diagonal at ``sigma``: D'(W kron W)D / 2 on
    their vech positions (lavaan's h1 information with correlation = TRUE)."""
    w = np.linalg.inv(sigma)
    return w[np.ix_(rows, rows)] * w[np.ix_(cols, cols)] + w[np.ix_(rows, cols)] * w[np.ix_(cols, rows)]


def categorical_robust_inputs(
    problem: WLSProblem, x: np.ndarray, e_inv: np.ndarray, df: float, base_df: float, constraint_rank: int = 0
) -> dict | None:
    """The robust CFI/TLI/RMSEA inputs of ordered items (lavaan 0.6-14's lav_fit_catml_dwls; Savalei 2021).

    The DWLS solution is read as an ML model of the polychoric correlations ("catML", not refitted): ``XX3 =
    sum_g N_g F_ML(R_g, P_g)`` with ``P_g`` the implied correlations, on ``df3`` = correlations - free parameters
    other than thresholds and intercepts, plus the rank of general equality constraints; ``c3 = tr(WiU' V WiU Gamma) / df3`` with ``WiU = I - Delta E^-1 Delta'
    W`` (correlation rows, ``W = bdiag(f_g W_g)`` the DWLS weights, ``E`` the DWLS information), ``V = bdiag(f_g
    V_g)`` the ML information of the correlations at ``P_g`` and ``Gamma = bdiag(Gamma_g / f_g)``; the baseline
    ``XX3_0 = -sum_g N_g log|R_g|`` on ``G p(p-1)/2`` degrees of freedom with ``c3_0 = tr(Gamma) / df3_0``.
    None (lavaan: NA) when a polychoric matrix is not positive definite or thresholds or intercepts are
    constrained (lavaan's catML refit then fails)."""
    model = cast(CategoricalModel, problem.model)  # the robust inputs of ordered items
    columns = model.columns
    removed = np.isin(columns["op"], ["|", "~1"])
    x_index = columns["x"]
    if np.isin(x_index[removed & (x_index >= 0)], x_index[~removed]).any() or _shared(x_index[removed]):
        return None
    if any(np.linalg.eigvalsh(s.correlation).min() < np.sqrt(np.finfo(float).eps) for s in problem.stats):
        return None
    rows, cols = model.pair_rows, model.pair_cols
    p, n_groups = model.p, len(problem.stats)
    xx3 = xx3_null = 0.0
    w_blocks, v_blocks, gammas, deltas = [], [], [], []
    for g, (f, s, w) in enumerate(zip(problem.fractions, problem.stats, problem.w)):
        n_th = len(s.thresholds)
        implied = np.eye(p)
        implied[rows, cols] = implied[cols, rows] = model.moments(x, g)[n_th:]
        xx3 += s.n_obs * (
            np.linalg.slogdet(implied)[1]
            + np.sum(s.correlation * np.linalg.inv(implied))
            - np.linalg.slogdet(s.correlation)[1]
            - p
        )
        xx3_null -= s.n_obs * np.linalg.slogdet(s.correlation)[1]
        w_cor = w[n_th:] if w.ndim == 1 else w[n_th:, n_th:]
        w_blocks.append(f * (np.diag(w_cor) if w_cor.ndim == 1 else w_cor))
        v_blocks.append(f * _correlation_information(implied, rows, cols))
        gammas.append(s.nacov[n_th:, n_th:] / f)
        deltas.append(model.jacobian(x, g)[n_th:])
    w_all, v_all, gamma_all, delta = block_diag(w_blocks), block_diag(v_blocks), block_diag(gammas), np.vstack(deltas)
    wiu = np.eye(len(w_all)) - delta @ e_inv @ delta.T @ w_all
    df3 = n_groups * len(rows) - len(np.unique(x_index[~removed & (x_index >= 0)])) + constraint_rank
    df3_null = n_groups * len(rows)
    # a just-identified model (df3 = 0) has nothing to scale: lavaan's robust CFI and TLI are then 1, RMSEA 0
    c3 = float(np.sum((wiu.T @ v_all @ wiu) * gamma_all.T)) / df3 if df3 > 0 else 1.0
    c3_null = float(np.trace(gamma_all)) / df3_null
    return {
        "xx3": xx3,
        "df3": df3,
        "xx3_scaled": xx3 / c3,
        "c_hat": c3,
        "xx3_null": xx3_null,
        "df3_null": df3_null,
        "c_hat_null": c3_null,
        "cfi_df": df,
        "cfi_df_null": base_df,
    }


def _shared(x_index: np.ndarray) -> bool:
    free = x_index[x_index >= 0]
    return len(np.unique(free)) < len(free)
