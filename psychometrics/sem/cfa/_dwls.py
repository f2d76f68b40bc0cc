"""DWLS estimation of models for ordinal items (lavaan 0.6-14's estimator="WLSMV": DWLS estimates, robust.sem
standard errors, the scaled-and-shifted test statistic) in the delta parameterisation.

Model (Muthen 1984; lavaan's delta parameterisation): the latent responses y* follow the LISREL model with
``Sigma = Lambda A Lambda' + Theta`` and ``mu = nu + Lambda (I - B)^-1 alpha``; the scaling factors ``delta`` are
the inverse standard deviations of y*, so the residual variances are not parameters (``theta_ii = 1/delta_i^2 -
(Lambda A Lambda')_ii``). Implied moments per group: thresholds ``delta_i (tau_ik - mu_i)`` and correlations
``delta_i delta_j Sigma_ij``.

Discrepancy ``F_g = (s_g - sigma_g)' W_g (s_g - sigma_g)`` with ``W_g = diag(NACOV_g)^-1``; the objective is
``sum_g (N_g - 1)/N F_g`` and the test statistic ``N`` times it (lavaan's DWLS fx.group = (N_g - 1)/N_g F_g / 2
and chisq = 2 N fmin). With ``Delta_g`` the
Jacobian of the moments, ``A = sum_g (N_g/N) Delta_g' W_g Delta_g`` (lavaan's expected information):
robust.sem standard errors ``vcov = A^-1 [sum_g (N_g/N) Delta_g' W_g Gamma_g W_g Delta_g] A^-1 / N``;
scaled-shifted statistic (Asparouhov & Muthen 2010; lavaan's lav_test_satorra_bentler): with
``U = V - V Delta A^-1 Delta' V`` (``V = bdiag(N_g/N W_g)``) and ``Gamma = bdiag(N/N_g Gamma_g)``, ``a =
sqrt(df / tr((U Gamma)^2))``, ``chisq_scaled = a chisq + df - a tr(U Gamma)`` and the scaling factor ``1/a``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import stats as st

from ._categorical import CategoricalStats, pair_indices
from ._fitmeasures import cfi, rmsea, rmsea_ci, rmsea_pvalue, tli
from ._model import GroupMatrices, LisrelModel
from ._partable import table_columns


class CategoricalModel:
    """Free parameters -> latent-response moments of ordinal items (thresholds and correlations) per group.

    ``table`` is the full parameter table; rows with ``matrix`` "tau" (thresholds, ``row`` = position in the
    group's threshold vector) and "delta" (scaling factors, ``row`` = item) are handled here, the others by the
    LISREL model ``lisrel``, whose free parameters are the first ``lisrel.n_free`` entries of ``x``.
    """

    def __init__(self, table, lisrel: LisrelModel, threshold_item: list[np.ndarray]):
        self.table, self.lisrel = table, lisrel
        self.columns = table_columns(table)
        self.p, self.n_groups = lisrel.p, lisrel.n_groups
        self.n_free = int(table["x"].max()) + 1
        self.threshold_item = threshold_item
        self.pair_rows, self.pair_cols = pair_indices(lisrel.p)
        self._vech_pairs = np.flatnonzero(lisrel.vech_rows != lisrel.vech_cols)
        columns = {c: table[c].to_numpy() for c in ("group", "matrix", "row", "x", "ustart")}
        self._extra = {}
        for name in ("tau", "delta"):
            for g in range(self.n_groups):
                pick = (columns["matrix"] == name) & (columns["group"] == g)
                self._extra[name, g] = (columns["row"][pick].astype(int), columns["x"][pick].astype(int),
                                        columns["ustart"][pick].astype(float))

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
        rows = self.table["x"].to_numpy(int)
        out = np.where(rows >= 0, x[np.maximum(rows, 0)], self.table["ustart"].to_numpy(float))
        matrix, r, c = (self.table[k].to_numpy() for k in ("matrix", "row", "col"))
        group = self.table["group"].to_numpy(int)
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

    def jacobian(self, x: np.ndarray, group: int) -> np.ndarray:
        """d(moments of ``group``)/dx (moments x free parameters), analytic."""
        lisrel, k = self.lisrel, self.lisrel.n_free
        mats = self._lisrel_matrices(x, group)
        inner = lisrel.element_jacobian(x[:k], group, lisrel.own_elements(group)) @ lisrel.incidence(group)
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


@dataclasses.dataclass(frozen=True)
class DWLSProblem:
    """The DWLS estimation problem (the interface of ``_estimation.Problem`` used by ``minimize``)."""

    model: CategoricalModel
    stats: tuple[CategoricalStats, ...]

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
        """(N_g - 1) / N: the group weights of the objective (lavaan's DWLS fx.group = (N_g - 1)/N_g F_g / 2)."""
        n = np.array([s.n_obs for s in self.stats], float)
        return (n - 1) / n.sum()

    def residuals(self, x: np.ndarray, group: int) -> np.ndarray:
        return self.stats[group].moments - self.model.moments(x, group)

    def group_values(self, x: np.ndarray) -> np.ndarray:
        """F_g = (s - sigma)' W (s - sigma) per group."""
        return np.array([s.weights @ self.residuals(x, g) ** 2 for g, s in enumerate(self.stats)])

    def objective(self, x: np.ndarray) -> float:
        return float(self.weights @ self.group_values(x))

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return sum(-2 * w * self.model.jacobian(x, g).T @ (s.weights * self.residuals(x, g))
                   for g, (w, s) in enumerate(zip(self.weights, self.stats)))

    def expected_information(self, x: np.ndarray, fractions: bool = False) -> np.ndarray:
        """sum_g w_g Delta_g' W_g Delta_g: with the objective's weights half its Gauss-Newton Hessian, with
        ``fractions`` (w_g = N_g/N) lavaan's expected information."""
        out = np.zeros((self.model.n_free, self.model.n_free))
        for g, (w, s) in enumerate(zip(self.fractions if fractions else self.weights, self.stats)):
            jac = self.model.jacobian(x, g)
            out += w * jac.T @ (s.weights[:, None] * jac)
        return out

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Gauss-Newton Hessian (the residuals' curvature is dropped: DWLS residuals are small at the optimum)."""
        return 2 * self.expected_information(x)

    def robust_vcov(self, x: np.ndarray) -> np.ndarray:
        """lavaan's se = "robust.sem": A^-1 B A^-1 / N with B = sum_g (N_g/N) Delta' W Gamma W Delta."""
        bread = np.linalg.inv(self.expected_information(x, fractions=True))
        meat = np.zeros_like(bread)
        for g, (w, s) in enumerate(zip(self.fractions, self.stats)):
            wd = s.weights[:, None] * self.model.jacobian(x, g)
            meat += w * wd.T @ s.nacov @ wd
        return bread @ meat @ bread / self.n_total

    def ugamma_traces(self, x: np.ndarray) -> tuple[float, float]:
        """tr(U Gamma) and tr((U Gamma)^2) of lavaan's lav_test_satorra_bentler_trace_original."""
        v = np.concatenate([w * s.weights for w, s in zip(self.fractions, self.stats)])
        delta = np.vstack([self.model.jacobian(x, g) for g in range(len(self.stats))])
        vd = v[:, None] * delta
        u = np.diag(v) - vd @ np.linalg.solve(self.expected_information(x, fractions=True), vd.T)
        return _traces(u, self.stats, self.fractions)


def _traces(u: np.ndarray, stats, weights) -> tuple[float, float]:
    gamma = np.zeros_like(u)
    start = 0
    for w, s in zip(weights, stats):
        size = len(s.nacov)
        gamma[start:start + size, start:start + size] = s.nacov / w
        start += size
    ug = u @ gamma
    return float(np.trace(ug)), float(np.sum(ug * ug.T))


def scaled_shifted(chisq: float, df: int, trace: float, trace2: float) -> tuple[float, float, float]:
    """(chisq_scaled, scaling factor 1/a, shift) of the mean-and-variance adjusted statistic."""
    a = np.sqrt(df / trace2)
    shift = df - a * trace
    return float(a * chisq + shift), float(1 / a), float(shift)


def _baseline(problem: DWLSProblem) -> tuple[float, int, float]:
    """Independence model (free thresholds, zero correlations): chisq, df and its scaled-shifted statistic.

    Its thresholds fit exactly and, W being diagonal, U keeps only the correlations' block of V."""
    chisq, trace, trace2 = 0.0, 0.0, 0.0
    for s in problem.stats:
        n_th = len(s.thresholds)
        w_cor = s.weights[n_th:]
        chisq += (s.n_obs - 1) * w_cor @ s.moments[n_th:] ** 2
        ug = w_cor[:, None] * s.nacov[n_th:, n_th:]
        trace += np.trace(ug)
        trace2 += np.sum(ug * ug.T)
    df = len(problem.stats) * len(problem.model.pair_rows)
    return float(chisq), df, scaled_shifted(chisq, df, trace, trace2)[0]


def _srmr(problem: DWLSProblem, x: np.ndarray) -> float:
    """lavaan's srmr for ordinal items: root mean squared correlation residual (vech with the zero diagonal)."""
    p = problem.model.p
    values = [np.sqrt(np.sum(problem.residuals(x, g)[len(s.thresholds):] ** 2) / (p * (p + 1) / 2))
              for g, s in enumerate(problem.stats)]
    return float(problem.fractions @ np.array(values))


def dwls_fit_measures(problem: DWLSProblem, x: np.ndarray) -> dict[str, float]:
    """fitMeasures() of a WLSMV fit: standard and scaled-shifted chi-square, CFI, TLI, RMSEA, SRMR."""
    groups, npar = len(problem.stats), problem.model.n_free
    n = problem.n_total - groups  # lavaan's lav_utils_get_ntotal for estimators other than ML
    chisq = max(float(sum((s.n_obs - 1) * f for s, f in zip(problem.stats, problem.group_values(x)))), 0.0)
    df = groups * problem.model.n_data_moments - npar
    scaled, factor, shift = scaled_shifted(chisq, df, *problem.ugamma_traces(x)) if df > 0 else (chisq, np.nan, 0.0)
    base, base_df, base_scaled = _baseline(problem)
    lower, upper = rmsea_ci(chisq, df, n, groups)
    return {
        "npar": npar,
        "chisq": chisq,
        "df": df,
        "pvalue": float(st.chi2.sf(chisq, df)) if df > 0 else np.nan,
        "chisq_scaled": scaled,
        "df_scaled": df,
        "pvalue_scaled": float(st.chi2.sf(scaled, df)) if df > 0 else np.nan,
        "chisq_scaling_factor": factor,
        "chisq_shift_parameter": shift,
        "baseline_chisq": base,
        "baseline_df": base_df,
        "baseline_pvalue": float(st.chi2.sf(base, base_df)),
        "baseline_chisq_scaled": base_scaled,
        "cfi": float(cfi(chisq, df, base, base_df)),
        "tli": float(tli(chisq, df, base, base_df)),
        "cfi_scaled": float(cfi(scaled, df, base_scaled, base_df)),
        "tli_scaled": float(tli(scaled, df, base_scaled, base_df)),
        "logl": np.nan,
        "unrestricted_logl": np.nan,
        "aic": np.nan,
        "bic": np.nan,
        "bic2": np.nan,
        "ntotal": problem.n_total,
        "rmsea": rmsea(chisq, df, n, groups),
        "rmsea_ci_lower": lower,
        "rmsea_ci_upper": upper,
        "rmsea_pvalue": rmsea_pvalue(chisq, df, n, groups),
        "rmsea_scaled": rmsea(scaled, df, n, groups),
        "srmr": _srmr(problem, x),
    }


def _stacked_jacobian(problem: DWLSProblem, x: np.ndarray) -> np.ndarray:
    return np.vstack([problem.model.jacobian(x, g) for g in range(len(problem.stats))])


def satorra_2000(free: tuple[DWLSProblem, np.ndarray, float, int],
                 restricted: tuple[DWLSProblem, np.ndarray, float, int]) -> tuple[float, int, float]:
    """Scaled-shifted chi-square difference test of nested WLSMV fits (Satorra 2000; lavaan's lavTestLRT with
    method "satorra.2000", lav_test_diff_Satorra2000 with A.method = "delta").

    Each argument is (problem, solution, chisq, df). The restricted model's Jacobian ``Delta0`` is projected on
    the free model's, ``H = Delta1^+ Delta0``, and the rows of ``A`` span the left null space of ``H`` (the
    directions the restricted model cannot move in). With ``P`` the free model's information,
    ``M = P^-1 A' (A P^-1 A')^+ A P^-1`` and ``U = V Delta1 M Delta1' V`` (``V = bdiag(W_g)``, ``Gamma =
    bdiag(N_g/N Gamma_g)``): ``a = sqrt(m / tr((U Gamma)^2))``, ``T = a (T0 - T1) + m - a tr(U Gamma)`` with
    ``m`` the difference in degrees of freedom. Returns (T, m, p-value).
    """
    (problem, x1, chisq1, df1), (problem0, x0, chisq0, df0) = free, restricted
    m = df0 - df1
    if m <= 0:
        return chisq0 - chisq1, m, np.nan
    delta1 = _stacked_jacobian(problem, x1)
    h = np.linalg.pinv(delta1) @ _stacked_jacobian(problem0, x0)
    left, values, _ = np.linalg.svd(h)
    rank = int(np.sum(values > max(h.shape) * np.finfo(float).eps * values.max()))
    a = left[:, rank:].T
    p_inv = np.linalg.inv(problem.expected_information(x1, fractions=True))
    apa = a @ p_inv @ a.T
    middle = p_inv @ a.T @ np.linalg.pinv(apa) @ a @ p_inv
    v = np.concatenate([s.weights for s in problem.stats])
    vd = v[:, None] * delta1
    u = vd @ middle @ vd.T
    trace, trace2 = _traces(u, problem.stats, 1 / problem.fractions)
    scale = np.sqrt(m / trace2)
    statistic = float(scale * (chisq0 - chisq1) + m - scale * trace)
    return statistic, m, float(st.chi2.sf(statistic, m))
