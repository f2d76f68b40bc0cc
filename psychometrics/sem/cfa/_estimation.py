"""Discrepancy functions, the optimiser and the information matrices.

The objective is ``f(x) = sum_g (N_g / N) F_g(x)`` with the per-group discrepancy ``F_g`` of the estimator, so that
the test statistic is ``N f`` (lavaan's likelihood="normal"). A discrepancy function works in *moment space*: it
returns ``F_g`` (``value``), its gradient with respect to the group's moments (means, vech(Sigma)) (``gradient``)
and the expected unit information of the moments (``information``); the model's Jacobian ``Delta_g``
(``LisrelModel.delta``) carries these to the parameters. ML also provides the same quantities directly for the
factored element derivatives (``element_gradient``, ``element_information``), which avoids forming Delta and
the p^2 x p^2 weight matrix. Other estimators (robust ML, WLS, FIML) plug in with the same methods.

The optimiser (``minimize``) takes Fisher-scoring steps (Gauss-Newton on the expected information) and then Newton
steps on the exact analytic Hessian, with step halving; written here because scipy's quasi-Newton methods start
from a poor Hessian guess, need many more function evaluations and stop less precisely than lavaan's nlminb.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from ...errors import ConvergenceError
from ._model import LisrelModel, vech_indices
from ._samplestats import SampleStats


def vech_pair_weights(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """vech row/col indices and scaling c (sqrt 2 off the diagonal, 1/sqrt 2 on it) for D'(W kron W)D."""
    rows, cols = vech_indices(p)
    scale = np.where(rows == cols, 1 / np.sqrt(2), np.sqrt(2))
    return rows, cols, scale


def duplication_quadratic(w: np.ndarray) -> np.ndarray:
    """D'(W kron W)D for symmetric W (D the duplication matrix), without forming the Kronecker product."""
    rows, cols, scale = vech_pair_weights(len(w))
    core = w[np.ix_(rows, rows)] * w[np.ix_(cols, cols)] + w[np.ix_(rows, cols)] * w[np.ix_(cols, rows)]
    return 0.5 * core * np.outer(scale, scale)


class MLDiscrepancy:
    """Normal-theory ML: ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p + (m - mu)' Sigma^-1 (m - mu)``."""

    name = "ML"

    def __init__(self):
        self._inverses: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _inverse(self, sigma: np.ndarray) -> np.ndarray:
        """Sigma^-1, kept for the last few Sigma arrays (the model caches them per point, and the value, gradient,
        information and Hessian at one point all invert the same one). Holding Sigma keeps its id unique."""
        hit = self._inverses.get(id(sigma))
        if hit is not None and hit[0] is sigma:
            return hit[1]
        if len(self._inverses) >= 16:
            self._inverses.clear()
        w = np.linalg.inv(sigma)
        w.flags.writeable = False
        self._inverses[id(sigma)] = (sigma, w)
        return w

    def value(self, stats: SampleStats, sigma: np.ndarray, mu: np.ndarray | None) -> float:
        """F_g, or +inf when Sigma is not positive definite."""
        try:
            chol = cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf
        log_det = 2 * np.log(np.diag(chol)).sum()
        w = self._inverse(sigma)
        value = log_det + np.sum(stats.cov * w) - stats.log_det_cov - len(sigma)
        if mu is not None:
            d = stats.mean - mu
            value += d @ w @ d
        return float(value)

    def gradient(self, stats: SampleStats, sigma: np.ndarray, mu: np.ndarray | None) -> np.ndarray:
        """dF/d(moments): means ``-2 W d``; vech ``(2 - delta_ij) [W - W (S + d d') W]_ij``."""
        w = self._inverse(sigma)
        d = np.zeros(len(sigma)) if mu is None else stats.mean - mu
        core = w - w @ (stats.cov + np.outer(d, d)) @ w
        rows, cols = vech_indices(len(sigma))
        vech = core[rows, cols] * np.where(rows == cols, 1.0, 2.0)
        return vech if mu is None else np.concatenate([-2 * w @ d, vech])

    def information(self, sigma: np.ndarray, meanstructure: bool) -> np.ndarray:
        """Expected unit information of the moments: ``Sigma^-1`` (means) and ``D'(W kron W)D / 2``."""
        w = self._inverse(sigma)
        cov_part = duplication_quadratic(w)
        if not meanstructure:
            return cov_part
        p, q = len(w), len(cov_part)
        out = np.zeros((p + q, p + q))
        out[:p, :p] = w
        out[p:, p:] = cov_part
        return out

    def element_gradient(self, stats: SampleStats, sigma: np.ndarray, mu: np.ndarray | None, deriv) -> np.ndarray:
        """dF/d(element) = 2 u' C v - 2 dmu' W d with C = W - W (S + d d') W (= Delta' gradient, without Delta)."""
        w = self._inverse(sigma)
        d = np.zeros(len(sigma)) if mu is None else stats.mean - mu
        core = w - w @ (stats.cov + np.outer(d, d)) @ w
        grad = 2 * np.einsum("ki,ij,kj->k", deriv.u, core, deriv.v)
        if deriv.dmu is not None:
            grad -= 2 * deriv.dmu @ (w @ d)
        return grad

    def element_information(self, sigma: np.ndarray, deriv) -> np.ndarray:
        """Expected unit information of elements: tr(W dS_k W dS_l) / 2 + dmu_k' W dmu_l.

        With ``L L' = W`` and ``u~ = L'u``: ``tr(W dS_k W dS_l) / 2 = (u~_k.u~_l)(v~_k.v~_l) + (u~_k.v~_l)(v~_k.u~_l)``,
        O(K^2 p) instead of forming D'(W kron W)D.
        """
        w = self._inverse(sigma)
        chol = cholesky(w)
        u, v = deriv.u @ chol, deriv.v @ chol
        uv = u @ v.T
        info = (u @ u.T) * (v @ v.T) + uv * uv.T
        if deriv.dmu is not None:
            m = deriv.dmu @ chol
            info += m @ m.T
        return info

    def element_hessian(
        self, stats: SampleStats, sigma: np.ndarray, mu: np.ndarray | None, deriv, curvature
    ) -> np.ndarray:
        """Exact Hessian of F with respect to elements (the observed information times 2).

        ``H_ab = -tr(W S_a W S_b) + tr(W S_a W A W S_b) + tr(W S_b W A W S_a) + 2 d'W S_a W mu_b + 2 d'W S_b W mu_a
        + 2 mu_a' W mu_b + curvature_ab`` with ``A = S + d d'``, ``S_a = u_a v_a' + v_a u_a'`` and ``curvature``
        the second derivatives of ``tr(C Sigma) - 2 w' mu`` (``LisrelModel.element_curvature``).
        """
        w = self._inverse(sigma)
        d = np.zeros(len(sigma)) if mu is None else stats.mean - mu
        q = w @ (stats.cov + np.outer(d, d)) @ w
        u, v = deriv.u, deriv.v
        wu, wv, qu, qv = u @ w, v @ w, u @ q, v @ q
        uwu, vwv, uwv = wu @ u.T, wv @ v.T, wu @ v.T
        expected = 2 * (uwu * vwv + uwv * uwv.T)
        cross = (qu @ v.T) * uwv.T + (qv @ v.T) * uwu + (qu @ u.T) * vwv + (qv @ u.T) * uwv
        hessian = -expected + cross + cross.T + curvature
        if deriv.dmu is not None:
            wd, dmu_w = w @ d, deriv.dmu @ w
            mean_cross = (u @ wd)[:, None] * (v @ dmu_w.T) + (v @ wd)[:, None] * (u @ dmu_w.T)
            hessian += 2 * (mean_cross + mean_cross.T) + 2 * dmu_w @ deriv.dmu.T
        return hessian


class Discrepancy(Protocol):
    """What every discrepancy function gives (:class:`MLDiscrepancy`, ``_fiml.FIMLDiscrepancy``)."""

    def value(self, stats: Any, sigma: np.ndarray, mu: np.ndarray | None, /) -> float: ...

    def gradient(self, stats: Any, sigma: np.ndarray, mu: np.ndarray | None, /) -> np.ndarray: ...

    def element_gradient(self, stats: Any, sigma: np.ndarray, mu: np.ndarray | None, deriv: Any, /) -> np.ndarray: ...


S = TypeVar("S", bound=SampleStats)
D = TypeVar("D", bound=Discrepancy)


@dataclasses.dataclass(frozen=True)
class Problem(Generic[S, D]):
    """What is estimated: the model, the groups' statistics and the discrepancy function."""

    model: LisrelModel
    stats: tuple[S, ...]
    discrepancy: D

    @property
    def _ml(self) -> MLDiscrepancy:
        """The discrepancy as ML's: the methods reading it are those a problem with another discrepancy
        (``FIMLProblem``) overrides."""
        return cast(MLDiscrepancy, self.discrepancy)

    @property
    def n_total(self) -> int:
        return int(round(sum(s.n_obs for s in self.stats)))  # weighted groups' sums add up to N

    @functools.cached_property  # writes the instance __dict__, so it works on this frozen dataclass
    def weights(self) -> np.ndarray:
        """Each group's share of the cases (read-only: the objective asks for it at every evaluation)."""
        n = np.array([s.n_obs for s in self.stats], float)
        weights = n / n.sum()
        weights.flags.writeable = False
        return weights

    def _moments(self, x: np.ndarray) -> Sequence[tuple[np.ndarray, np.ndarray | None]]:
        """(Sigma, mu) per group with a mean structure, else (Sigma, None): the model's implied means are not
        computed where the discrepancy ignores them (the optimiser asks at every point)."""
        model = self.model
        if model.meanstructure:
            return model.implied(x)
        return [(model.matrices(x, g).sigma(), None) for g in range(model.n_groups)]

    def warm_start(self, x: np.ndarray) -> tuple[np.ndarray, bool]:
        """A start at least as good as ``x`` and whether it is close enough to the optimum for Newton steps from
        the first iteration (``FIMLProblem`` fits the EM moments first); here ``x`` itself."""
        return x, False

    def group_values(self, x: np.ndarray) -> np.ndarray:
        """F_g per group."""
        return np.array([self.discrepancy.value(s, sigma, mu) for s, (sigma, mu) in zip(self.stats, self._moments(x))])

    def objective(self, x: np.ndarray) -> float:
        return float(self.weights @ self.group_values(x))

    @functools.cached_property
    def group_columns(self) -> tuple:
        """Per group: the free parameters its elements map to and its incidence restricted to them. A group's
        share of the gradient, information and Hessian touches those rows and columns only, so assembling them
        is linear in the number of groups (no dense (n_free x n_free) product per group)."""
        return tuple(self.model.incidence_columns(g) for g in range(self.model.n_groups))

    @functools.cached_property
    def blocks(self) -> BlockStructure:
        """The block-arrow structure of the information (parameters of one group, parameters shared by groups)."""
        return BlockStructure.from_columns([c for c, _ in self.group_columns], self.model.n_free)

    @functools.cached_property
    def _identity_incidence(self) -> tuple[bool, ...]:
        """Per group: whether its free elements are the free parameters, one each and in order (a single-group
        model without equality labels), so that its incidence is the identity."""
        n = self.model.n_free
        return tuple(local.shape == (n, n) and np.array_equal(local, np.eye(n)) for _, local in self.group_columns)

    def _add_group(self, total: np.ndarray, group: int, weight: float, part: np.ndarray) -> None:
        """total += weight * incidence_g' part (incidence_g) for a group's element vector or matrix ``part``."""
        columns, local = self.group_columns[group]
        if self._identity_incidence[group]:  # the same numbers without the products with the identity
            total += weight * part
        elif part.ndim == 1:
            total[columns] += weight * (local.T @ part)
        else:
            total[np.ix_(columns, columns)] += weight * (local.T @ part @ local)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """Analytic gradient of the objective: sum_g w_g Delta_g' dF_g/d(moments)."""
        model, total = self.model, np.zeros(self.model.n_free)
        for g, (w, s, (sigma, mu)) in enumerate(zip(self.weights, self.stats, self._moments(x))):
            deriv = model.element_derivatives(x, g, model.own_elements(g))
            self._add_group(total, g, w, self.discrepancy.element_gradient(s, sigma, mu, deriv))
        return total

    def expected_information(self, x: np.ndarray) -> np.ndarray:
        """Unit expected information sum_g w_g Delta_g' I_g Delta_g (lavaan's information="expected")."""
        model, total = self.model, np.zeros((self.model.n_free, self.model.n_free))
        for g, (w, s, (sigma, _)) in enumerate(zip(self.weights, self.stats, self._moments(x))):
            deriv = model.element_derivatives(x, g, model.own_elements(g))
            self._add_group(total, g, w, self._element_information(s, sigma, deriv))
        return total

    def _element_information(self, stats: SampleStats, sigma: np.ndarray, deriv) -> np.ndarray:
        """A group's unit expected information of the elements (incomplete data also need the statistics)."""
        return self._ml.element_information(sigma, deriv)

    def moment_information(self, stats: S, sigma: np.ndarray) -> np.ndarray:
        """A group's unit expected information of its moments (means, vech(Sigma))."""
        return self._ml.information(sigma, self.model.meanstructure)

    def _moment_gradient(self, stats: SampleStats, sigma: np.ndarray, mu: np.ndarray | None) -> tuple:
        """(C, W d): dF/dSigma = C (symmetric-matrix derivative) and dF/dmu = -2 W d (None without means)."""
        weight = self._ml._inverse(sigma)  # cached for this Sigma
        d = None if mu is None else stats.mean - mu
        c = weight - weight @ (stats.cov + (np.outer(d, d) if d is not None else 0)) @ weight
        return c, None if d is None else weight @ d

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Exact Hessian of the objective (analytic second derivatives)."""
        model, total = self.model, np.zeros((self.model.n_free, self.model.n_free))
        for g, (w, s, (sigma, mu)) in enumerate(zip(self.weights, self.stats, self._moments(x))):
            elements = model.own_elements(g)
            deriv = model.element_derivatives(x, g, elements)
            curvature = model.element_curvature(x, g, elements, *self._moment_gradient(s, sigma, mu))
            self._add_group(total, g, w, self._ml.element_hessian(s, sigma, mu, deriv, curvature))
        return total

    def observed_information(self, x: np.ndarray) -> np.ndarray:
        """Unit observed information: half the (analytic) Hessian of the objective."""
        return self.hessian(x) / 2

    # --- what the SE, test and fit-measure stages read (the same names as WLSProblem's) ---

    @property
    def fractions(self) -> np.ndarray:
        """N_g / N."""
        return self.weights

    @property
    def chisq_factors(self) -> np.ndarray:
        """N_g: a group's chi-square is N_g F_g (lavaan's likelihood = "normal")."""
        return np.array([s.n_obs for s in self.stats], float)

    def unit_information(self, x: np.ndarray) -> np.ndarray:
        """lavaan's expected information (groups weighted by N_g / N)."""
        return self.expected_information(x)

    def deltas(self, x: np.ndarray) -> list[np.ndarray]:
        return self.model.delta(x)

    def weight_blocks(self, x: np.ndarray) -> list[np.ndarray]:
        """lavaan's WLS.V for ML: each group's expected unit information of its moments at the implied ones
        (h1.information = "structured")."""
        return [self.moment_information(s, sigma) for s, (sigma, _) in zip(self.stats, self.model.implied(x))]

    def weighted_square(self, x: np.ndarray, group: int, vector: np.ndarray) -> float:
        """``v' V_g v`` with the group's weight matrix (:meth:`weight_blocks`) without forming it: for (means m,
        vech(A)) it is ``m' W m + tr(W A W A) / 2`` with ``W = Sigma^-1`` (vec(A)' (W kron W) vec(A) = tr(A W A W))."""
        model = self.model
        w = self._ml._inverse(model.matrices(x, group).sigma())  # cached for this Sigma
        offset = model.p if model.meanstructure else 0
        a = np.zeros_like(w)
        a[model.vech_rows, model.vech_cols] = a[model.vech_cols, model.vech_rows] = vector[offset:]
        wa = w @ a
        means = vector[:offset]
        return float(0.5 * np.sum(wa * wa.T) + (means @ w @ means if offset else 0.0))

    def gammas(self) -> list[np.ndarray]:
        """Each group's ADF NACOV of its moments (needs the raw data)."""
        return [s.adf_nacov(self.model.meanstructure) for s in self.stats]

    def baseline_chisq(self) -> tuple[float, int]:
        """Independence model: N_g (sum log s_ii - log|S|) per group, the exogenous covariates' block kept at its
        sample values (fixed.x); df = data moments - free variances (and means)."""
        model = self.model
        nx, p = model.n_exogenous, model.p
        chisq = 0.0
        for s in self.stats:
            x_block = np.linalg.slogdet(s.cov[p - nx :, p - nx :])[1] if nx else 0.0
            chisq += s.n_obs * (np.log(np.diag(s.cov)[: p - nx]).sum() + x_block - s.log_det_cov)
        free = (p - nx) * (2 if model.meanstructure else 1)
        return float(chisq), len(self.stats) * (model.n_data_moments - free)

    def baseline_jacobians(self) -> list[np.ndarray]:
        """Each group's Jacobian of the independence model (means and variances)."""
        return [self.model.baseline_jacobian(s) for s in self.stats]

    def baseline_weights(self) -> list[np.ndarray]:
        """Each group's ML weight matrix at the independence model's estimates (the sample variances)."""
        return [self.moment_information(s, np.diag(np.diag(s.cov))) for s in self.stats]

    def logliks(self, x: np.ndarray) -> tuple[float, float]:
        """(logl, unrestricted logl) summed over groups; with exogenous covariates (fixed.x) their marginal
        log-likelihood is subtracted, as lavaan does (the likelihood of the other variables given them)."""
        p, nx = self.model.p, self.model.n_exogenous
        logl = unrestricted = 0.0
        for s, f in zip(self.stats, self.group_values(x)):
            unrestricted += _loglik(s.n_obs, p, s.log_det_cov + p)
            logl += _loglik(s.n_obs, p, f + s.log_det_cov + p)
            if nx:
                marginal = _loglik(s.n_obs, nx, np.linalg.slogdet(s.cov[p - nx :, p - nx :])[1] + nx)
                unrestricted -= marginal
                logl -= marginal
        return float(logl), float(unrestricted)


def _loglik(n: float, p: int, discrepancy_core: float) -> float:
    return -n / 2 * (p * np.log(2 * np.pi) + discrepancy_core)


@dataclasses.dataclass(frozen=True)
class Solution:
    x: np.ndarray
    objective: float
    iterations: int
    converged: bool


def _line_search(problem: Problem, x: np.ndarray, value: float, step: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Largest step 1, 1/2, 1/4, ... that does not increase the objective (None when none does)."""
    factor = 1.0
    while factor > 1e-10:
        trial = x + factor * step
        trial_value = problem.objective(trial)
        if np.isfinite(trial_value) and trial_value <= value + 1e-13 * max(1.0, abs(value)):
            return trial, trial_value
        factor /= 2
    return None


def _solve(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(matrix, vector)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(matrix, vector, rcond=None)[0]


def minimize(
    problem: Problem,
    start: np.ndarray,
    *,
    max_iter: int = 500,
    fisher_steps: int = 4,
    tol: float = 1e-15,
    constraints=None,
) -> Solution:
    """Minimise the objective: Fisher-scoring steps first, then Newton steps on the exact Hessian.

    Fisher scoring is robust far from the optimum but converges only linearly (at a rate set by the misfit);
    Newton's method converges quadratically near it. When the exact Hessian is not positive definite (far from
    the optimum, or a Heywood case) the step falls back to the expected information. Converged when the Newton
    decrement ``g' H^-1 g`` falls below ``tol``.

    General equality and inequality constraints (``constraints``, a ``_constraints.Constraints``) are handled by
    its ``minimize``: the same steps restricted to the null space of the active constraints' Jacobian, with an
    active set for the inequalities. Equal parameters set by labels and ``group_equal`` need no constraint: they
    share a free-parameter index ``x`` of the parameter table.
    """
    if constraints is not None:
        return constraints.minimize(problem, start, max_iter=max_iter, fisher_steps=fisher_steps, tol=tol)
    x, warm = problem.warm_start(start.copy()) if hasattr(problem, "warm_start") else (start.copy(), False)
    fisher_steps = 0 if warm else fisher_steps
    value = problem.objective(x)
    if not np.isfinite(value):
        raise ConvergenceError(
            "the starting values give a model-implied covariance matrix that is not positive definite", 0
        )
    for iteration in range(1, max_iter + 1):
        grad = problem.gradient(x)
        step = _newton_step(problem, x, grad, iteration > fisher_steps)
        if -(grad @ step) < tol:
            return Solution(x, value, iteration, True)
        found = _line_search(problem, x, value, step)
        if found is None:
            return Solution(x, value, iteration, bool(np.max(np.abs(grad)) < 1e-6))
        x, value = found
    return Solution(x, value, max_iter, False)


def _newton_step(problem: Problem, x: np.ndarray, grad: np.ndarray, exact: bool) -> np.ndarray:
    """``-curvature^-1 grad`` with the exact Hessian when asked for and positive definite, else with twice the
    expected information; solved block by block (:class:`BlockStructure`) where the problem has the structure."""
    blocks = getattr(problem, "blocks", None)
    if exact:
        try:
            return -solve_positive_definite(problem.hessian(x), grad, blocks)
        except np.linalg.LinAlgError:
            pass
    information = 2 * problem.expected_information(x)
    try:
        return -solve_positive_definite(information, grad, blocks)
    except np.linalg.LinAlgError:
        return -_solve(information, grad)


def solve_positive_definite(matrix: np.ndarray, rhs: np.ndarray, blocks: BlockStructure | None) -> np.ndarray:
    """``matrix^-1 rhs`` for a positive definite ``matrix`` (LinAlgError otherwise), by blocks when given (one
    block without shared parameters is the whole matrix: the same numbers without the block bookkeeping)."""
    if blocks is None or blocks.single:
        return cho_solve(cholesky(matrix), rhs)
    return blocks.factor(matrix).solve(rhs)


def cholesky(matrix: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor, LinAlgError when ``matrix`` is not positive definite: scipy's LAPACK dpotrf directly,
    without np.linalg.cholesky's wrapper (about 5 us a call, ~30 calls a fit). np.linalg.cholesky calls dpotrf of
    numpy's own OpenBLAS build: the factors agree bit for bit (checked on sizes 1-250, symmetric or not)."""
    factor, info = lapack.dpotrf(matrix, lower=1, clean=1)
    if info > 0:
        raise np.linalg.LinAlgError("Matrix is not positive definite")
    if info < 0:
        raise ValueError(f"illegal value in argument {-info} of LAPACK's dpotrf")
    return factor


def cho_solve(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``(L L')^-1 rhs`` for a lower Cholesky factor ``L`` (finite by construction): LAPACK's dpotrs directly,
    the routine scipy's cho_solve calls, without its checks and batching (about 15 us a call, several times the
    solve itself at these sizes; the optimiser solves a few times per step)."""
    if rhs.size == 0:
        return np.empty_like(rhs, dtype=float)
    solution, info = lapack.dpotrs(chol, rhs, lower=1)
    if info != 0:
        raise ValueError(f"illegal value in argument {-info} of LAPACK's dpotrs")
    return solution


def inverse_information(problem, information: np.ndarray) -> np.ndarray:
    """The inverse of a (unit) information matrix: block by block when positive definite, else the
    Moore-Penrose inverse (lavaan's MASS::ginv fallback)."""
    blocks = getattr(problem, "blocks", None)
    try:
        if blocks is None:
            return solve_positive_definite(information, np.eye(len(information)), None)
        return blocks.factor(information).inverse()
    except np.linalg.LinAlgError:
        return np.linalg.pinv(information)


@dataclasses.dataclass(frozen=True)
class BlockStructure:
    """Multi-group information matrices are block arrows: the parameters of one group (``own[g]``) meet only
    that group's and the ``shared`` ones (equal across groups). Factoring each group's block and the Schur
    complement of the shared parameters, ``S = C - sum_g B_g' A_g^-1 B_g`` (A_g, B_g, C the own/own, own/shared
    and shared/shared blocks), costs O(groups) instead of O(groups^3)."""

    own: tuple
    shared: np.ndarray

    @property
    def single(self) -> bool:
        """One group and no shared parameters: ``own[0]`` holds every parameter, in order."""
        return len(self.own) == 1 and not len(self.shared)

    @classmethod
    def from_columns(cls, columns, n_free: int) -> BlockStructure:
        uses = np.zeros(n_free, int)
        for c in columns:
            uses[c] += 1
        return cls(tuple(c[uses[c] == 1] for c in columns), np.flatnonzero(uses != 1))

    def factor(self, matrix: np.ndarray, scale: np.ndarray | None = None) -> BlockFactor:
        """Cholesky factors of the group blocks and of the Schur complement (LinAlgError when not positive
        definite); with ``scale`` those of ``diag(scale) matrix diag(scale)``, scaled block by block."""
        if self.single:  # the matrix is the one block: no copies through np.ix_, no Schur complement
            chol = cholesky(matrix if scale is None else matrix * np.outer(scale, scale))
            return BlockFactor(self, ((chol, np.zeros((len(chol), 0))),), np.zeros((0, 0)))

        def block(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
            part = matrix[np.ix_(rows, cols)]
            return part if scale is None else part * np.outer(scale[rows], scale[cols])

        shared = self.shared
        schur = block(shared, shared).copy()
        parts = []
        for own in self.own:
            chol = cholesky(block(own, own))
            coupling = block(own, shared)
            a_inv_b = cho_solve(chol, coupling)
            schur -= coupling.T @ a_inv_b
            parts.append((chol, a_inv_b))
        return BlockFactor(self, tuple(parts), cholesky(schur) if len(shared) else schur)


@dataclasses.dataclass(frozen=True)
class BlockFactor:
    """A factored block-arrow matrix (:meth:`BlockStructure.factor`)."""

    structure: BlockStructure
    parts: tuple  # per group: (Cholesky factor of A_g, A_g^-1 B_g)
    schur_chol: np.ndarray

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """matrix^-1 rhs (rhs a vector or a matrix of columns)."""
        own_all, shared = self.structure.own, self.structure.shared
        a_inv_r = [cho_solve(chol, rhs[own]) for own, (chol, _) in zip(own_all, self.parts)]
        reduced = rhs[shared] - sum(
            (b.T @ rhs[own] for own, (_, b) in zip(own_all, self.parts)), np.zeros_like(rhs[shared])
        )  # C - B' A^-1 B on the shared parameters
        x_shared = cho_solve(self.schur_chol, reduced) if len(shared) else reduced
        out = np.empty_like(rhs, dtype=float)
        out[shared] = x_shared
        for own, (_, b), r in zip(own_all, self.parts, a_inv_r):
            out[own] = r - b @ x_shared
        return out

    def inverse(self) -> np.ndarray:
        """matrix^-1 written block by block into one array (no identity right-hand side and its copies):
        ``S^-1`` on the shared parameters, ``-M_g S^-1`` between group g's own and the shared ones and
        ``delta_gh A_g^-1 + M_g S^-1 M_h'`` between the own parameters of groups g and h (M_g = A_g^-1 B_g)."""
        own_all, shared = self.structure.own, self.structure.shared
        n = len(shared) + sum(len(own) for own in own_all)
        s_inv = self.schur_inverse()
        out = np.empty((n, n))
        out[np.ix_(shared, shared)] = s_inv
        own_index = np.concatenate(own_all) if own_all else np.zeros(0, int)
        m_all = np.vstack([m for _, m in self.parts]) if self.parts else np.zeros((0, len(shared)))
        for own, (chol, m) in zip(own_all, self.parts):
            m_s = m @ s_inv
            out[np.ix_(own, shared)] = -m_s
            out[np.ix_(shared, own)] = -m_s.T
            out[np.ix_(own, own_index)] = m_s @ m_all.T
            out[np.ix_(own, own)] += cho_solve(chol, np.eye(len(own)))
        return out

    def schur_inverse(self) -> np.ndarray:
        """``S^-1``, the inverse's block on the shared parameters (an empty matrix without them)."""
        eye = np.eye(len(self.structure.shared))
        return cho_solve(self.schur_chol, eye) if len(eye) else eye

    def inverse_diagonal(self) -> np.ndarray:
        """The diagonal of :meth:`inverse` without the n x n matrix: each group's own block
        ``M_g S^-1 M_g' + A_g^-1`` and ``S^-1``."""
        own_all, shared = self.structure.own, self.structure.shared
        s_inv = self.schur_inverse()
        out = np.empty(len(shared) + sum(len(own) for own in own_all))
        out[shared] = np.diag(s_inv)
        for own, (chol, m) in zip(own_all, self.parts):
            block = (m @ s_inv) @ m.T
            block += cho_solve(chol, np.eye(len(own)))
            out[own] = np.diag(block)
        return out

    def inverse_trace(self) -> float:
        """tr(matrix^-1) = sum_g [tr(A_g^-1) + tr(S^-1 M_g' M_g)] + tr(S^-1), M_g = A_g^-1 B_g."""
        if self.structure.single:  # tr(A^-1) alone (the other terms are exact zeros)
            return _inverse_trace(self.parts[0][0])
        s_inv = self.schur_inverse()
        total = float(np.trace(s_inv))
        for chol, m in self.parts:
            total += _inverse_trace(chol)
            total += float(np.sum(s_inv * (m.T @ m)))
        return total


def _inverse_trace(chol: np.ndarray) -> float:
    """tr((L L')^-1) = sum((L^-1)^2) for a lower Cholesky factor L (finite: no scipy finiteness check)."""
    chol_inv = linalg.solve_triangular(chol, np.eye(len(chol)), lower=True, check_finite=False)
    return float(np.sum(chol_inv**2))


def clearly_nonsingular(information: np.ndarray, blocks: BlockStructure | None, ratio: float) -> bool:
    """True when the smallest eigenvalue of ``information`` (scaled to a unit diagonal) surely exceeds ``ratio``
    times its largest: 1 / tr(H^-1) bounds the smallest from below and the largest absolute row sum bounds the
    largest from above (a cheap check by blocks before a full eigendecomposition)."""
    if blocks is None:
        return False
    scale = 1 / np.sqrt(np.maximum(np.diag(information), 1e-300))
    try:
        trace = blocks.factor(information, scale).inverse_trace()
    except np.linalg.LinAlgError:
        return False
    return 1 / trace > ratio * _largest_scaled_row_sum(information, scale)


def _largest_scaled_row_sum(matrix: np.ndarray, scale: np.ndarray, rows: int = 256) -> float:
    """max_i sum_j |s_i M_ij s_j|, a few rows at a time (no scaled copy of the whole matrix)."""
    sums = [scale[i : i + rows] * (np.abs(matrix[i : i + rows]) @ scale) for i in range(0, len(matrix), rows)]
    return float(np.concatenate(sums).max()) if sums else 0.0
