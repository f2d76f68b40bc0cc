"""Fit measures exactly as lavaan 0.6-14's fitMeasures() for ML with likelihood="normal".

Sources (lavaan 0.6-14, R/lav_fit_*.R): chi-square ``sum_g N_g F_g``; baseline = independence model (free
variances, and means with a mean structure, per group; group.equal is not applied to it); CFI and TLI (Bentler
1990; Tucker & Lewis 1973) with lavaan's guards; RMSEA ``sqrt(max(X2/N/df - 1/N, 0)) sqrt(G)`` (Steiger 1990)
with the 90% CI by inverting the non-central chi-square and p(RMSEA <= .05); SRMR as lavaan's "srmr"
(= srmr_bentler: residuals divided by the observed standard deviations, vech including the diagonal, plus the
means when there is a mean structure; groups weighted by N_g/N); information criteria from the log-likelihood.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from ._estimation import Problem


def _pchisq(x: float, df: float, ncp: float) -> float:
    """Non-central chi-square CDF (scipy.special.chndtr: the ufunc, without scipy.stats' per-call overhead)."""
    return float(special.chdtr(df, x) if ncp <= 0 else special.chndtr(x, df, ncp))


def chisq_pvalue(x2: float, df: float) -> float:
    """Upper chi-square tail, as scipy.stats.chi2.sf (which calls the same special.chdtrc) without its overhead."""
    return float(special.chdtrc(df, x2))


def rmsea(x2: float, df: float, n: int, groups: int) -> float:
    if df <= 0:
        return 0.0
    return float(np.sqrt(max(x2 / n / df - 1 / n, 0.0)) * np.sqrt(groups))


def rmsea_ci(x2: float, df: float, n: int, groups: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan's lav_fit_rmsea_ci: roots of pchisq(X2, df, ncp = lambda) = 0.95 and 0.05."""
    if not (np.isfinite(x2) and df >= 1):
        return 0.0, 0.0
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2
    scale = lambda lam: np.sqrt(lam / (n * df)) * np.sqrt(groups)  # noqa: E731 - one-line conversion
    lower = 0.0
    if _pchisq(x2, df, 0.0) - upper_p >= 0:
        lower = scale(optimize.brentq(lambda lam: _pchisq(x2, df, lam) - upper_p, 0.0, x2, xtol=1e-12))
    n_rmsea = max(n, 4 * x2)
    upper = 0.0
    if not (_pchisq(x2, df, n_rmsea) - lower_p > 0 or _pchisq(x2, df, 0.0) - lower_p < 0):
        upper = scale(optimize.brentq(lambda lam: _pchisq(x2, df, lam) - lower_p, 0.0, n_rmsea, xtol=1e-12))
    return float(lower), float(upper)


def rmsea_pvalue(x2: float, df: float, n: int, groups: int, h0: float = 0.05) -> float:
    if df <= 0:
        return np.nan
    return 1.0 - _pchisq(x2, df, n * df * h0**2 / groups)


def cfi(x2, df, x2_null, df_null) -> float:
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x2_null - df_null, 0.0)
    return 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1.0 - t1 / t2


def tli(x2, df, x2_null, df_null) -> float:
    t1 = (x2 - df) * df_null
    t2 = (x2_null - df_null) * df
    return 1.0 - t1 / t2 if df > 0 and abs(t2) > 0 else 1.0


def baseline_chisq(problem: Problem) -> tuple[float, int]:
    """Independence model: N_g (sum log s_ii - log|S|) per group, the exogenous covariates' block kept at its
    sample values (fixed.x); df = data moments - free variances (and means)."""
    model = problem.model
    nx, p = model.n_exogenous, model.p
    chisq = 0.0
    for s in problem.stats:
        x_block = np.linalg.slogdet(s.cov[p - nx:, p - nx:])[1] if nx else 0.0
        chisq += s.n_obs * (np.log(np.diag(s.cov)[: p - nx]).sum() + x_block - s.log_det_cov)
    free = (p - nx) * (2 if model.meanstructure else 1)
    return float(chisq), len(problem.stats) * (model.n_data_moments - free)


def _loglik(n: int, p: int, discrepancy_core: float) -> float:
    return -n / 2 * (p * np.log(2 * np.pi) + discrepancy_core)


def logliks(problem: Problem, x: np.ndarray) -> tuple[float, float]:
    """(logl, unrestricted logl) summed over groups; with exogenous covariates (fixed.x) their marginal
    log-likelihood is subtracted, as lavaan does (the likelihood of the other variables given them)."""
    p, nx = problem.model.p, problem.model.n_exogenous
    logl = unrestricted = 0.0
    for s, f in zip(problem.stats, problem.group_values(x)):
        unrestricted += _loglik(s.n_obs, p, s.log_det_cov + p)
        logl += _loglik(s.n_obs, p, f + s.log_det_cov + p)
        if nx:
            marginal = _loglik(s.n_obs, nx, np.linalg.slogdet(s.cov[p - nx:, p - nx:])[1] + nx)
            unrestricted -= marginal
            logl -= marginal
    return float(logl), float(unrestricted)


def srmr(problem: Problem, x: np.ndarray) -> float:
    """lavaan's srmr (Bentler): sqrt(mean of squared standardised residuals), weighted over groups by N_g/N."""
    rows, cols = problem.model.vech_rows, problem.model.vech_cols
    values = []
    for s, (sigma, mu) in zip(problem.stats, problem.model.implied(x)):
        sd = np.sqrt(np.diag(s.cov))
        resid = ((s.cov - sigma) / np.outer(sd, sd))[rows, cols]
        if problem.model.meanstructure:
            resid = np.concatenate([(s.mean - mu) / sd, resid])
        values.append(np.sqrt(np.mean(resid**2)))
    return float(problem.weights @ np.array(values))


def fit_measures(problem: Problem, x: np.ndarray) -> dict[str, float]:
    """The fitMeasures() subset of the contract, in lavaan's order."""
    n, groups = problem.n_total, len(problem.stats)
    npar = problem.model.n_free
    group_values = problem.group_values(x)
    chisq = max(float(sum(s.n_obs * f for s, f in zip(problem.stats, group_values))), 0.0)
    df = groups * problem.model.n_data_moments - npar
    # incomplete data (FIML): the problem computes its casewise log-likelihoods and baseline itself
    base_chisq, base_df = problem.baseline_chisq() if hasattr(problem, "baseline_chisq") else baseline_chisq(problem)
    logl, unrestricted = problem.logliks(x) if hasattr(problem, "logliks") else logliks(problem, x)
    lower, upper = rmsea_ci(chisq, df, n, groups)
    return {
        "npar": npar,
        "chisq": chisq,
        "df": df,
        "pvalue": chisq_pvalue(chisq, df) if df > 0 else np.nan,
        "baseline_chisq": base_chisq,
        "baseline_df": base_df,
        "baseline_pvalue": chisq_pvalue(base_chisq, base_df),
        "cfi": float(cfi(chisq, df, base_chisq, base_df)),
        "tli": float(tli(chisq, df, base_chisq, base_df)),
        "logl": logl,
        "unrestricted_logl": unrestricted,
        "aic": -2 * logl + 2 * npar,
        "bic": float(-2 * logl + npar * np.log(n)),
        "bic2": float(-2 * logl + npar * np.log((n + 2) / 24)),
        "ntotal": n,
        "rmsea": rmsea(chisq, df, n, groups),
        "rmsea_ci_lower": lower,
        "rmsea_ci_upper": upper,
        "rmsea_pvalue": rmsea_pvalue(chisq, df, n, groups),
        "srmr": srmr(problem, x),
    }
