"""Full-information ML on incomplete data (lavaan 0.6-14's missing = "ml", alias "fiml").

The casewise normal log-likelihood is summed pattern by pattern: the cases sharing a missing-data pattern ``o``
(the variables they answered) contribute ``-n_o/2 [p_o log 2 pi + log|Sigma_oo| + tr(Sigma_oo^-1 (S_o + d_o d_o'))]``
with their mean, ML covariance and ``d_o = ybar_o - mu_o`` (lav_mvnorm_missing_loglik_samplestats). The
unrestricted (h1) model is estimated by EM exactly as lavaan's lav_mvnorm_missing_h1_estimate_moments (start:
means and ML variances of the observed values, diagonal covariance; stop when no moment changes by 1e-5); the
baseline (independence) model has closed-form estimates: each variable's observed mean and ML variance. The
discrepancy is ``F = 2 (logl_h1 - logl) / N`` so that the chi-square is ``N F`` as for complete data. Cases with
every model variable missing are dropped (lavaan's Mp$empty.idx) and ``n_obs`` counts the others.

Vectorised over patterns (survey data often give every case its own pattern): with ``P = Sigma^-1`` and a
pattern's missing variables ``m``, ``Sigma_oo^-1 = P_oo - P_om P_mm^-1 P_mo`` (the inverse of a partitioned
matrix), ``log|Sigma_oo| = log|Sigma| + log|P_mm|`` and ``P_mm^-1`` is the missing block's covariance given the
observed one. So one inversion of ``Sigma`` and a small ``r x r`` inversion per pattern (``r`` = number missing,
batched over the patterns with the same ``r``) give every pattern's inverse, and the casewise terms are matrix
products over rows: ``z_i = Sigma_oo^-1 (y_o - mu_o)`` (zeros at the missing variables) carries the quadratic
forms, the gradient, the EM step and the scores. The information matrices need each pattern's ``Sigma_oo^-1``
explicitly; they are formed in blocks of a few thousand rows so that memory stays O(rows x variables).
The FIML optimisation starts from the complete-data ML fit to the EM moments (``FIMLProblem.warm_start``), which
is close to the FIML estimates, and takes Newton steps from there.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ...errors import ConvergenceError, DataError, ModelError
from ._estimation import MLDiscrepancy, Problem, minimize
from ._model import vech_indices
from ._mvnorm import missing_information
from ._samplestats import SampleStats

EM_TOL = 1e-5  # lavaan's em.h1.tol
EM_MAX_ITER = 500  # lavaan's em.h1.iter.max
BLOCK_ROWS = 2048  # rows per block of patterns (a larger pattern is a block of its own)
_LOG_2PI = np.log(2 * np.pi)


@dataclasses.dataclass(frozen=True)
class PatternBlock:
    """Patterns with the same number ``r`` of missing variables and their rows (grouped by pattern)."""

    missing: np.ndarray  # (k, r) the missing variables of each pattern
    observed: np.ndarray  # (k, p) bool: the variables each pattern answered
    counts: np.ndarray  # (k,) cases per pattern
    rows: np.ndarray  # (m,) rows of the data
    pattern: np.ndarray  # (m,) each row's pattern (0..k-1)
    starts: np.ndarray  # (k,) each pattern's first position in ``rows``

    def per_row(self, per_pattern: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """Each row's vector times its pattern's matrix (``per_pattern`` (k, a, b), ``vectors`` (m, b))."""
        if len(per_pattern) == 1:
            return vectors @ per_pattern[0].T
        return np.einsum("mab,mb->ma", per_pattern[self.pattern], vectors)

    def pattern_sums(self, rows: np.ndarray) -> np.ndarray:
        """Sums of row quantities ``rows`` (m, ...) per pattern."""
        return np.add.reduceat(rows, self.starts, axis=0)


@dataclasses.dataclass(frozen=True)
class Terms:
    """The casewise quantities at (mu, Sigma) that FIML's value, gradient, EM step, information and scores use:
    ``inverse`` = P, ``minus_two_loglik`` (see :func:`minus_two_loglik`), per block ``z`` (rows' Sigma_oo^-1
    (y_o - mu_o)) and ``conditional`` (patterns' P_mm^-1), ``z_sum`` = sum_i z_i, ``zz`` = sum_i z_i z_i',
    ``conditional_sum`` = sum_o n_o P_mm^-1 (embedded) and ``inverse_sum`` = sum_o n_o Sigma_oo^-1 (embedded)."""

    inverse: np.ndarray
    minus_two_loglik: float
    z: tuple
    conditional: tuple
    z_sum: np.ndarray
    zz: np.ndarray
    conditional_sum: np.ndarray
    inverse_sum: np.ndarray


class MissingPatterns:
    """A group's rows split by missing-data pattern into :class:`PatternBlock` s (built once per data set)."""

    def __init__(self, values: np.ndarray):
        n, p = values.shape
        present = ~np.isnan(values)
        self.filled, self.present, self.n, self.p = np.where(present, values, 0.0), present, n, p
        keys, inverse, counts = np.unique(present, axis=0, return_inverse=True, return_counts=True)
        order = np.argsort(inverse.ravel(), kind="stable")  # rows grouped by pattern
        offsets = np.concatenate([[0], np.cumsum(counts)])
        n_missing = p - keys.sum(axis=1)
        blocks = []
        for r in np.unique(n_missing):
            members: list[np.integer] = []
            size = 0
            for k in np.flatnonzero(n_missing == r):
                if members and size + counts[k] > BLOCK_ROWS:
                    blocks.append(_block(keys, counts, order, offsets, members))
                    members, size = [], 0
                members.append(k)
                size += counts[k]
            blocks.append(_block(keys, counts, order, offsets, members))
        self.blocks = tuple(blocks)
        self._last: tuple | None = None
        self._remembered: dict = {}

    def remember(self, name: str, sigma: np.ndarray, compute):
        """``compute()`` (an array, kept read-only) for the last ``sigma`` asked under ``name`` (a fit asks several
        times at one point)."""
        key = sigma.tobytes()
        if name not in self._remembered or self._remembered[name][0] != key:
            value = compute()
            value.setflags(write=False)
            self._remembered[name] = (key, value)
        return self._remembered[name][1]

    def log_2pi_terms(self) -> float:
        """sum_o n_o p_o log(2 pi)."""
        return float(self.present.sum() * _LOG_2PI)

    def terms(self, mu: np.ndarray, sigma: np.ndarray) -> Terms:
        """The :class:`Terms` at (mu, Sigma); raises LinAlgError when Sigma is not positive definite. The last
        point is kept (value, gradient and Hessian ask at the same point)."""
        key = (mu.tobytes(), sigma.tobytes())
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        chol = np.linalg.cholesky(sigma)
        inverse = np.linalg.inv(sigma)
        inverse = (inverse + inverse.T) / 2
        total = self.n * 2 * np.log(np.diag(chol)).sum()  # sum_o n_o log|Sigma| (+ log|P_mm| below)
        p = self.p
        zs, conditionals, conditional_sum = [], [], np.zeros(p * p)
        for block in self.blocks:
            centred = (self.filled[block.rows] - mu) * self.present[block.rows]
            q = centred @ inverse  # P e (e zero at missing)
            quadratic = np.einsum("ij,ij->", centred, q)
            conditional = None
            if block.missing.shape[1]:
                missing = block.missing
                p_mm = inverse[missing[:, :, None], missing[:, None, :]]
                total += 2 * block.counts @ np.log(np.diagonal(np.linalg.cholesky(p_mm), axis1=1, axis2=2)).sum(1)
                conditional = np.linalg.inv(p_mm)
                row_missing = missing[block.pattern]
                q_m = np.take_along_axis(q, row_missing, axis=1)
                t = block.per_row(conditional, q_m)  # P_mm^-1 (P e)_m
                quadratic -= np.einsum("ij,ij->", q_m, t)
                t_full = np.zeros_like(q)
                np.put_along_axis(t_full, row_missing, t, axis=1)
                q = (q - t_full @ inverse) * self.present[block.rows]  # (P_oo - P_om P_mm^-1 P_mo) e_o
                flat = (missing[:, :, None] * p + missing[:, None, :]).ravel()
                weighted = (block.counts[:, None, None] * conditional).ravel()
                conditional_sum += np.bincount(flat, weighted, minlength=p * p)
            total += quadratic
            zs.append(q)
            conditionals.append(conditional)
        conditional_sum = conditional_sum.reshape(p, p)
        z_sum = sum(z.sum(axis=0) for z in zs)
        zz = sum(z.T @ z for z in zs)
        terms = Terms(
            inverse,
            float(total),
            tuple(zs),
            tuple(conditionals),
            z_sum,
            zz,
            conditional_sum,
            self.n * inverse - inverse @ conditional_sum @ inverse,
        )
        self._last = (key, terms)
        return terms

    def inverses(self, terms: Terms):
        """Per block: (block, z, vech of the patterns' Sigma_oo^-1 embedded in p x p zeros (k, p*)); only the
        vech elements of ``P - P_om P_mm^-1 P_mo`` are subtracted and masked."""
        inverse = terms.inverse
        rows, cols = vech_indices(self.p)
        for block, z, conditional in zip(self.blocks, terms.z, terms.conditional):
            w_vech = np.broadcast_to(inverse[rows, cols], (len(block.counts), len(rows)))
            if conditional is not None:
                p_m = inverse[block.missing]  # (k, r, p): rows P_m.
                correction = np.swapaxes(p_m, 1, 2) @ (conditional @ p_m)
                w_vech = (w_vech - correction[:, rows, cols]) * (block.observed[:, rows] & block.observed[:, cols])
            yield block, z, w_vech

    def scores(self, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """N x (p + p*) casewise scores of the normal log-likelihood with respect to (means, vech(Sigma)):
        ``(z_i, vech(z_i z_i' - Sigma_oo^-1))`` with the diagonal halved (lav_mvnorm_missing_scores_mu_vech_sigma)."""
        rows, cols = vech_indices(self.p)
        out = np.zeros((self.n, self.p + len(rows)))
        for block, z, w_vech in self.inverses(self.terms(mu, sigma)):
            cov_part = z[:, rows] * z[:, cols] - (w_vech if len(w_vech) == 1 else w_vech[block.pattern])
            cov_part[:, rows == cols] /= 2
            out[block.rows] = np.hstack([z, cov_part])
        return out


def _block(keys, counts, order, offsets, members) -> PatternBlock:
    members = np.asarray(members)
    observed = keys[members]
    missing = np.nonzero(~observed)[1].reshape(len(members), -1)
    sizes = counts[members]
    rows = np.concatenate([order[offsets[k] : offsets[k + 1]] for k in members])
    pattern = np.repeat(np.arange(len(members)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return PatternBlock(missing, observed, sizes, rows, pattern, starts)


@dataclasses.dataclass(frozen=True)
class MissingStats(SampleStats):
    """A group's incomplete data: ``cov``/``mean`` are the EM (h1) estimates, ``data`` the raw rows (NaN kept),
    ``patterns`` the missing-data patterns (:class:`MissingPatterns`) and ``baseline_mean``/``baseline_var`` the
    independence model's estimates (observed means and ML variances)."""

    mean: np.ndarray  # the EM estimate, always there
    patterns: MissingPatterns = dataclasses.field(kw_only=True)
    baseline_mean: np.ndarray = dataclasses.field(kw_only=True)
    baseline_var: np.ndarray = dataclasses.field(kw_only=True)

    @functools.cached_property
    def saturated_information(self) -> np.ndarray:
        """Unit observed information of the saturated model at the EM moments (summed over patterns; used by the
        robust test and the FIML-corrected indices, hence kept)."""
        return missing_information(self, self.mean, self.cov)

    @functools.cached_property
    def h1_minus_two_loglik(self) -> float:
        """``-2 logl`` (without log 2 pi terms) of the saturated model at the EM moments."""
        return minus_two_loglik(self.patterns, self.mean, self.cov)


def minus_two_loglik(patterns: MissingPatterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """``-2 logl`` without the ``log 2 pi`` terms: sum_o n_o [log|Sigma_oo| + tr(Sigma_oo^-1 (S_o + d_o d_o'))]
    (inf when Sigma is not positive definite)."""
    try:
        return patterns.terms(mu, sigma).minus_two_loglik
    except np.linalg.LinAlgError:
        return np.inf


def em_moments(values: np.ndarray, patterns: MissingPatterns) -> tuple[np.ndarray, np.ndarray]:
    """Saturated-model means and covariance by EM (Dempster, Laird & Rubin 1977), as lavaan's
    lav_mvnorm_missing_h1_estimate_moments (same start and stopping rule). The E step completes each case by its
    regression on its observed values, ``y^_i = mu + Sigma z_i``, plus the missing block's conditional covariance
    ``P_mm^-1``: ``sum_i y^_i = N mu + Sigma sum z_i`` and ``sum_i y^_i y^_i' + sum_o n_o P_mm^-1 = N mu mu' +
    mu s' + s mu' + Sigma (sum z_i z_i') Sigma + sum_o n_o P_mm^-1`` with ``s = Sigma sum z_i``."""
    n, p = values.shape
    mu = np.nanmean(values, axis=0)
    var = np.nanmean((values - mu) ** 2, axis=0)
    var[~np.isfinite(var) | (var == 0)] = 1.0
    sigma = np.diag(var)
    for _ in range(EM_MAX_ITER):
        terms = patterns.terms(mu, sigma)
        s = sigma @ terms.z_sum
        new_mu = mu + s / n
        cross = n * np.outer(mu, mu) + np.outer(mu, s) + np.outer(s, mu) + sigma @ terms.zz @ sigma
        new_sigma = (cross + terms.conditional_sum) / n - np.outer(new_mu, new_mu)
        new_sigma = (new_sigma + new_sigma.T) / 2
        if np.linalg.eigvalsh(new_sigma).min() < 1e-6:
            new_sigma[np.diag_indices(p)] += np.diag(new_sigma).max() * 1e-8
        change = max(np.abs(new_mu - mu).max(), np.abs(new_sigma - sigma)[np.tril_indices(p)].max())
        mu, sigma = new_mu, new_sigma
        if change < EM_TOL:
            break
    return mu, sigma


def check_coverage(values: np.ndarray, observed_names, where: str) -> None:
    """Every pair of variables must be answered together by some case, else their covariance is not identified."""
    present = (~np.isnan(values)).astype(float)
    together = present.T @ present
    lower = np.tril(together == 0)
    if lower.any():
        i, j = np.argwhere(lower)[0]
        raise DataError(
            f"variables {observed_names[j]!r} and {observed_names[i]!r} are never observed together in {where}: "
            "their covariance is not identified under missing='fiml'. Drop one of them or collect cases that "
            "answer both."
        )


def missing_stats(values: np.ndarray, observed_names, where: str) -> MissingStats:
    """A group's FIML statistics from its rows (cases with every variable missing already removed)."""
    p = values.shape[1]
    if len(values) <= p:
        raise DataError(f"{where} has {len(values)} case(s) for {p} observed variables; more cases are needed.")
    rare = np.flatnonzero((~np.isnan(values)).sum(axis=0) < 2)
    if len(rare):
        raise DataError(f"variable {observed_names[rare[0]]!r} has fewer than two observed values in {where}; drop it.")
    base_mean = np.nanmean(values, axis=0)
    base_var = np.nanmean((values - base_mean) ** 2, axis=0)
    constant = np.flatnonzero(base_var == 0)
    if len(constant):
        raise DataError(f"variable {observed_names[constant[0]]!r} is constant in {where}; drop it or the group.")
    check_coverage(values, observed_names, where)
    patterns = MissingPatterns(values)
    mu, sigma = em_moments(values, patterns)
    return MissingStats(
        sigma, mu, len(values), values, patterns=patterns, baseline_mean=base_mean, baseline_var=base_var
    )


class FIMLDiscrepancy:
    """``F = 2 (logl_h1 - logl) / N`` (see the module docstring)."""

    name = "FIML"

    def value(self, stats: MissingStats, sigma: np.ndarray, mu: np.ndarray | None) -> float:
        if mu is None:
            raise ModelError("FIML needs the model's means; fit it with a mean structure")
        h0 = minus_two_loglik(stats.patterns, mu, sigma)
        return float((h0 - stats.h1_minus_two_loglik) / stats.n_obs)

    def element_gradient(self, stats: MissingStats, sigma, mu, deriv) -> np.ndarray:
        """dF/d(element) = 2 u' C v - 2 dmu' w with the (C, w) of ``moment_gradient``."""
        c, w = self.moment_gradient(stats, sigma, mu)
        return 2 * np.einsum("ki,ij,kj->k", deriv.u, c, deriv.v) - 2 * deriv.dmu @ w

    @staticmethod
    def moment_gradient(stats: MissingStats, sigma, mu) -> tuple[np.ndarray, np.ndarray]:
        """(C, w): dF/dSigma = C (as a symmetric matrix) and dF/dmu = -2 w: ``C = sum_o n_o (W_o - W_o (S_o +
        d_o d_o') W_o) / N = (sum_o n_o W_o - sum_i z_i z_i') / N`` and ``w = sum_i z_i / N``."""
        terms = stats.patterns.terms(mu, sigma)
        return (terms.inverse_sum - terms.zz) / stats.n_obs, terms.z_sum / stats.n_obs

    def gradient(self, stats: MissingStats, sigma, mu) -> np.ndarray:
        """dF/d(means, vech(Sigma)): ``-2 w`` and ``(2 - delta_ij) C_ij`` (see ``moment_gradient``)."""
        c, w = self.moment_gradient(stats, sigma, mu)
        rows, cols = vech_indices(len(sigma))
        return np.concatenate([-2 * w, c[rows, cols] * np.where(rows == cols, 1.0, 2.0)])


@dataclasses.dataclass(frozen=True)
class FIMLProblem(Problem[MissingStats, FIMLDiscrepancy]):
    """A :class:`Problem` on incomplete data. The information and the Hessian are formed in moment space,
    ``Delta_g' I_g Delta_g`` with the patterns' summed information ``I_g`` of (means, vech(Sigma)) (``_mvnorm``),
    plus the model's curvature for the Hessian: cheaper than per-pattern element derivatives when patterns are
    many."""

    def warm_start(self, x: np.ndarray) -> tuple[np.ndarray, bool]:
        """The complete-data ML fit to the EM moments, started from ``x``: close to the FIML estimates (they
        coincide without missing data), so Newton steps converge from it. ``x`` itself when that fit fails."""
        em = tuple(SampleStats(s.cov, s.mean, s.n_obs) for s in self.stats)
        try:
            solution = minimize(Problem(self.model, em, MLDiscrepancy()), x)
        except (ConvergenceError, np.linalg.LinAlgError):  # the auxiliary fit failed: keep the plain start
            return x, False
        if not solution.converged or not np.isfinite(self.objective(solution.x)):
            return x, False
        return solution.x, True

    def _moment_matrix(self, x: np.ndarray, kind: str) -> np.ndarray:
        """sum_g w_g Delta_g' I_g Delta_g with the expected (kind="expected") or observed information I_g."""
        model, total = self.model, np.zeros((self.model.n_free, self.model.n_free))
        for w, s, delta, (sigma, mu) in zip(self.weights, self.stats, model.delta(x), model.implied(x)):
            info = missing_information(s, mu, sigma, expected=kind == "expected")
            total += w * delta.T @ info @ delta
        return total

    def expected_information(self, x: np.ndarray) -> np.ndarray:
        """Unit expected information of the incomplete data (lav_mvnorm_missing_information_expected)."""
        return self._moment_matrix(x, "expected")

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Exact Hessian of the objective: ``2 sum_g w_g Delta_g' I_g Delta_g`` (observed information of the
        moments) plus the model's curvature weighted by dF/d(moments). Kept for the last point (the optimiser's
        last Newton step and the standard errors ask at the same point)."""
        key = x.tobytes()
        cached = self.__dict__.get("_hessian")
        if cached is not None and cached[0] == key:
            return cached[1]
        total = 2 * self._moment_matrix(x, "observed")
        model = self.model
        for g, (w, s, (sigma, mu)) in enumerate(zip(self.weights, self.stats, model.implied(x))):
            elements = model.own_elements(g)
            curvature = model.element_curvature(x, g, elements, *self.discrepancy.moment_gradient(s, sigma, mu))
            self._add_group(total, g, w, curvature)
        self.__dict__["_hessian"] = (key, total)
        return total

    def moment_information(self, stats: MissingStats, sigma: np.ndarray) -> np.ndarray:
        """Expected information of the incomplete data in (means, vech(Sigma)): the patterns' complete-data
        information ``W_o``, ``D'(W_o kron W_o)D / 2`` summed (lav_mvnorm_missing_information_expected)."""
        return missing_information(stats, np.zeros(len(sigma)), sigma, expected=True)

    def weighted_square(self, x: np.ndarray, group: int, vector: np.ndarray) -> float:
        """``v' V_g v`` with the incomplete data's expected information (:meth:`moment_information`)."""
        sigma = self.model.matrices(x, group).sigma()
        return float(vector @ self.moment_information(self.stats[group], sigma) @ vector)

    def logliks(self, x: np.ndarray) -> tuple[float, float]:
        """(logl, unrestricted logl): the casewise log-likelihoods of the model and of the EM saturated model."""
        logl = unrestricted = 0.0
        for s, (sigma, mu) in zip(self.stats, self.model.implied(x)):
            const = s.patterns.log_2pi_terms()
            logl -= 0.5 * (const + minus_two_loglik(s.patterns, mu, sigma))
            unrestricted -= 0.5 * (const + s.h1_minus_two_loglik)
        return float(logl), float(unrestricted)

    def baseline_chisq(self) -> tuple[float, int]:
        """Independence model: 2 (logl_h1 - logl_baseline); df as for complete data with a mean structure."""
        chisq = 0.0
        for s in self.stats:
            h1 = s.h1_minus_two_loglik
            chisq += minus_two_loglik(s.patterns, s.baseline_mean, np.diag(s.baseline_var)) - h1
        p = self.model.p
        return float(chisq), len(self.stats) * (self.model.n_data_moments - 2 * p)
