"""Robust ML (lavaan's estimator = "MLR"): Huber-White standard errors and the Yuan-Bentler scaled test.

Definitions of lavaan 0.6-14 (se = "robust.huber.white", test = "yuan.bentler.mplus", information = "observed",
observed.information = "hessian", h1.information = "structured", information.meat = "first.order"), with
per-group weights ``f_g = N_g / N`` and unit (per-case) information matrices:

- ``A``: the observed information of the model (half the Hessian of ``F``; analytic here, numerical in lavaan).
- ``B1_g``: the first-order (cross-product) information of the unrestricted normal model,
  ``sum_i s_i s_i' / N_g`` with ``s_i`` the casewise scores of the normal log-likelihood with respect to
  (means, vech(Sigma)) (lav_mvnorm_scores_mu_vech_sigma / lav_mvnorm_missing_scores_mu_vech_sigma); "structured"
  evaluates them at the model-implied moments, "unstructured" at the saturated ones (sample or EM moments).
  Without a mean structure the means are the sample means and only the covariance scores enter.
- Sandwich (lav_model_nvcov_robust_sandwich): ``vcov = A^-1 (sum_g f_g Delta_g' B1_g Delta_g) A^-1 / N``.
- Yuan-Bentler (Mplus variant; Yuan & Bentler 2000, lav_test_yuan_bentler_mplus_trace): with ``A1_g`` the
  observed information of the unrestricted model at its estimates, ``c = sum_g [tr(A1_g^-1 B1_g) -
  f_g tr(Delta_g' B1_g(structured) Delta_g A^-1)] / df``; ``chisq_scaled = chisq / c``. The baseline
  (independence) model gets its own factor from the same formula (its Delta selects means and variances).
- Scaled and robust indices (lav_fit_cfi_lavobject, lav_fit_rmsea_lavobject): CFI/TLI of the scaled statistics;
  ``rmsea_scaled`` = RMSEA of the unscaled chi-square on ``c df`` degrees of freedom; the robust CFI/TLI/RMSEA of
  Brosseau-Liang & Savalei (2018, 2019): ``chisq - c df`` in place of ``chisq - df`` (and ``c_b df_b`` in the
  baseline). With missing data lavaan's robust CFI/RMSEA are the FIML-corrected ones of Zhang & Savalei
  (2022; lav_fit_fiml_corrected, version "V3" with a scaled test, "V6" without), also given for plain FIML.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as st

from ._estimation import MLDiscrepancy, Problem
from ._fiml import FIMLProblem, MissingStats
from ._fitmeasures import cfi, rmsea, rmsea_ci, rmsea_pvalue, tli
from ._model import vech_indices
from ._mvnorm import h1_observed_information, missing_information, vech_positions
from ._samplestats import SampleStats


def _scores(centred: np.ndarray, w: np.ndarray, w_embedded: np.ndarray) -> np.ndarray:
    """Casewise scores (W e, vech(W e e' W - W) with halved diagonal) for rows ``centred`` (zeros where missing)."""
    p = len(w_embedded)
    rows, cols = vech_indices(p)
    we = centred @ w
    cov_part = we[:, rows] * we[:, cols] - w_embedded[rows, cols]
    cov_part[:, rows == cols] /= 2
    return np.hstack([we, cov_part])


def casewise_scores(stats, mu: np.ndarray, sigma: np.ndarray, meanstructure: bool) -> np.ndarray:
    """N x (p + p*) scores of each case's normal log-likelihood (observed variables only with missing data)."""
    p = len(sigma)
    if not isinstance(stats, MissingStats):
        mean = mu if meanstructure else stats.mean
        out = _scores(stats.data - mean, np.linalg.inv(sigma), np.linalg.inv(sigma))
        return out if meanstructure else out[:, p:]
    out = np.zeros((stats.n_obs, p + p * (p + 1) // 2))
    for pat in stats.patterns:
        o = pat.observed
        w = np.zeros((p, p))
        w[np.ix_(o, o)] = np.linalg.inv(sigma[np.ix_(o, o)])
        centred = np.zeros((len(pat.rows), p))
        centred[:, o] = stats.data[np.ix_(pat.rows, o)] - mu[o]
        out[pat.rows] = _scores(centred, w, w)
    return out


def first_order_information(stats, mu, sigma, meanstructure: bool) -> np.ndarray:
    """``B1 = sum_i s_i s_i' / N`` (lav_mvnorm_information_firstorder and its missing-data version)."""
    scores = casewise_scores(stats, mu, sigma, meanstructure)
    return scores.T @ scores / stats.n_obs


def observed_information(stats, mu, sigma, meanstructure: bool) -> np.ndarray:
    """Unit observed information of the unrestricted model at (mu, Sigma), summed over the missing-data patterns
    for incomplete data (lav_mvnorm_information_observed_samplestats and its missing-data version)."""
    if not isinstance(stats, MissingStats):
        return h1_observed_information(stats.mean, stats.cov, mu if meanstructure else stats.mean, sigma, meanstructure)
    return missing_information(stats, mu, sigma)


def saturated_information(stats, meanstructure: bool) -> np.ndarray:
    """Observed information of the unrestricted model at its estimates (sample or EM moments)."""
    if isinstance(stats, MissingStats):
        return stats.saturated_information
    return observed_information(stats, stats.mean, stats.cov, meanstructure)


def _implied(problem: Problem, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    mats = problem.model.matrices(x, g)
    return mats.mu(), mats.sigma()


def sandwich(problem: Problem, x: np.ndarray, a_inv: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(vcov, A^-1, [B0_g]): Huber-White covariance of the estimates from the inverted unit observed information
    ``a_inv`` and each group's first-order information ``Delta_g' B1_g Delta_g`` (structured)."""
    meanstructure = problem.model.meanstructure
    b0 = []
    for g, (s, delta) in enumerate(zip(problem.stats, problem.model.delta(x))):
        mu, sigma = _implied(problem, x, g)
        b0.append(delta.T @ first_order_information(s, mu, sigma, meanstructure) @ delta)
    meat = sum(w * b for w, b in zip(problem.weights, b0))
    return a_inv @ meat @ a_inv / problem.n_total, a_inv, b0


def _h1_trace(stats, meanstructure: bool) -> float:
    """tr(A1^-1 B1) of the unrestricted model at its estimates (sample or EM moments)."""
    a1 = saturated_information(stats, meanstructure)
    b1 = first_order_information(stats, stats.mean, stats.cov, meanstructure)
    return float(np.sum(np.linalg.inv(a1) * b1.T))


def scaling_factor(problem: Problem, a_inv: np.ndarray, b0: list[np.ndarray], h1_traces, df: int) -> float:
    """Yuan-Bentler (Mplus) scaling factor c = tr(U Gamma) / df (``h1_traces``: each group's tr(A1^-1 B1))."""
    trace = sum(h1 - w * np.sum(b * a_inv.T) for w, b, h1 in zip(problem.weights, b0, h1_traces))
    return trace / df if df > 0 else np.nan


def _baseline_moments(stats) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(stats, MissingStats):
        return stats.baseline_mean, np.diag(stats.baseline_var)
    return stats.mean, np.diag(np.diag(stats.cov))


def _baseline_selection(p: int, meanstructure: bool) -> np.ndarray:
    """Positions of the independence model's parameters (means, variances) in (means, vech(Sigma))."""
    diagonal = np.diag(vech_positions(p)) + (p if meanstructure else 0)
    return np.concatenate([np.arange(p), diagonal]) if meanstructure else diagonal


def baseline_scaling_factor(problem: Problem, h1_traces, df: int) -> float:
    """The independence model's Yuan-Bentler factor: its parameters are separate per group, so each group adds
    tr(A1^-1 B1) - tr(Ab^-1 B0b) with Ab, B0b the rows/columns of the means and variances."""
    meanstructure = problem.model.meanstructure
    sel = _baseline_selection(problem.model.p, meanstructure)
    trace = 0.0
    for s, h1 in zip(problem.stats, h1_traces):
        mu, sigma = _baseline_moments(s)
        ab = observed_information(s, mu, sigma, meanstructure)[np.ix_(sel, sel)]
        bb = first_order_information(s, mu, sigma, meanstructure)[np.ix_(sel, sel)]
        trace += h1 - np.sum(np.linalg.inv(ab) * bb.T)
    return trace / df


def scaled_measures(measures: dict, c: float, c_base: float, groups: int) -> dict[str, float]:
    """The scaled (Yuan-Bentler) fit measures from the standard ones."""
    chisq, df, n = measures["chisq"], measures["df"], measures["ntotal"]
    base, base_df = measures["baseline_chisq"], measures["baseline_df"]
    scaled, base_scaled = chisq / c, base / c_base
    lower, upper = rmsea_ci(chisq, c * df, n, groups)
    return {
        "chisq_scaled": scaled,
        "df_scaled": df,
        "pvalue_scaled": float(st.chi2.sf(scaled, df)) if df > 0 else np.nan,
        "chisq_scaling_factor": c,
        "baseline_chisq_scaled": base_scaled,
        "baseline_df_scaled": base_df,
        "baseline_pvalue_scaled": float(st.chi2.sf(base_scaled, base_df)),
        "baseline_chisq_scaling_factor": c_base,
        "cfi_scaled": float(cfi(scaled, df, base_scaled, base_df)),
        "tli_scaled": float(tli(scaled, df, base_scaled, base_df)),
        "rmsea_scaled": rmsea(chisq, c * df, n, groups),
        "rmsea_ci_lower_scaled": lower,
        "rmsea_ci_upper_scaled": upper,
        "rmsea_pvalue_scaled": rmsea_pvalue(chisq, c * df, n, groups),
    }


def robust_measures(chisq, df, base, base_df, c, c_base, n, groups) -> dict[str, float]:
    """Brosseau-Liang & Savalei's robust CFI, TLI and RMSEA (lavaan's lav_fit_cfi/tli/rmsea with c.hat)."""
    t1 = max(chisq - c * df, 0.0)
    t2 = max(chisq - c * df, base - c_base * base_df, 0.0)
    tli_num, tli_den = (chisq - c * df) * base_df, (base - c_base * base_df) * df
    lower, upper = rmsea_ci(chisq / c, df, n / c, groups)
    return {
        "cfi_robust": 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1.0 - t1 / t2,
        "tli_robust": 1.0 - tli_num / tli_den if df > 0 and abs(tli_den) > 0 else 1.0,
        "rmsea_robust": float(np.sqrt(max(chisq / n / df - c / n, 0.0)) * np.sqrt(groups)) if df > 0 else 0.0,
        "rmsea_ci_lower_robust": lower,
        "rmsea_ci_upper_robust": upper,
        "rmsea_pvalue_robust": rmsea_pvalue(chisq / c, df, n / c, groups),
    }


def _block_diag(blocks) -> np.ndarray:
    size = sum(len(b) for b in blocks)
    out, start = np.zeros((size, size)), 0
    for b in blocks:
        out[start:start + len(b), start:start + len(b)] = b
        start += len(b)
    return out


def _complete_chisq(problem: Problem, moments) -> float:
    """Complete-data ML chi-square of implied ``moments`` [(mu, Sigma)] against the EM moments as sample moments."""
    ml = MLDiscrepancy()
    return float(sum(s.n_obs * ml.value(SampleStats(s.cov, s.mean, s.n_obs), sigma, mu)
                     for s, (mu, sigma) in zip(problem.stats, moments)))


def _fiml_correction_trace(wm, wmi, wc, gamma, deltas) -> float:
    """tr(U Wm^-1 Wc Wm^-1 U Gamma) ("V3", gamma given) or tr(Wc Wm^-1 U Wm^-1) ("V6") with
    U = Wm - Wm Delta (Delta' Wm Delta)^-1 Delta' Wm (all groups stacked)."""
    delta = np.vstack(deltas)
    wm_delta = wm @ delta
    u = wm - wm_delta @ np.linalg.inv(delta.T @ wm_delta) @ wm_delta.T
    if gamma is None:
        return float(np.trace(wc @ wmi @ u @ wmi))
    return float(np.trace(u @ wmi @ wc @ wmi @ u @ gamma))


def fiml_corrected(problem: Problem, x: np.ndarray, df: int, base_df: int, scaled: bool) -> dict[str, float]:
    """Robust CFI/TLI/RMSEA for FIML (lav_fit_fiml_corrected; Zhang & Savalei 2022): the model and the baseline
    evaluated on the EM moments as if complete (XX3), with scaling factors from the unit h1 informations of the
    incomplete (Wm, first-order Jm) and complete (Wc) data at the EM moments; version "V3" when the test is
    scaled (MLR), "V6" otherwise."""
    weights, p = problem.weights, problem.model.p
    wm, wmi, wc, gamma = [], [], [], []
    for w, s in zip(weights, problem.stats):
        info = saturated_information(s, True)
        inv = np.linalg.inv(info)
        wm.append(w * info)
        wmi.append(inv / w)
        wc.append(w * h1_observed_information(s.mean, s.cov, s.mean, s.cov, True))
        gamma.append(inv @ first_order_information(s, s.mean, s.cov, True) @ inv / w)
    wm, wmi, wc = _block_diag(wm), _block_diag(wmi), _block_diag(wc)
    gamma = _block_diag(gamma) if scaled else None
    sel = _baseline_selection(p, True)
    base_delta = np.kron(np.eye(len(weights)), np.eye(len(wm) // len(weights))[:, sel])  # per-group parameters
    c3 = _fiml_correction_trace(wm, wmi, wc, gamma, problem.model.delta(x)) / df
    c3_base = _fiml_correction_trace(wm, wmi, wc, gamma, [base_delta]) / base_df
    xx3 = _complete_chisq(problem, [_implied(problem, x, g) for g in range(len(weights))])
    xx3_base = _complete_chisq(problem, [_baseline_moments(s) for s in problem.stats])
    return robust_measures(xx3, df, xx3_base, base_df, c3, c3_base, problem.n_total, len(weights))


def covariance(problem: Problem, x: np.ndarray, estimator: str) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """(total information, vcov of the estimates, sandwich parts (A^-1, [B0_g]) or None).

    Complete-data ML: the expected information (lavaan's default); FIML: the observed information (lavaan's
    default with missing = "ml"); MLR: the Huber-White sandwich around the observed information."""
    n = problem.n_total
    if estimator == "ML" and not isinstance(problem, FIMLProblem):
        info = n * problem.expected_information(x)
        return info, np.linalg.pinv(info), None
    info = n * problem.observed_information(x)
    if estimator == "ML":
        return info, np.linalg.pinv(info), None
    vcov, a_inv, b0 = sandwich(problem, x, np.linalg.pinv(info / n))
    return info, vcov, (a_inv, b0)


def extra_fit_measures(problem: Problem, x: np.ndarray, measures: dict, parts: tuple | None) -> dict[str, float]:
    """Scaled measures (MLR) and robust CFI/TLI/RMSEA (MLR, and lavaan's FIML-corrected ones for any FIML fit)."""
    groups, fiml = len(problem.stats), isinstance(problem, FIMLProblem)
    df, base_df = measures["df"], measures["baseline_df"]
    out = {}
    if parts is not None:
        h1_traces = [_h1_trace(s, problem.model.meanstructure) for s in problem.stats]
        c = scaling_factor(problem, *parts, h1_traces, df)
        c_base = baseline_scaling_factor(problem, h1_traces, base_df)
        out.update(scaled_measures(measures, c, c_base, groups))
        if not fiml:
            out.update(robust_measures(measures["chisq"], df, measures["baseline_chisq"], base_df, c, c_base,
                                       problem.n_total, groups))
    if fiml and df > 0:
        out.update(fiml_corrected(problem, x, df, base_df, scaled=parts is not None))
    return out


def chisq_difference(free: dict, restricted: dict) -> tuple[float, float, float]:
    """(delta chisq, delta df, p) between nested fits' fit measures, as lavaan's lavTestLRT: the plain
    difference for ML, and for a scaled test (MLR) the scaled difference of Satorra & Bentler (2001)
    (lav_test_diff_SatorraBentler2001, lavTestLRT's default for MLR): ``(T0 - T1) / cd`` with
    ``cd = (df0 c0 - df1 c1) / (df0 - df1)`` from the unscaled statistics T and scaling factors c."""
    d_df = restricted["df"] - free["df"]
    d_chisq = restricted["chisq"] - free["chisq"]
    if "chisq_scaling_factor" in restricted and d_df > 0:
        c1 = free["chisq_scaling_factor"] if free["df"] > 0 else 1.0
        cd = (restricted["df"] * restricted["chisq_scaling_factor"] - free["df"] * c1) / d_df
        d_chisq = d_chisq / cd if cd > 0 else np.nan
    return d_chisq, d_df, float(st.chi2.sf(d_chisq, d_df)) if d_df > 0 else np.nan
