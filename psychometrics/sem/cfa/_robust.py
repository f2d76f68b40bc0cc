"""The standard-error and test stages of the pipeline, for every estimator, and robust ML's pieces.

- :func:`standard_errors` (lavaan's lav_model_vcov): "standard" inverts the information (expected, or observed
  with FIML); "robust.sem" is ``E^-1 [sum_g f_g Delta_g' W_g Gamma_g W_g Delta_g] E^-1`` with the weights ``W_g``
  (lavaan's WLS.V: the ML information of the moments at the implied ones, or the least-squares weights) and the
  NACOV ``Gamma_g``; "robust.huber.white" is the MLR sandwich below. The covariance is divided by N for ML and
  by N - G for least squares.
- :func:`model_tests` / :func:`baseline_tests`: the standard record and the scaled one (``_tests``), from
  ``tr(U Gamma)`` (satorra.bentler, mean.var.adjusted, scaled.shifted; lav_test_satorra_bentler) or from the
  Yuan-Bentler traces below; the baseline (independence) model is refitted under the same options.
- :func:`difference_test`: lavTestLRT's default test between nested fits.

Robust ML (lavaan's estimator = "MLR"): definitions of lavaan 0.6-14 (se = "robust.huber.white", test = "yuan.bentler.mplus", information = "observed",
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

import dataclasses

import numpy as np
from scipy import stats as st

from ...errors import ModelError

from ._estimation import BlockFactor, MLDiscrepancy, Problem, inverse_information
from ._fiml import MissingStats
from ._model import vech_indices
from ._mvnorm import h1_observed_information, missing_information, vech_positions
from ._options import EstimatorOptions
from ._samplestats import SampleStats, cluster_sums
from ._tests import TestStatistic, block_diag, scaled_test, standard_test, ugamma_traces
from ._wls import satorra_2000


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
    return stats.patterns.scores(mu, sigma)


def first_order_information(stats, mu, sigma, meanstructure: bool, transform: np.ndarray | None = None) -> np.ndarray:
    """``B1 = sum_i s_i s_i' / N`` (lav_mvnorm_information_firstorder and its missing-data version); with
    clusters the sum runs over the clusters' summed scores, times C / (C - 1) (cluster-robust MLR); with
    sampling weights each score is weighted and N is the sum of the weights. With a matrix ``transform`` (T:
    moments x q, e.g. a Jacobian ``Delta``) it is ``T' B1 T`` and with positions of moments the block of B1 on
    them, from q columns of scores (N q^2 instead of N (p + p*)^2 operations)."""
    scores = casewise_scores(stats, mu, sigma, meanstructure)
    if transform is not None:
        scores = scores[:, transform] if transform.ndim == 1 else scores @ transform
    scores = cluster_sums(scores, stats.cluster, stats.weights)
    return scores.T @ scores / stats.n_obs


def saturated_first_order(stats, meanstructure: bool) -> np.ndarray:
    """``B1`` at the unrestricted model's estimates (sample or EM moments), computed once per group: the
    Yuan-Bentler trace and the FIML-corrected indices both use it."""
    key = ("_saturated_first_order", meanstructure)
    if key not in stats.__dict__:
        stats.__dict__[key] = first_order_information(stats, stats.mean, stats.cov, meanstructure)
    return stats.__dict__[key]


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
        b0.append(first_order_information(s, mu, sigma, meanstructure, delta))  # Delta' B1 Delta
    meat = sum(w * b for w, b in zip(problem.weights, b0))
    return a_inv @ meat @ a_inv / problem.n_total, a_inv, b0


def _h1_trace(stats, meanstructure: bool) -> float:
    """tr(A1^-1 B1) of the unrestricted model at its estimates (sample or EM moments)."""
    a1 = saturated_information(stats, meanstructure)
    b1 = saturated_first_order(stats, meanstructure)
    return float(np.sum(np.linalg.inv(a1) * b1.T))


def _baseline_moments(stats) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(stats, MissingStats):
        return stats.baseline_mean, np.diag(stats.baseline_var)
    return stats.mean, np.diag(np.diag(stats.cov))


def _baseline_selection(p: int, meanstructure: bool) -> np.ndarray:
    """Positions of the independence model's parameters (means, variances) in (means, vech(Sigma))."""
    diagonal = np.diag(vech_positions(p)) + (p if meanstructure else 0)
    return np.concatenate([np.arange(p), diagonal]) if meanstructure else diagonal


def baseline_trace(problem: Problem, h1_traces) -> float:
    """The independence model's Yuan-Bentler trace: its parameters are separate per group, so each group adds
    tr(A1^-1 B1) - tr(Ab^-1 B0b) with Ab, B0b the rows/columns of the means and variances."""
    meanstructure = problem.model.meanstructure
    sel = _baseline_selection(problem.model.p, meanstructure)
    trace = 0.0
    for s, h1 in zip(problem.stats, h1_traces):
        mu, sigma = _baseline_moments(s)
        if isinstance(s, MissingStats) and meanstructure:  # only the means' and variances' block is computed
            ab = missing_information(s, mu, sigma, variances_only=True)
        else:
            ab = observed_information(s, mu, sigma, meanstructure)[np.ix_(sel, sel)]
        bb = first_order_information(s, mu, sigma, meanstructure, sel)
        trace += h1 - np.sum(np.linalg.inv(ab) * bb.T)
    return trace


def _complete_chisq(problem: Problem, moments) -> float:
    """Complete-data ML chi-square of implied ``moments`` [(mu, Sigma)] against the EM moments as sample moments."""
    ml = MLDiscrepancy()
    return float(
        sum(
            s.n_obs * ml.value(SampleStats(s.cov, s.mean, s.n_obs), sigma, mu)
            for s, (mu, sigma) in zip(problem.stats, moments)
        )
    )


def _fiml_correction_trace(wm, wmi, wc, gamma, deltas, invert=np.linalg.inv) -> float:
    """tr(U Wm^-1 Wc Wm^-1 U Gamma) ("V3", gamma given) or tr(Wc Wm^-1 U Wm^-1) ("V6") with
    U = Wm - Wm Delta (Delta' Wm Delta)^-1 Delta' Wm (all groups stacked; ``invert``: the constrained inverse
    under general constraints)."""
    delta = np.vstack(deltas)
    wm_delta = wm @ delta
    u = wm - wm_delta @ invert(delta.T @ wm_delta) @ wm_delta.T
    if gamma is None:
        return float(np.trace(wc @ wmi @ u @ wmi))
    return float(np.trace(u @ wmi @ wc @ wmi @ u @ gamma))


def fiml_corrected(
    problem: Problem, x: np.ndarray, df: int, base_df: int, scaled: bool, constraints=None
) -> dict[str, float]:
    """The inputs of the robust CFI/TLI/RMSEA for FIML (``_fitmeasures.fit_measures``'s ``robust``;
    lav_fit_fiml_corrected, Zhang & Savalei 2022): the model and the baseline
    evaluated on the EM moments as if complete (XX3), with scaling factors from the unit h1 informations of the
    incomplete (Wm, first-order Jm) and complete (Wc) data at the EM moments; version "V3" when the test is
    scaled (MLR), "V6" otherwise."""
    weights, p = problem.weights, problem.model.p
    wm_blocks, wmi_blocks, wc_blocks, gamma_blocks = [], [], [], []
    for w, s in zip(weights, problem.stats):
        info = saturated_information(s, True)
        inv = np.linalg.inv(info)
        wm_blocks.append(w * info)
        wmi_blocks.append(inv / w)
        wc_blocks.append(w * h1_observed_information(s.mean, s.cov, s.mean, s.cov, True))
        gamma_blocks.append(inv @ saturated_first_order(s, True) @ inv / w)
    wm, wmi, wc = block_diag(wm_blocks), block_diag(wmi_blocks), block_diag(wc_blocks)
    gamma = block_diag(gamma_blocks) if scaled else None
    sel = _baseline_selection(p, True)
    base_delta = np.kron(np.eye(len(weights)), np.eye(len(wm) // len(weights))[:, sel])  # per-group parameters
    invert = np.linalg.inv if constraints is None else (lambda info: constraints.restricted_inverse(info, x))
    c3 = _fiml_correction_trace(wm, wmi, wc, gamma, problem.model.delta(x), invert) / df
    c3_base = _fiml_correction_trace(wm, wmi, wc, gamma, [base_delta]) / base_df
    xx3 = _complete_chisq(problem, [_implied(problem, x, g) for g in range(len(weights))])
    xx3_base = _complete_chisq(problem, [_baseline_moments(s) for s in problem.stats])
    return {
        "xx3": xx3,
        "df3": df,
        "xx3_scaled": xx3 / c3,
        "c_hat": c3,
        "xx3_null": xx3_base,
        "df3_null": base_df,
        "c_hat_null": c3_base,
    }


def _divisor(problem, options: EstimatorOptions) -> int:
    """lavaan's lav_model_vcov: the information is divided by N for ML and by N - G otherwise."""
    return problem.n_total if options.likelihood else problem.n_total - len(problem.stats)


def robust_sem_vcov(problem, x: np.ndarray, e_inv: np.ndarray, divisor: int) -> np.ndarray:
    """lavaan's se = "robust.sem" (lav_model_nvcov_robust_sem): ``E^-1 [sum_g f_g Delta_g' W_g Gamma_g W_g
    Delta_g] E^-1 / divisor`` with the expected information ``E``, the weights ``W_g`` (WLS.V) and the NACOV."""
    meat = np.zeros_like(e_inv)
    for f, w, delta, gamma in zip(problem.fractions, problem.weight_blocks(x), problem.deltas(x), problem.gammas()):
        wd = w[:, None] * delta if w.ndim == 1 else w @ delta
        meat += f * wd.T @ gamma @ wd
    return e_inv @ meat @ e_inv / divisor


@dataclasses.dataclass(frozen=True)
class FactoredCovariance:
    """``matrix^-1 / divisor`` of a factored block-arrow information matrix (``_estimation.BlockFactor``), formed
    only when asked for (``np.asarray``) by the very operations that formed it before. A multi-group fit keeps its
    standard-error covariance this way: the factors grow linearly with the number of groups, the dense matrix
    (n_free x n_free) as their square (63 MB for a 4-level ladder of 40 groups, most of it the kept matrices)."""

    factor: BlockFactor
    divisor: float

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self.factor.inverse()
        out = np.divide(out, self.divisor, out=out)
        return out if dtype is None else out.astype(dtype, copy=False)

    def diagonal(self) -> np.ndarray:
        """The diagonal (the standard errors' squares) without the n_free x n_free matrix."""
        out = self.factor.inverse_diagonal()
        return np.divide(out, self.divisor, out=out)


@dataclasses.dataclass(frozen=True)
class Covariance:
    """The SE stage's output: the total ``information`` (for the identification check), ``vcov`` of the free
    parameters, the inverted unit information ``e_inv`` the scaled tests reuse, and the sandwich's per-group meat
    ``b0`` (robust.huber.white; None otherwise). With standard errors ``vcov = e_inv / divisor`` and only vcov is
    kept (``unit_inverse`` None), as its block factors (:class:`FactoredCovariance`) where the information has
    the block-arrow structure of several groups."""

    information: np.ndarray
    vcov: np.ndarray | FactoredCovariance
    unit_inverse: np.ndarray | None
    b0: list | None = None
    constraint_rank: int = 0  # rank of the general equality constraints e_inv honours: the df they add
    divisor: float = 1.0

    @property
    def e_inv(self) -> np.ndarray:
        return np.asarray(self.vcov) * self.divisor if self.unit_inverse is None else self.unit_inverse


def _standard_vcov(problem, unit: np.ndarray, divisor: float) -> np.ndarray | FactoredCovariance:
    """``unit^-1 / divisor`` (inverse_information): factored by blocks and kept so when the problem has the
    block-arrow structure of several groups and ``unit`` is positive definite, else dense."""
    blocks = getattr(problem, "blocks", None)
    if blocks is None or len(problem.stats) < 2:
        e_inv = inverse_information(problem, unit)
        return np.divide(e_inv, divisor, out=e_inv)
    try:
        return FactoredCovariance(blocks.factor(unit), divisor)
    except np.linalg.LinAlgError:
        e_inv = np.linalg.pinv(unit)  # as inverse_information: lavaan's MASS::ginv fallback
        return np.divide(e_inv, divisor, out=e_inv)


def standard_errors(problem, x: np.ndarray, options: EstimatorOptions, constraints=None) -> Covariance:
    """The covariance of the estimates for ``options.se`` and ``options.information``: "standard" inverts the
    expected (complete-data ML, least squares) or observed (FIML) information; "robust.sem" and
    "robust.huber.white" are the sandwiches above. A cluster-robust or weighted version replaces the per-case
    scores behind the meat (``first_order_information``, ``SampleStats.nacov``). Under general constraints
    (``_constraints.Constraints``) every inverse of the information is the constrained one (lavaan's augmented
    information)."""
    divisor = _divisor(problem, options)
    if options.information == "observed":
        unit = problem.observed_information(x)
    else:
        unit = problem.unit_information(x)
    if options.se == "standard" and constraints is None:
        vcov = _standard_vcov(problem, unit, divisor)
        return Covariance(np.multiply(unit, divisor, out=unit), vcov, None, None, 0, divisor)
    e_inv = inverse_information(problem, unit) if constraints is None else constraints.restricted_inverse(unit, x)
    rank = 0 if constraints is None else constraints.equality_rank(x)
    information = np.multiply(unit, divisor, out=unit)  # the problems return a new array: scaled in place
    if options.se == "robust.huber.white":
        vcov, _, b0 = sandwich(problem, x, e_inv)
        return Covariance(information, vcov, e_inv, b0, rank)
    if options.se == "robust.sem":
        return Covariance(information, robust_sem_vcov(problem, x, e_inv, divisor), e_inv, None, rank)
    return Covariance(information, np.divide(e_inv, divisor, out=e_inv), None, None, rank, divisor)


def _standard_record(problem, x: np.ndarray, options: EstimatorOptions, constraint_rank: int = 0) -> TestStatistic:
    chisq = float(problem.chisq_factors @ problem.group_values(x))
    df = len(problem.stats) * problem.model.n_data_moments - problem.model.n_free + constraint_rank
    return standard_test(chisq, df, options.discrepancy != "ULS")


def model_tests(problem, x: np.ndarray, options: EstimatorOptions, cov: Covariance) -> list[TestStatistic]:
    """The standard test record and, for a scaled test, its scaled record (see ``_tests``)."""
    standard = _standard_record(problem, x, options, cov.constraint_rank)
    if not options.scaled:
        return [standard]
    if options.test == "yuan.bentler.mplus":
        if cov.b0 is None:
            raise ModelError("the Yuan-Bentler test needs the Huber-White (sandwich) covariance of MLR")
        h1 = sum(_h1_traces(problem))
        h0 = sum(w * np.sum(b * cov.e_inv.T) for w, b in zip(problem.weights, cov.b0))
        record = scaled_test(options.test, standard, h1 - h0)
        if standard.df <= 0:
            return [standard, record]
        n_moments = len(problem.stats) * problem.model.n_moments
        n_rows_free = int(np.sum(problem.model.columns["x"] >= 0))  # lavaan's nx.free: equal parameters counted apart
        return [
            standard,
            dataclasses.replace(record, scaling_factor_h1=h1 / n_moments, scaling_factor_h0=h0 / n_rows_free),
        ]
    traces = ugamma_traces(problem.weight_blocks(x), problem.deltas(x), problem.gammas(), problem.fractions, cov.e_inv)
    return [standard, scaled_test(options.test, standard, *traces)]


def _h1_traces(problem) -> list[float]:
    key = "_h1_traces"
    cache = problem.__dict__
    if key not in cache:
        cache[key] = [_h1_trace(s, problem.model.meanstructure) for s in problem.stats]
    return cache[key]


def baseline_tests(problem, options: EstimatorOptions) -> list[TestStatistic]:
    """The independence model's records under the same options (lavaan refits it: lav_object_independence)."""
    chisq, df = problem.baseline_chisq()
    standard = standard_test(chisq, df, options.discrepancy != "ULS")
    if not options.scaled:
        return [standard]
    if options.test == "yuan.bentler.mplus":
        return [standard, scaled_test(options.test, standard, baseline_trace(problem, _h1_traces(problem)))]
    return [standard, scaled_test(options.test, standard, *_baseline_traces(problem))]


def _baseline_traces(problem) -> tuple[float, float]:
    """tr(U Gamma) and tr((U Gamma)^2) of the independence model. Its parameters are separate per group, so
    ``Delta``, ``E`` and hence ``U Gamma`` are block diagonal by group and both traces are sums of each group's
    traces (:func:`ugamma_traces` of that group alone, ``E_g = f_g D_g' W_g D_g``): memory and time linear in the
    number of groups (no stacked Jacobians over all groups' parameters)."""
    trace = trace2 = 0.0
    groups = zip(problem.baseline_jacobians(), problem.baseline_weights(), problem.gammas(), problem.fractions)
    for d, w, gamma, f in groups:
        wd = w[:, None] * d if w.ndim == 1 else w @ d
        one, two = ugamma_traces([w], [d], [gamma], [f], np.linalg.inv(f * d.T @ wd))
        trace, trace2 = trace + one, trace2 + two
    return trace, trace2


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


def difference_test(free, restricted) -> tuple[float, float, float]:
    """(delta chisq, delta df, p) of nested fits (CFAResults) as lavTestLRT's default method for their test:
    the plain difference (standard test), Satorra & Bentler (2001) for satorra.bentler and yuan.bentler.mplus,
    Satorra (2000) for scaled.shifted and mean.var.adjusted."""
    test = free._options["estimator"].test
    if test in ("scaled.shifted", "mean.var.adjusted"):
        fits = ((f._problem, f._x, f.fit_measures["chisq"], f.fit_measures["df"]) for f in (free, restricted))
        return satorra_2000(*fits)
    return chisq_difference(free.fit_measures, restricted.fit_measures)
