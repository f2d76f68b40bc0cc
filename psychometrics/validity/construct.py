"""Convergent and discriminant validity: correlations, disattenuation, AVE, composite reliability, HTMT.

The latent-variable statistics follow semTools 0.5-6 (``AVE``, ``compRelSEM``, ``htmt``) and are computed from a
fitted CFA (:func:`psychometrics.cfa`) through its ``model_matrices()``, ``sample_cov()`` and ``implied_cov()``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from scipy.special import ndtr
from statsmodels.stats.multitest import multipletests

from .._typing import FloatOrArray, ItemData, Seed
from .._checks import (
    as_correlation_matrix,
    as_item_frame,
    check_choice,
    check_confidence,
    check_column_labels,
    cut,
    label_list,
    label_position,
    looks_like_correlation_matrix,
)
from .._results import Result, TableResult
from ..errors import DataError, ModelError, ModelSyntaxError
from .._bootstrap import BOOTSTRAP_INTERVALS, bootstrap_interval, check_n_boot, resampled_statistics
from ..factor._bvn import bvn_cdf
from ..sem.model_syntax import Model, parse_model

if TYPE_CHECKING:
    from ..sem.cfa import CFAResult

__all__ = [
    "CorrelationsResult",
    "HTMTResult",
    "correlations",
    "disattenuated_correlation",
    "disattenuated_matrix",
    "ave",
    "composite_reliability",
    "CompositeReliabilityCIResult",
    "composite_reliability_ci",
    "fornell_larcker",
    "htmt",
]

# Aliases of R's p.adjust names for statsmodels' multipletests methods.
_ADJUST_ALIASES = {"BH": "fdr_bh", "fdr": "fdr_bh", "BY": "fdr_by", "hochberg": "simes-hochberg"}
_ADJUST_METHODS = ("holm", "bonferroni", "fdr_bh", "fdr_by", "simes-hochberg", "hommel", "sidak", "holm-sidak", "none")


# --------------------------------------------------------------------------------------------------------------
# Correlations with Fisher-z confidence intervals
# --------------------------------------------------------------------------------------------------------------
def fisher_interval(r: FloatOrArray, n: FloatOrArray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Fisher-z confidence interval of correlations ``r`` from ``n`` pairs: tanh(atanh(r) -/+ z_q / sqrt(n - 3)).

    As R ``cor.test`` (stats 4.2.2) for Pearson's r; NaN where n < 4.
    """
    r = np.asarray(r, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.norm.ppf(0.5 + confidence / 2) / np.sqrt(np.where(n > 3, n - 3, np.nan))
        z = np.arctanh(np.clip(r, -1.0, 1.0))
    return np.tanh(z - half), np.tanh(z + half)


def correlation_pvalue(r: FloatOrArray, n: FloatOrArray) -> np.ndarray:
    """Two-sided p-value of H0: rho = 0 from t = r sqrt((n - 2) / (1 - r^2)) on n - 2 df.

    As R ``cor.test`` for Pearson, and for Spearman with ``exact = FALSE``.
    """
    r = np.asarray(r, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(n > 2, n - 2, np.nan)
        t = r * np.sqrt(df / (1.0 - r**2))
    return 2.0 * stats.t.sf(np.abs(t), df)


def _adjust_pvalues(pvalues: np.ndarray, adjust: str) -> np.ndarray:
    method = _ADJUST_ALIASES.get(adjust, adjust)
    check_choice(method, _ADJUST_METHODS + tuple(_ADJUST_ALIASES), name="adjust")
    finite = np.isfinite(pvalues)
    adjusted = np.full_like(pvalues, np.nan)
    if method == "none":
        return pvalues.copy()
    if finite.any():
        adjusted[finite] = multipletests(pvalues[finite], method=method)[1]
    return adjusted


def _polychoric_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    from ..factor.polychoric import polychoric

    return polychoric(frame).correlation


def _correlation_matrix(frame: pd.DataFrame, method: str) -> pd.DataFrame:
    """Pairwise-complete correlation matrix (pandas ranks Spearman within each complete pair, as cor.test)."""
    if method == "polychoric":
        return _polychoric_matrix(frame)
    return frame.corr(method=method)


@dataclasses.dataclass(frozen=True, repr=False)
class CorrelationsResult(TableResult):
    """Pairwise correlations as a long table (one row per pair of variables).

    Attributes
    ----------
    table : DataFrame with columns x, y, r, ci_low, ci_high, pvalue, p_adjusted, n.
    method, confidence, adjust : the options used.
    """

    method: str
    confidence: float
    adjust: str

    def matrix(self, value: str = "r") -> pd.DataFrame:
        """The ``value`` column (r, pvalue, p_adjusted, n, ...) as a symmetric variable x variable matrix."""
        wide = self.table.pivot(index="x", columns="y", values=value)
        names = list(dict.fromkeys([*self.table["x"], *self.table["y"]]))
        full = wide.reindex(index=names, columns=names).combine_first(wide.T.reindex(index=names, columns=names))
        for name in names:
            full.loc[name, name] = 1.0 if value == "r" else np.nan
        return full


def correlations(
    data: ItemData, method: str = "pearson", confidence: float = 0.95, adjust: str = "holm"
) -> CorrelationsResult:
    """Pairwise correlations with Fisher-z confidence intervals and adjusted p-values.

    Parameters
    ----------
    data : DataFrame, respondents x variables; missing values are handled pairwise (``n`` per pair).
    method : "pearson", "spearman", "kendall" (tau-b) or "polychoric" (through :func:`psychometrics.polychoric`).
    confidence : level of the Fisher-z interval tanh(atanh(r) -/+ z / sqrt(n - 3)).
    adjust : multiplicity correction of the p-values ("holm", "bonferroni", "BH"/"fdr_bh", ..., "none";
        statsmodels ``multipletests``), over all pairs.

    Returns
    -------
    CorrelationsResult with ``table`` columns x, y, r, ci_low, ci_high, pvalue, p_adjusted, n.

    Notes
    -----
    R equivalent per pair: ``cor.test(x, y, method = method, exact = FALSE)`` (p-value from t on n - 2 df; the CI
    is cor.test's Fisher-z interval, applied to Spearman's rho as well); ``p.adjust(p, "holm")``. For polychoric
    correlations the same large-sample formulas are applied to the polychoric estimate (an approximation).
    For Kendall's tau-b the table equals ``psych::corr.test(x, method = "kendall")`` (Fisher-z interval and p from
    t, as psych; ``cor.test``'s Kendall z test differs).

    References
    ----------
    Fisher, R. A. (1921). On the probable error of a coefficient of correlation deduced from a small sample. Metron, 1, 3-32.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of Statistics, 6, 65-70.

    Examples
    --------
    >>> import psychometrics as pm
    >>> res = pm.correlations(pm.datasets.load("bfi")[["A1", "A2", "A3"]], method="kendall")
    >>> res.table[["r", "ci_low", "ci_high"]].round(4).iloc[2].tolist()
    [0.4353, 0.4045, 0.4651]
    """
    check_choice(method, ("pearson", "spearman", "kendall", "polychoric"), name="method")
    confidence = check_confidence(confidence)
    frame = as_item_frame(data, min_items=2, drop_empty_rows=True)
    r = _correlation_matrix(frame, method).to_numpy()
    observed = frame.notna().to_numpy(dtype=float)
    n_pairs = observed.T @ observed
    rows, cols = np.triu_indices(frame.shape[1], k=1)
    r_pairs, n = r[rows, cols], n_pairs[rows, cols]
    ci_low, ci_high = fisher_interval(r_pairs, n, confidence)
    pvalues = correlation_pvalue(r_pairs, n)
    names = np.asarray(frame.columns, dtype=object)
    table = pd.DataFrame(
        {
            "x": names[rows],
            "y": names[cols],
            "r": r_pairs,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "pvalue": pvalues,
            "p_adjusted": _adjust_pvalues(pvalues, adjust),
            "n": n.astype(int),
        }
    )
    return CorrelationsResult(table=table, method=method, confidence=confidence, adjust=adjust)


# --------------------------------------------------------------------------------------------------------------
# Disattenuation (Spearman 1904)
# --------------------------------------------------------------------------------------------------------------
def _check_reliabilities(values: npt.ArrayLike, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    bad = ~((values > 0) & (values <= 1))
    if bad.any():
        raise DataError(
            f"{name} must lie in (0, 1]; got {values[bad].ravel()[0]!r}. Pass reliabilities such as alpha or omega."
        )
    return values


def disattenuated_correlation(r_xy: npt.ArrayLike, rel_x: npt.ArrayLike, rel_y: npt.ArrayLike) -> float | np.ndarray:
    """Correlation corrected for attenuation: r_xy / sqrt(rel_x * rel_y) (Spearman 1904).

    Works element-wise on arrays. Values above 1 are returned as they are (they signal that the two measures
    are indistinguishable up to error, or that the reliabilities are underestimated). R: ``psych::correct.cor``.

    Parameters
    ----------
    r_xy : float or array
        Observed correlation(s), in [-1, 1].
    rel_x, rel_y : float or array
        Reliabilities of the two measures, in (0, 1].

    Returns
    -------
    float or ndarray
        The corrected correlation(s).

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between two things. American Journal of Psychology, 15, 72-101.

    Examples
    --------
    >>> import psychometrics as pm
    >>> round(pm.disattenuated_correlation(0.42, 0.8, 0.7), 4)
    0.5612
    """
    r = np.asarray(r_xy, dtype=float)
    if (np.abs(r) > 1).any():
        raise DataError(f"r_xy must lie in [-1, 1]; got {r[np.abs(r) > 1].ravel()[0]!r}.")
    corrected = r / np.sqrt(_check_reliabilities(rel_x, "rel_x") * _check_reliabilities(rel_y, "rel_y"))
    return float(corrected) if corrected.ndim == 0 else corrected


def disattenuated_matrix(corr: pd.DataFrame | npt.ArrayLike, reliabilities: npt.ArrayLike) -> pd.DataFrame:
    """Scale correlation matrix corrected for attenuation: R_ij / sqrt(rel_i rel_j), unit diagonal.

    Parameters
    ----------
    corr : scale x scale correlation matrix (labelled DataFrame).
    reliabilities : mapping or Series scale -> reliability (alpha, omega, ...), one per scale of ``corr``.

    R equivalent: ``psych::correct.cor(R, rel)`` (upper triangle).

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between two things. American Journal of Psychology, 15, 72-101.

    Examples
    --------
    >>> import psychometrics as pm
    >>> pm.disattenuated_matrix([[1, 0.5], [0.5, 1]], [0.8, 0.7]).round(4).to_numpy().tolist()
    [[1.0, 0.6682], [0.6682, 1.0]]
    """
    matrix = as_correlation_matrix(corr, require_pd=False)
    try:
        rel = pd.Series(reliabilities).astype(float)
    except (TypeError, ValueError) as error:
        raise DataError(
            f"reliabilities must be numbers, one per column of corr (or a mapping column -> number); got "
            f"{cut(repr(reliabilities), 80)}."
        ) from error
    missing = [name for name in matrix.columns if name not in rel.index]
    if missing:
        raise DataError(
            f"reliabilities has no value for scale(s) {missing}; give one reliability per column of corr "
            f"({list(matrix.columns)})."
        )
    values = _check_reliabilities(rel.loc[list(matrix.columns)].to_numpy(), "reliabilities")
    corrected = matrix.to_numpy() / np.sqrt(np.outer(values, values))
    np.fill_diagonal(corrected, 1.0)
    return pd.DataFrame(corrected, index=matrix.index, columns=matrix.columns)


# --------------------------------------------------------------------------------------------------------------
# AVE, composite reliability, Fornell-Larcker (from a CFA fit)
# --------------------------------------------------------------------------------------------------------------
def _latent_covariance(matrices: Mapping) -> pd.DataFrame:
    """Model-implied latent covariance (I - B)^-1 Psi (I - B)^-T (lavInspect(fit, "cov.lv"))."""
    psi = matrices["psi"]
    beta = matrices.get("beta")
    if beta is None or not np.any(np.asarray(beta, dtype=float)):
        return psi
    inverse = np.linalg.inv(np.eye(len(psi)) - np.asarray(beta, dtype=float))
    return pd.DataFrame(inverse @ psi.to_numpy() @ inverse.T, index=psi.index, columns=psi.columns)


def _multi_indicator_factors(loadings: pd.DataFrame) -> list:
    """Factors with more than one non-zero loading (semTools' dropSingle = TRUE)."""
    return [f for f in loadings.columns if int((loadings[f] != 0).sum()) > 1]


def _fit_groups(fit: CFAResult) -> list:
    groups = list(getattr(fit, "groups", None) or [None])
    return groups if len(groups) > 1 else [None]


def _by_group(
    fit: CFAResult, group: Hashable | None, compute: Callable[[Hashable | None], pd.Series]
) -> pd.Series | pd.DataFrame:
    """Apply ``compute(group)`` to one group, or to every group of a multi-group fit (rows = groups)."""
    if group is not None:
        return compute(group)
    groups = _fit_groups(fit)
    if groups == [None]:
        return compute(None)
    return pd.DataFrame({label: compute(label) for label in groups}).T.rename_axis("group")


# fit: a CFAResult, typed Any: asked for one group, its per-group methods answer that group's frame (not the
# dict of all groups their declared type also allows)
def _ave_one_group(fit: Any, group: Hashable | None) -> pd.Series:
    matrices = fit.model_matrices(group=group)
    loadings = matrices["lambda"]
    factors = _multi_indicator_factors(loadings)
    phi = _latent_covariance(matrices)
    observed_var = np.diag(fit.sample_cov(group=group).loc[loadings.index, loadings.index])
    scales = _ordinal_thresholds(fit, group)[1].reindex(loadings.index).fillna(1.0).to_numpy()
    observed_var = observed_var / scales**2  # ordered items: latent-response variances on the model's scale
    sub = loadings[factors]
    # semTools::AVE leaves a factor NA when any of its indicators loads on another kept factor (rounded to 5 digits).
    cross_loading = (sub.round(5) != 0).sum(axis=1) > 1
    values = {}
    for factor in factors:
        indicators = sub[factor] != 0
        if cross_loading[indicators].any():
            values[factor] = np.nan
            continue
        common = float((sub.loc[indicators, factor] ** 2).sum() * phi.loc[factor, factor])
        values[factor] = common / float(observed_var[indicators.to_numpy()].sum())
    return pd.Series(values, dtype=float, name="ave")


def ave(fit: CFAResult, group: str | None = None) -> pd.Series | pd.DataFrame:
    """Average variance extracted per factor, as ``semTools::AVE(fit)`` (semTools 0.5-6).

    AVE_f = (sum_i lambda_if^2) phi_ff / sum_i s_ii over the indicators i of f, with phi the model-implied latent
    variance and s_ii the observed (sample, divisor N) variances. For ordered items (``cfa(..., ordered=...)``)
    s_ii are the variances of the latent responses, 1 for the sample polychoric correlations (divided by the
    squared scale factors where the model has them), as semTools 0.5-6 does for categorical fits. Factors with a single indicator are dropped; a
    factor with an indicator that also loads on another factor is NaN (as semTools).

    Parameters
    ----------
    fit : a CFA fit (:func:`psychometrics.cfa`).
    group : a group label of a multi-group fit; by default every group (a DataFrame with one row per group).

    Returns
    -------
    Series indexed by factor (single group), or DataFrame group x factor.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable variables and measurement error. Journal of Marketing Research, 18, 39-50.

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.datasets.load("holzinger_swineford")
    >>> model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    >>> fit = pm.cfa(model, data)
    >>> pm.ave(fit).round(4).tolist()
    [0.3706, 0.721, 0.4245]
    """
    return _by_group(fit, group, lambda g: _ave_one_group(fit, g))


def _coefficient_alpha(cov: np.ndarray) -> float:
    """Cronbach's alpha of a covariance matrix: k / (k - 1) (1 - tr S / sum S)."""
    k = len(cov)
    return k / (k - 1) * (1.0 - np.trace(cov) / cov.sum())


def _ordinal_thresholds(fit: CFAResult, group: Hashable | None) -> tuple[dict, pd.Series]:
    """Thresholds (item -> array) and scale factors (``~*~``, 1 when absent) of the ordered items of a fit."""
    table = getattr(fit, "estimates", None)
    if table is None:  # a fit given only as model matrices and covariances: continuous indicators
        return {}, pd.Series(dtype=float)
    if group is not None and "group" in table and len(_fit_groups(fit)) > 1:
        table = table[table["group"].astype(str) == str(group)]
    cuts = table[table["op"] == "|"]
    thresholds = {item: rows["est"].to_numpy(dtype=float) for item, rows in cuts.groupby("lhs", sort=False)}
    scales = table[(table["op"] == "~*~") & (table["lhs"] == table["rhs"])].set_index("lhs")["est"].astype(float)
    return thresholds, scales


def _categorical_omega(common: np.ndarray, total: np.ndarray, thresholds: list, scales: np.ndarray) -> float:
    """Green & Yang's (2009) omega of the sum of ordinal items (eq. 21; semTools' omegaCat).

    With thresholds tau_jc (scaled), the common (true-score) correlations R = S Lambda Phi Lambda' S and the
    total correlations P = cov2cor(Sigma): omega = sum_jj' [sum_cc' Phi2(tau_jc, tau_j'c'; R_jj') - s_j s_j'] /
    sum_jj' [sum_cc' Phi2(tau_jc, tau_j'c'; P_jj') - s_j s_j'], s_j = sum_c Phi(tau_jc). On the diagonal
    P_jj = 1, where Phi2(a, b; 1) = Phi(min(a, b)).
    """
    true = common * np.outer(scales, scales)
    sd = np.sqrt(np.diag(total))
    observed = total / np.outer(sd, sd)
    cuts = [np.asarray(t) * s for t, s in zip(thresholds, scales)]
    numerator = denominator = 0.0
    for j, first in enumerate(cuts):
        for jp, second in enumerate(cuts):
            a, b = np.meshgrid(first, second, indexing="ij")
            marginal = ndtr(first).sum() * ndtr(second).sum()
            numerator += bvn_cdf(a, b, true[j, jp]).sum() - marginal
            both = ndtr(np.minimum(a, b)) if j == jp else bvn_cdf(a, b, observed[j, jp])
            denominator += both.sum() - marginal
    return float(numerator / denominator)


# fit: a CFAResult, typed Any (see _ave_one_group)
def _composite_reliability_one_group(
    fit: Any, group: Hashable | None, obs_var: bool, tau_eq: bool, ord_scale: bool
) -> pd.Series:
    matrices = fit.model_matrices(group=group)
    loadings = matrices["lambda"]
    phi = _latent_covariance(matrices)
    sigma = fit.sample_cov(group=group) if obs_var else fit.implied_cov(group=group)
    thresholds, scales = _ordinal_thresholds(fit, group)
    values = {}
    for factor in _multi_indicator_factors(loadings):
        indicators = list(loadings.index[loadings[factor] != 0])
        ordered = [item in thresholds for item in indicators]
        item_scales = scales.reindex(indicators).fillna(1.0).to_numpy()
        # semTools rescales the (polychoric) covariances of ordered items by their scale factors (1 by default)
        total = sigma.loc[indicators, indicators].to_numpy() / np.outer(item_scales, item_scales)
        if tau_eq:
            values[factor] = _coefficient_alpha(total)
            continue
        lam = loadings.loc[indicators, factor].to_numpy()
        if any(ordered) and not all(ordered):  # semTools: no omega for a mix of ordinal and continuous items
            values[factor] = np.nan
        elif all(ordered) and ord_scale:
            common = np.outer(lam, lam) * phi.loc[factor, factor]
            values[factor] = _categorical_omega(common, total, [thresholds[i] for i in indicators], item_scales)
        else:
            values[factor] = float(lam.sum() ** 2 * phi.loc[factor, factor] / total.sum())
    return pd.Series(values, dtype=float, name="composite_reliability")


def composite_reliability(
    fit: CFAResult, obs_var: bool = True, tau_eq: bool = False, group: str | None = None, *, ord_scale: bool = True
) -> pd.Series | pd.DataFrame:
    """Composite (omega) reliability per factor, as ``semTools::compRelSEM(fit)`` (semTools 0.5-6).

    omega_f = (sum_i lambda_if)^2 phi_ff / 1' S_f 1, where S_f is the covariance matrix of the indicators of f:
    the observed (sample) covariances when ``obs_var`` (default, Bentler 2009) else the model-implied ones. With
    ``tau_eq=True`` coefficient alpha of S_f is returned instead. Factors with one indicator are dropped.

    A fit with ordered items (``cfa(..., ordered=...)``) gives, when ``ord_scale`` (default), the categorical
    omega of Green & Yang (2009): the reliability of the sum of the observed ordinal answers, from the
    thresholds, the common part of the polychoric correlations and the sample (``obs_var``) or model-implied
    polychoric correlations. ``ord_scale=False`` gives the reliability of the sum of the latent responses
    (the formula above on the polychoric scale). A factor mixing ordinal and continuous items is NaN (semTools
    gives NA).

    Parameters
    ----------
    fit : a CFA fit (:func:`psychometrics.cfa`), continuous or ordered indicators.
    obs_var, tau_eq, ord_scale : as compRelSEM's ``obs.var``, ``tau.eq`` and ``ord.scale``.
    group : a group label of a multi-group fit; by default every group (a DataFrame with one row per group).

    Returns
    -------
    Series indexed by factor (single group), or DataFrame group x factor.

    Notes
    -----
    R: ``semTools::compRelSEM(fit, obs.var = obs_var, tau.eq = tau_eq, ord.scale = ord_scale)``; with ordered
    items and ``tau_eq=True`` semTools computes alpha from the raw data, whereas here it is the alpha of the
    polychoric correlations (ordinal alpha).

    References
    ----------
    Raykov, T. (1997). Estimation of composite reliability for congeneric measures. Applied Psychological Measurement, 21, 173-184.

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.datasets.load("holzinger_swineford")
    >>> model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    >>> fit = pm.cfa(model, data)
    >>> pm.composite_reliability(fit).round(4).tolist()
    [0.612, 0.8851, 0.6858]
    """
    return _by_group(fit, group, lambda g: _composite_reliability_one_group(fit, g, obs_var, tau_eq, ord_scale))


@dataclasses.dataclass(frozen=True, repr=False)
class CompositeReliabilityCIResult(TableResult):
    """Composite reliability per factor with its bootstrap interval.

    ``table`` is indexed by factor with columns estimate, ci_low, ci_high; ``ci_method`` ("percentile" or
    "bca"), ``confidence``, ``n_boot`` resamples of which ``n_failed`` could not be fitted (left out), ``n_used``
    the respondents of the fit.
    """

    ci_method: str
    confidence: float
    n_boot: int
    n_failed: int
    n_used: int


def composite_reliability_ci(
    model: Model,
    data: pd.DataFrame,
    *,
    ci: str = "percentile",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: Seed = None,
    obs_var: bool = True,
    tau_eq: bool = False,
    ord_scale: bool = True,
    **cfa_options: Any,
) -> CompositeReliabilityCIResult:
    """Composite reliability (:func:`composite_reliability`) with a bootstrap interval per factor.

    The model is fitted to ``data`` (:func:`psychometrics.cfa` with ``cfa_options``, e.g. ``ordered=True`` for the
    categorical omega of Green & Yang 2009), then refitted on ``n_boot`` resamples of the respondents drawn with
    ``numpy.random.default_rng(seed)``; the interval is the percentile or BCa interval of the resampled values
    (Efron & Tibshirani 1993, ch. 13-14; BCa's acceleration from the delete-one jackknife, one refit per
    respondent); the refits' warnings (e.g. Heywood cases in a resample) are silenced. Single-group models only.
    semTools 0.5-6 gives no standard error for compRelSEM, so there is
    no delta-method interval to match.

    R: ``semTools::compRelSEM(lavaan::cfa(model, data, ...))`` for the estimate; the interval as
    ``boot::boot.ci(boot::boot(data, function(d, i) compRelSEM(cfa(model, d[i, ])), R = n_boot),
    type = c("perc", "bca"))`` up to the resampling stream.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> res = pm.composite_reliability_ci("visual =~ x1 + x2 + x3", hs, n_boot=20, seed=1)
    >>> list(res.to_frame().columns)
    ['estimate', 'ci_low', 'ci_high']
    """
    from ..sem.cfa import cfa  # sem imports validity helpers at load time: a local import avoids the cycle

    check_choice(ci, BOOTSTRAP_INTERVALS, name="ci")
    confidence = check_confidence(confidence)
    n_boot = check_n_boot(n_boot)
    if cfa_options.get("group") is not None:
        raise DataError("composite_reliability_ci bootstraps single-group models; fit each group's data separately.")
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame of respondents x items; got {type(data).__name__}.")

    def reliability(fit: CFAResult) -> pd.Series:
        return _composite_reliability_one_group(fit, None, obs_var, tau_eq, ord_scale)

    fit = cfa(model, data, **cfa_options)
    estimate = reliability(fit)
    values = data.reset_index(drop=True)

    def statistic(rows: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():  # Heywood cases etc. of single resamples: the fit of the data warns
            warnings.simplefilter("ignore")
            refit = cfa(model, values.iloc[rows].reset_index(drop=True), **cfa_options)
        return reliability(refit).reindex(estimate.index).to_numpy()

    draws = resampled_statistics(statistic, len(values), n_boot, seed)
    intervals = bootstrap_interval(estimate.to_numpy(), draws, ci, confidence, statistic, len(values))
    table = pd.DataFrame(
        {"estimate": estimate, "ci_low": [low for low, _ in intervals], "ci_high": [high for _, high in intervals]},
        index=estimate.index,
    ).rename_axis("factor")
    return CompositeReliabilityCIResult(
        table=table,
        ci_method=ci,
        confidence=confidence,
        n_boot=n_boot,
        n_failed=int(np.isnan(draws).all(axis=1).sum()),
        n_used=int(fit.n_obs),
    )


def _latent_correlation(fit: CFAResult, group: Hashable | None) -> pd.DataFrame:
    phi = _latent_covariance(fit.model_matrices(group=group))
    sd = np.sqrt(np.diag(phi.to_numpy()))
    return phi / np.outer(sd, sd)


def fornell_larcker(fit: CFAResult, group: str | None = None) -> pd.DataFrame:
    """Fornell-Larcker (1981) criterion: sqrt(AVE) against the latent correlations.

    Returns a factor x factor DataFrame with sqrt(AVE) on the diagonal and the model-implied latent correlations
    off the diagonal, plus ``max_abs_correlation`` (largest absolute correlation with another factor) and
    ``pass`` (sqrt(AVE) > max_abs_correlation; <NA> when the AVE is undefined). Only the factors that have an
    AVE (two or more indicators) are shown. For a multi-group fit pass ``group``.

    Parameters
    ----------
    fit : CFAResult
        A fitted :func:`psychometrics.cfa` model.
    group : str, optional
        The group of a multi-group fit.

    Returns
    -------
    DataFrame
        Factors x factors, with ``max_abs_correlation`` and ``pass`` columns.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable variables and measurement error. Journal of Marketing Research, 18, 39-50.

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.datasets.load("holzinger_swineford")
    >>> model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    >>> fit = pm.cfa(model, data)
    >>> pm.fornell_larcker(fit)["pass"].tolist()
    [True, True, True]
    """
    if group is None and _fit_groups(fit) != [None]:
        raise DataError(f"fit has groups {list(fit.groups)}; pass group=... to fornell_larcker.")
    root_ave = np.sqrt(_ave_one_group(fit, group))
    factors = list(root_ave.index)
    table = _latent_correlation(fit, group).loc[factors, factors].copy()
    off_diagonal = table.abs().to_numpy(copy=True)
    np.fill_diagonal(off_diagonal, np.nan)
    for factor in factors:
        table.loc[factor, factor] = root_ave[factor]
    table["max_abs_correlation"] = np.nanmax(off_diagonal, axis=1) if len(factors) > 1 else np.nan
    passed = pd.array(root_ave.to_numpy() > table["max_abs_correlation"].to_numpy(), dtype="boolean")
    passed[root_ave.isna().to_numpy()] = pd.NA
    table["pass"] = passed
    return table


# --------------------------------------------------------------------------------------------------------------
# HTMT (Henseler, Ringle & Sarstedt 2015; Roemer, Schuberth & Henseler 2021)
# --------------------------------------------------------------------------------------------------------------
def _parse_model(model: str) -> dict[str, list[str]]:
    """Factor -> indicators from the ``=~`` terms of lavaan syntax (as semTools::htmt reads lavaanify(model))."""
    mapping: dict[str, list[str]] = {}
    for term in parse_model(model).terms:
        if term.op == "=~":
            indicators = mapping.setdefault(term.lhs, [])
            if term.rhs not in indicators:
                indicators.append(term.rhs)
    if not mapping:
        raise ModelSyntaxError("the model has no measurement statement 'factor =~ item1 + item2 + ...'", line=1)
    return mapping


def _measurement_mapping(
    model_or_mapping: str | Mapping[str, Any], columns: list[Hashable] | None = None
) -> dict[str, list[str]]:
    """Factor -> list of indicators from lavaan syntax or a mapping; checks the indicators exist in ``columns``."""
    if isinstance(model_or_mapping, str):
        mapping = _parse_model(model_or_mapping)
    elif isinstance(model_or_mapping, Mapping):
        mapping = {
            str(k): label_list(v, name=f"the items of factor {k!r}", error=ModelError)
            for k, v in model_or_mapping.items()
        }
    else:
        raise ModelError(
            f"expected lavaan model syntax or a mapping {{factor: [items]}}; got {type(model_or_mapping).__name__}."
        )
    empty = [factor for factor, items in mapping.items() if not items]
    if empty or not mapping:
        raise ModelError(f"factor(s) {empty} have no indicators; list at least one item per factor.")
    if columns is not None:
        unknown = {f: [i for i in items if label_position(i, columns) is None] for f, items in mapping.items()}
        unknown = {f: items for f, items in unknown.items() if items}
        if unknown:
            raise DataError(
                "the model names columns that are not in the data: "
                + "; ".join(f"{f}: {items}" for f, items in unknown.items())
                + f". Available columns: {list(columns)[:30]}. Fix the item names or the data."
            )
    return mapping


def _htmt_masks(mapping: dict[str, list[str]], items: list[str]) -> np.ndarray:
    """masks[f, g] selects the item pairs (i of f, j of g, i != j) whose correlations HTMT averages."""
    position = {item: k for k, item in enumerate(items)}
    membership = np.zeros((len(mapping), len(items)))
    for f, indicators in enumerate(mapping.values()):
        membership[f, [position[i] for i in indicators]] = 1.0
    masks = np.einsum("fi,gj->fgij", membership, membership)
    masks[:, :, np.arange(len(items)), np.arange(len(items))] = 0.0
    return masks


def _htmt_from_correlations(corr: np.ndarray, masks: np.ndarray, htmt2: bool, absolute: bool) -> np.ndarray:
    """HTMT for a stack of correlation matrices ``corr`` (draws x items x items) -> draws x factors x factors.

    Mean of the heterotrait-heteromethod correlations over sqrt of the product of the two monotrait-heteromethod
    means; geometric means for HTMT2 (always of absolute values), arithmetic means for the original HTMT.
    """
    values = np.abs(corr) if (absolute or htmt2) else corr
    counts = masks.sum(axis=(2, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        if htmt2:
            means = np.exp(np.einsum("bij,fgij->bfg", np.log(values), masks) / counts)
        else:
            means = np.einsum("bij,fgij->bfg", values, masks) / counts
        within = np.diagonal(means, axis1=1, axis2=2)
        return means / np.sqrt(within[:, :, None] * within[:, None, :])


def _weighted_correlations(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Correlation matrices of ``x`` (n x p) under each row of bootstrap counts ``weights`` (draws x n)."""
    centred = x - x.mean(axis=0)
    n = weights.sum(axis=1, keepdims=True)
    means = weights @ centred / n
    products = (centred[:, :, None] * centred[:, None, :]).reshape(len(x), -1)
    second = (weights @ products / n).reshape(len(weights), x.shape[1], x.shape[1])
    cov = second - means[:, :, None] * means[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
        return cov / (sd[:, :, None] * sd[:, None, :])


def _bootstrap_htmt(
    x: np.ndarray, masks: np.ndarray, draws: int, seed: Seed, htmt2: bool, absolute: bool
) -> np.ndarray:
    """HTMT of ``draws`` nonparametric bootstrap resamples of the rows of ``x``, in memory-bounded chunks."""
    rng = np.random.default_rng(seed)
    n = len(x)
    chunk = max(1, min(draws, 4_000_000 // max(n, x.shape[1] ** 2)))
    results = []
    for start in range(0, draws, chunk):
        size = min(chunk, draws - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float)
        results.append(_htmt_from_correlations(_weighted_correlations(x, weights), masks, htmt2, absolute))
    return np.concatenate(results)


@dataclasses.dataclass(frozen=True, repr=False)
class HTMTResult(Result):
    """Heterotrait-monotrait ratios of correlations.

    Attributes
    ----------
    matrix : factor x factor DataFrame (as semTools::htmt; unit diagonal).
    pairs : one row per factor pair: factor_1, factor_2, htmt and, with a bootstrap, ci_low, ci_high (percentile)
        and share_below_85, share_below_90 (share of draws below 0.85 and 0.90).
    htmt2 : True for the geometric-mean HTMT2, False for the arithmetic HTMT.
    n_obs : rows used (listwise complete), None for a correlation matrix input.
    bootstrap : number of bootstrap draws (0 = none); confidence : level of the percentile interval.
    """

    matrix: pd.DataFrame
    pairs: pd.DataFrame
    htmt2: bool
    n_obs: int | None
    bootstrap: int
    confidence: float

    def to_frame(self) -> pd.DataFrame:
        return self.matrix.copy()


def _htmt_input(
    data: ItemData, mapping_source: str | Mapping[str, Any]
) -> tuple[dict[str, list[str]], list[str], pd.DataFrame | None, np.ndarray]:
    """(mapping, items, listwise complete data or None, item correlation matrix)."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a DataFrame with named item columns; got {type(data).__name__}.")
    check_column_labels(data, "data")
    is_corr = list(data.index) == list(data.columns) and looks_like_correlation_matrix(data)
    columns = list(data.columns)
    mapping = _measurement_mapping(mapping_source, columns=columns)
    items = list(dict.fromkeys(item for indicators in mapping.values() for item in indicators))
    positions = [label_position(item, columns) for item in items]  # by position: [True] would be a mask
    if is_corr:
        corr = as_correlation_matrix(data.iloc[positions, positions], require_pd=False)
        return mapping, items, None, corr.to_numpy()
    frame = as_item_frame(data.iloc[:, positions], min_items=2)
    complete = frame.dropna()
    if len(complete) < 3:
        raise DataError(f"only {len(complete)} row(s) have every item of the model observed; HTMT needs at least 3.")
    return mapping, items, complete, complete.corr().to_numpy()


def htmt(
    model_or_mapping: str | Mapping[str, list[str]],
    data: ItemData,
    htmt2: bool = True,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
    absolute: bool = True,
) -> HTMTResult:
    """Heterotrait-monotrait ratio of correlations between every pair of factors, as ``semTools::htmt``.

    ``HTMT_fg = mean(|r_ij|, i in f, j in g) / sqrt(mean(|r_ii'|, within f) mean(|r_jj'|, within g))`` with
    arithmetic means (Henseler, Ringle & Sarstedt 2015; ``htmt2=False``) or geometric means (HTMT2, Roemer,
    Schuberth & Henseler 2021; ``htmt2=True``, the default as semTools 0.5-6).

    Parameters
    ----------
    model_or_mapping : lavaan model syntax (its ``=~`` lines are used) or a mapping {factor: [items]}.
    data : respondents x items DataFrame (rows with a missing item are dropped listwise, as semTools' default
        ``missing = "listwise"``; the count is ``n_obs``), or a labelled item correlation matrix.
    bootstrap : number of nonparametric bootstrap draws for percentile intervals (raw data only); 0 for none.
    seed : seed of the bootstrap (numpy.random.default_rng).
    absolute : use absolute correlations for the arithmetic HTMT (semTools' default; HTMT2 always does).

    R equivalent: ``semTools::htmt(model, data, htmt2 = TRUE)``.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing discriminant validity in variance-based structural equation modeling. Journal of the Academy of Marketing Science, 43, 115-135.
    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 - an improved criterion for assessing discriminant validity in structural equation modeling. Industrial Management & Data Systems, 121, 2637-2650.

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.datasets.load("holzinger_swineford")
    >>> model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    >>> res = pm.htmt(model, data)
    >>> round(float(res.matrix.loc["visual", "textual"]), 4)
    0.3841
    """
    confidence = check_confidence(confidence)
    if not float(bootstrap).is_integer() or bootstrap < 0:
        raise DataError(f"bootstrap={bootstrap!r} must be a whole number of draws (0 for none).")
    mapping, items, complete, corr = _htmt_input(data, model_or_mapping)
    masks = _htmt_masks(mapping, items)
    matrix = _htmt_from_correlations(corr[None], masks, htmt2, absolute)[0]
    factors = list(mapping)
    rows, cols = np.triu_indices(len(factors), k=1)
    pairs = pd.DataFrame(
        {"factor_1": [factors[i] for i in rows], "factor_2": [factors[j] for j in cols], "htmt": matrix[rows, cols]}
    )
    if bootstrap:
        if complete is None:
            raise DataError("a bootstrap needs the raw data; pass respondents x items instead of a correlation matrix.")
        draws = _bootstrap_htmt(complete.to_numpy(), masks, int(bootstrap), seed, htmt2, absolute)[:, rows, cols]
        tail = (1 - confidence) / 2
        pairs["ci_low"] = np.nanquantile(draws, tail, axis=0)
        pairs["ci_high"] = np.nanquantile(draws, 1 - tail, axis=0)
        valid = np.isfinite(draws).sum(axis=0)
        pairs["share_below_85"] = (draws < 0.85).sum(axis=0) / valid
        pairs["share_below_90"] = (draws < 0.90).sum(axis=0) / valid
    return HTMTResult(
        matrix=pd.DataFrame(matrix, index=factors, columns=factors),
        pairs=pairs,
        htmt2=bool(htmt2),
        n_obs=None if complete is None else len(complete),
        bootstrap=int(bootstrap),
        confidence=confidence,
    )
