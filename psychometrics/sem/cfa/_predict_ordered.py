"""Factor scores of ordered items as lavaan 0.6-14's lavPredict(): the EBM (empirical Bayes modal) scores.

For ordered items lavPredict's default method ("EBM", also what method = "regression" means for them) gives each
respondent the mode of the posterior of the latent variables (lav_predict_eta_ebm_ml with ML = FALSE): the
minimiser of

    f(eta) = 1/2 (eta - E(eta))' V^-1 (eta - E(eta)) - sum_{answered items j} log P_j(eta),
    P_j(eta) = Phi((t_{j,k} - yhat_j) / s_j) - Phi((t_{j,k-1} - yhat_j) / s_j)   (k: the answer's category),

with, as lavaan computes them: ``V`` the latent covariance matrix (computeVETAx), ``E(eta)`` the latent means
(computeEETAx), ``t`` the thresholds of computeTH, ``delta_j (tau_j - E(y*_j))`` (the model's implied thresholds:
the threshold parameters minus the latent response's implied mean, times the scaling factor), ``s_j`` the square
root of the latent response's residual variance (computeTHETA: ``1/delta_j^2 - (Lambda V Lambda')_jj`` in the delta
parameterisation) and ``yhat = nu + Lambda eta``. A probability below machine epsilon counts as epsilon
(lav_predict_fy_eta.i). A missing answer drops out of the sum (missing = "pairwise" fits keep such respondents); a
respondent without answers gets no scores. Two details follow lavaan 0.6-14 to the letter: lav_predict_fy_eta.i is
called without its group argument, so ``yhat`` uses the FIRST group's ``nu`` and ``Lambda`` in every group (the
same as the group's own with equal loadings and zero intercepts, as in the usual threshold-and-loading invariance
models; lavaan 0.7 passes the group, so its scores of configural multi-group fits differ from 0.6-14's), and ``t`` subtracts the implied mean ``Lambda E(eta)`` although the prior is centred at ``E(eta)``.

lavaan minimises ``f`` row by row with optim(BFGS, reltol = 1e-8) and numerical gradients, so its printed scores
are accurate to a few 1e-4 only. Here all respondents of a group are solved at once by Newton's method with the
analytic gradient and Hessian (``f`` is convex: the normal distribution's interval probabilities are log-concave),
halving the step of a respondent whose objective would rise, until every step is below 1e-10: the exact minimiser.

The gradient of ``-log P_j`` is ``lambda_j r_j / s_j`` with ``r_j = (phi(b) - phi(a)) / P_j`` and ``a, b`` the
standardised lower and upper thresholds; the Hessian adds ``lambda_j lambda_j' w_j / s_j^2`` with
``w_j = (b phi(b) - a phi(a)) / P_j + r_j^2``.

For method = "Bartlett" lavPredict runs its ML scores for ordered items (method = "ML", lav_predict_eta_ebm_ml with
ML = TRUE): the same objective with ``V^-1`` replaced by ``1e-5 I`` (a ridge that keeps the scores finite where the
likelihood alone has no maximum: a respondent at the lowest or highest category of all items of a factor). These
are computed here too, as the exact minimiser; for such respondents the objective is nearly flat and lavPredict's
optim stops far from its minimum.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ...errors import DataError, ModelError
from ._categorical import _phi

_EPS = np.finfo(float).eps
_STEP_TOLERANCE = 1e-10
_MAX_ITERATIONS = 200
_ML_RIDGE = 1e-5  # lav_predict_eta_ebm_ml(ML = TRUE): V^-1 replaced by 1e-5 I


def _interval_terms(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For standardised intervals (a, b): log P (P floored at machine epsilon, as lavaan), r = (phi(b) - phi(a))/P and
    w = (b phi(b) - a phi(a))/P + r^2 (zero where P is floored: lavaan's objective is flat there)."""
    upper_tail = lower > 0  # P from the upper tail where both limits lie above 0: no cancellation
    prob = np.where(upper_tail, special.ndtr(-lower) - special.ndtr(-upper), special.ndtr(upper) - special.ndtr(lower))
    floored = prob < _EPS
    prob = np.where(floored, _EPS, prob)
    pdf_a, pdf_b = _phi(lower), _phi(upper)
    with np.errstate(invalid="ignore"):
        a_pdf_a = np.where(np.isfinite(lower), lower * pdf_a, 0.0)
        b_pdf_b = np.where(np.isfinite(upper), upper * pdf_b, 0.0)
    ratio = np.where(floored, 0.0, (pdf_b - pdf_a) / prob)
    weight = np.where(floored, 0.0, (b_pdf_b - a_pdf_a) / prob + ratio**2)
    return np.log(prob), ratio, weight


class _Posterior:
    """The EBM objective of every respondent of one group, with its gradient and Hessian (module docstring);
    ``ml``: lavaan's ML objective (the ridge ``1e-5 I`` for ``V^-1``)."""

    def __init__(self, result, g: int, codes: np.ndarray, ml: bool):
        model, x = result._problem.model, result._x
        mats, first = model.matrices(x, g), model.matrices(x, 0)  # lavaan's yhat: group 1's nu and Lambda
        n_latent = len(mats.psi)
        self.prior_inv = _ML_RIDGE * np.eye(n_latent) if ml else np.linalg.inv(mats.lv_cov())
        self.mean = mats.lv_mean()
        self.lam, self.nu = first.lambda_, first.nu
        self.sd = np.sqrt(np.diag(mats.theta))
        item = model.threshold_item[g]
        implied = model.moments(x, g)[: len(item)]  # delta (tau - E(y*)): lavaan's computeTH
        n_levels = np.bincount(item, minlength=len(self.sd)) + 1
        padded = np.full((len(self.sd), n_levels.max() + 1), np.inf)
        padded[:, 0] = -np.inf
        position = np.arange(len(item)) - np.searchsorted(item, item)  # threshold number within its item
        padded[item, position + 1] = implied
        answered = codes >= 0
        safe = np.where(answered, codes, 0)
        items = np.arange(len(self.sd))
        self.answered = answered
        self.lower, self.upper = padded[items, safe], padded[items, safe + 1]

    def terms(self, eta: np.ndarray):
        """Objective (n), gradient (n x m) and Hessian (n x m x m) at the rows' latent values ``eta``."""
        yhat = self.nu + eta @ self.lam.T
        with np.errstate(invalid="ignore"):
            log_p, ratio, weight = _interval_terms((self.lower - yhat) / self.sd, (self.upper - yhat) / self.sd)
        log_p, ratio, weight = (np.where(self.answered, v, 0.0) for v in (log_p, ratio, weight))
        centred = eta - self.mean
        prior = centred @ self.prior_inv
        value = 0.5 * np.einsum("ij,ij->i", prior, centred) - log_p.sum(axis=1)
        gradient = prior + (ratio / self.sd) @ self.lam
        hessian = self.prior_inv + np.einsum("ij,jk,jl->ikl", weight / self.sd**2, self.lam, self.lam)
        return value, gradient, hessian


def ebm_scores(result, g: int, codes: np.ndarray, method: str = "regression") -> np.ndarray:
    """The posterior modes (``method`` "regression"; "bartlett": lavaan's ML scores) of the rows ``codes``
    (0-based categories, -1 missing) of group ``g``: damped Newton over all respondents at once (NaN for a
    respondent without answers)."""
    posterior = _Posterior(result, g, codes, ml=method == "bartlett")
    eta = np.tile(posterior.mean, (len(codes), 1))
    value, gradient, hessian = posterior.terms(eta)
    for _ in range(_MAX_ITERATIONS):
        step = np.linalg.solve(hessian, gradient[:, :, None])[:, :, 0]
        if np.abs(step).max(initial=0.0) < _STEP_TOLERANCE:
            break
        size = np.ones(len(eta))
        for _ in range(60):  # halve the steps of the respondents whose objective would rise
            trial = eta - size[:, None] * step
            new = posterior.terms(trial)
            worse = new[0] > value + 1e-12 * np.abs(value)
            if not worse.any():
                break
            size = np.where(worse, size / 2, size)
        eta = trial
        value, gradient, hessian = new
    else:
        raise ModelError("the EBM factor scores did not converge in 200 Newton steps; inspect the fit's estimates")
    eta[~posterior.answered.any(axis=1)] = np.nan
    return eta


def _codes(result, values: np.ndarray) -> np.ndarray:
    """New answers as 0-based categories of the fitted data (-1 missing); an answer outside them is an error."""
    levels = result._problem.stats[0].levels
    codes = np.full(values.shape, -1)
    for j, (name, level) in enumerate(zip(result.observed_variables, levels)):
        column = values[:, j]
        present = ~np.isnan(column)
        position = np.clip(np.searchsorted(level, column[present]), 0, len(level) - 1)
        unknown = level[position] != column[present]
        if unknown.any():
            bad = column[present][unknown][0]
            raise DataError(
                f"ordered item {name!r} has the answer {bad:g}, which is not one of the fitted "
                f"categories {level.tolist()}; recode it to one of them."
            )
        codes[present, j] = position
    return codes


def check_ordered_request(kind: str) -> None:
    """Ordered items have factor scores only: type="ov" (predicted item values) is refused."""
    if kind != "lv":
        raise ModelError(
            "predicted values of ordered items (type='ov') are not available; use type='lv' (the factor scores)"
        )


def new_answer_codes(result, g: int, values: np.ndarray) -> np.ndarray:
    """New answers of group ``g`` as its fitted categories; with a listwise fit a row with a missing answer is
    left out (all -1, so NaN scores), as lavaan's newdata drops such rows."""
    codes = _codes(result, values)
    if not result._problem.stats[g].pairwise:
        codes[(codes < 0).any(axis=1)] = -1
    return codes
