"""Full-information ML on incomplete data (lavaan 0.6-14's missing = "ml", alias "fiml").

The casewise normal log-likelihood is summed pattern by pattern: the cases sharing a missing-data pattern ``o``
(the variables they answered) contribute ``-n_o/2 [p_o log 2 pi + log|Sigma_oo| + tr(Sigma_oo^-1 (S_o + d_o d_o'))]``
with their mean, ML covariance and ``d_o = ybar_o - mu_o`` (lav_mvnorm_missing_loglik_samplestats), so each
pattern is one complete-data ML problem on a sub-vector and the derivatives of :class:`MLDiscrepancy` apply to it
with the element derivatives restricted to ``o``. The unrestricted (h1) model is estimated by EM exactly as
lavaan's lav_mvnorm_missing_h1_estimate_moments (start: means and ML variances of the observed values, diagonal
covariance; stop when no moment changes by 1e-5); the baseline (independence) model has closed-form estimates:
each variable's observed mean and ML variance. The discrepancy is ``F = 2 (logl_h1 - logl) / N`` so that the
chi-square is ``N F`` as for complete data. Cases with every model variable missing are dropped (lavaan's
Mp$empty.idx) and ``n_obs`` counts the others.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ...errors import DataError
from ._estimation import MLDiscrepancy, Problem
from ._model import ElementDerivatives, vech_indices
from ._mvnorm import missing_information
from ._samplestats import SampleStats

EM_TOL = 1e-5  # lavaan's em.h1.tol
EM_MAX_ITER = 500  # lavaan's em.h1.iter.max
_LOG_2PI = np.log(2 * np.pi)


@dataclasses.dataclass(frozen=True)
class Pattern:
    """The cases of one missing-data pattern: observed variable indices, their rows and moments."""

    observed: np.ndarray
    rows: np.ndarray
    stats: SampleStats

    @property
    def n(self) -> int:
        return self.stats.n_obs


@dataclasses.dataclass(frozen=True)
class MissingStats(SampleStats):
    """A group's incomplete data: ``cov``/``mean`` are the EM (h1) estimates, ``data`` the raw rows (NaN kept),
    ``patterns`` the missing-data patterns and ``baseline_mean``/``baseline_var`` the independence model's
    estimates (observed means and ML variances)."""

    patterns: tuple = ()
    baseline_mean: np.ndarray | None = None
    baseline_var: np.ndarray | None = None

    @functools.cached_property
    def saturated_information(self) -> np.ndarray:
        """Unit observed information of the saturated model at the EM moments (summed over patterns; used by the
        robust test and the FIML-corrected indices, hence kept)."""
        return missing_information(self, self.mean, self.cov)

    @functools.cached_property
    def h1_minus_two_loglik(self) -> float:
        """``-2 logl`` (without log 2 pi terms) of the saturated model at the EM moments."""
        return minus_two_loglik(self.patterns, self.mean, self.cov)


def _patterns(values: np.ndarray) -> tuple[Pattern, ...]:
    present = ~np.isnan(values)
    keys, inverse = np.unique(present, axis=0, return_inverse=True)
    out = []
    for k in np.argsort(-keys.sum(axis=1), kind="stable"):  # most complete pattern first
        rows = np.flatnonzero(inverse.ravel() == k)
        observed = np.flatnonzero(keys[k])
        sub = values[np.ix_(rows, observed)]
        mean = sub.mean(axis=0)
        centred = sub - mean
        out.append(Pattern(observed, rows, SampleStats(centred.T @ centred / len(rows), mean, len(rows))))
    return tuple(out)


def minus_two_loglik(patterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """``-2 logl`` without the ``log 2 pi`` terms: sum_o n_o [log|Sigma_oo| + tr(Sigma_oo^-1 (S_o + d_o d_o'))]."""
    total = 0.0
    for pat in patterns:
        o = pat.observed
        sub = sigma[np.ix_(o, o)]
        sign, log_det = np.linalg.slogdet(sub)
        if sign <= 0:
            return np.inf
        d = pat.stats.mean - mu[o]
        total += pat.n * (log_det + np.sum(np.linalg.inv(sub) * (pat.stats.cov + np.outer(d, d))))
    return float(total)


def log_2pi_terms(patterns) -> float:
    """sum_o n_o p_o log(2 pi)."""
    return float(sum(pat.n * len(pat.observed) for pat in patterns) * _LOG_2PI)


def em_moments(values: np.ndarray, patterns) -> tuple[np.ndarray, np.ndarray]:
    """Saturated-model means and covariance by EM (Dempster, Laird & Rubin 1977), as lavaan's
    lav_mvnorm_missing_h1_estimate_moments (same start and stopping rule): the E step replaces each pattern's
    missing block by its regression on the observed block (plus the residual covariance), from the pattern's
    sufficient statistics."""
    n, p = values.shape
    mu = np.nanmean(values, axis=0)
    var = np.nanmean((values - mu) ** 2, axis=0)
    var[~np.isfinite(var) | (var == 0)] = 1.0
    sigma = np.diag(var)
    for _ in range(EM_MAX_ITER):
        t1, t2 = np.zeros(p), np.zeros((p, p))
        for pat in patterns:
            s1, s2 = _e_step(pat, mu, sigma)
            t1 += s1
            t2 += s2
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        if np.linalg.eigvalsh(new_sigma).min() < 1e-6:
            new_sigma[np.diag_indices(p)] += np.diag(new_sigma).max() * 1e-8
        change = max(np.abs(new_mu - mu).max(), np.abs(new_sigma - sigma)[np.tril_indices(p)].max())
        mu, sigma = new_mu, new_sigma
        if change < EM_TOL:
            break
    return mu, sigma


def _e_step(pat: Pattern, mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pattern's expected sum and sum of cross-products of the completed cases: each case is
    ``c + G' y_o`` (``G = [I | Sigma_oo^-1 Sigma_om]``, ``c_m = mu_m - B' mu_o``), plus n times the conditional
    covariance of the missing block."""
    p, o, n = len(mu), pat.observed, pat.n
    m = np.setdiff1d(np.arange(p), o)
    sum_y = n * pat.stats.mean
    cross_y = n * (pat.stats.cov + np.outer(pat.stats.mean, pat.stats.mean))
    g, c = np.zeros((len(o), p)), np.zeros(p)
    g[np.arange(len(o)), o] = 1.0
    extra = np.zeros((p, p))
    if len(m):
        coef = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, m)])  # Sigma_oo^-1 Sigma_om
        g[:, m] = coef
        c[m] = mu[m] - mu[o] @ coef
        extra[np.ix_(m, m)] = n * (sigma[np.ix_(m, m)] - sigma[np.ix_(m, o)] @ coef)
    gy = g.T @ sum_y
    return n * c + gy, n * np.outer(c, c) + np.outer(c, gy) + np.outer(gy, c) + g.T @ cross_y @ g + extra


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
    patterns = _patterns(values)
    mu, sigma = em_moments(values, patterns)
    return MissingStats(sigma, mu, len(values), values, patterns=patterns, baseline_mean=base_mean,
                        baseline_var=base_var)


def _restricted(deriv: ElementDerivatives, o: np.ndarray) -> ElementDerivatives:
    return ElementDerivatives(deriv.u[:, o], deriv.v[:, o], None if deriv.dmu is None else deriv.dmu[:, o])


class FIMLDiscrepancy:
    """``F = 2 (logl_h1 - logl) / N``: pattern-wise complete-data ML (see the module docstring)."""

    name = "FIML"
    _ml = MLDiscrepancy()

    def value(self, stats: MissingStats, sigma: np.ndarray, mu: np.ndarray | None) -> float:
        h0 = minus_two_loglik(stats.patterns, mu, sigma)
        return float((h0 - stats.h1_minus_two_loglik) / stats.n_obs)

    def element_gradient(self, stats: MissingStats, sigma, mu, deriv) -> np.ndarray:
        """dF/d(element) = 2 u' C v - 2 dmu' w with the pattern-summed (C, w) of ``moment_gradient``."""
        c, w = self.moment_gradient(stats, sigma, mu)
        return 2 * np.einsum("ki,ij,kj->k", deriv.u, c, deriv.v) - 2 * deriv.dmu @ w

    def element_information(self, stats: MissingStats, sigma, deriv) -> np.ndarray:
        """Expected information of the incomplete data: the patterns' complete-data information, weighted."""
        total = 0.0
        for pat in stats.patterns:
            o = pat.observed
            total = total + pat.n * self._ml.element_information(sigma[np.ix_(o, o)], _restricted(deriv, o))
        return total / stats.n_obs

    def element_hessian(self, stats: MissingStats, sigma, mu, deriv, curvature) -> np.ndarray:
        """The patterns' complete-data Hessians (without curvature) plus the pattern-summed ``curvature``."""
        total = curvature
        for pat in stats.patterns:
            o = pat.observed
            part = self._ml.element_hessian(pat.stats, sigma[np.ix_(o, o)], mu[o], _restricted(deriv, o), 0.0)
            total = total + pat.n / stats.n_obs * part
        return total

    @staticmethod
    def moment_gradient(stats: MissingStats, sigma, mu) -> tuple[np.ndarray, np.ndarray]:
        """(C, w): dF/dSigma = C (as a symmetric matrix) and dF/dmu = -2 w, summed over patterns."""
        p = len(sigma)
        c, w = np.zeros((p, p)), np.zeros(p)
        for pat in stats.patterns:
            o = pat.observed
            inv = np.linalg.inv(sigma[np.ix_(o, o)])
            d = pat.stats.mean - mu[o]
            c[np.ix_(o, o)] += pat.n * (inv - inv @ (pat.stats.cov + np.outer(d, d)) @ inv)
            w[o] += pat.n * inv @ d
        return c / stats.n_obs, w / stats.n_obs

    def gradient(self, stats: MissingStats, sigma, mu) -> np.ndarray:
        """dF/d(means, vech(Sigma)): ``-2 w`` and ``(2 - delta_ij) C_ij`` (see ``moment_gradient``)."""
        c, w = self.moment_gradient(stats, sigma, mu)
        rows, cols = vech_indices(len(sigma))
        return np.concatenate([-2 * w, c[rows, cols] * np.where(rows == cols, 1.0, 2.0)])


@dataclasses.dataclass(frozen=True)
class FIMLProblem(Problem):
    """A :class:`Problem` on incomplete data: the information and the Hessian's curvature term sum the
    missing-data patterns."""

    def _element_information(self, stats, sigma, deriv) -> np.ndarray:
        return self.discrepancy.element_information(stats, sigma, deriv)

    def _moment_gradient(self, stats, sigma, mu) -> tuple[np.ndarray, np.ndarray]:
        return self.discrepancy.moment_gradient(stats, sigma, mu)

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
            const = log_2pi_terms(s.patterns)
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
