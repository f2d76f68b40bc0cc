"""cfa(): the user-facing entry point. Resolves the estimator's option set, reads the data and runs the one fit
pipeline (``_pipeline``)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import pandas as pd

from ..._checks import check_confidence, label_list
from ...errors import DataError, ModelError
from .._entry_checks import check_cfa_input
from ..model_syntax import Model
from ._data import prepare, wants_ordinal
from ._options import EstimatorOptions, resolve_estimator
from ._partable import GROUP_EQUAL_CHOICES
from ..._blas import single_threaded
from ._pipeline import fit
from ._pipeline import fit_ladder as pipeline_ladder
from ._defined import syntax_hooks
from ._result import CFAResult
from ._twolevel import is_two_level, two_level_cfa


def cfa(
    model: Model,
    data: pd.DataFrame | None = None,
    *,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    std_lv: bool = False,
    estimator: str = "ML",
    missing: str = "listwise",
    sample_cov: pd.DataFrame | Mapping[Hashable, pd.DataFrame] | None = None,
    sample_mean: pd.Series | Mapping[Hashable, pd.Series] | None = None,
    n_obs: int | Mapping[Hashable, int] | None = None,
    ordered: str | Sequence[str] | bool | None = None,
    cluster: str | None = None,
    sampling_weights: str | None = None,
    confidence: float = 0.95,
) -> CFAResult:
    """Fit a confirmatory factor analysis / structural equation model by maximum likelihood, as lavaan.

    Parameters
    ----------
    model : str or ParsedModel
        lavaan model syntax (see :func:`psychometrics.parse_model`), with lavaan's constraints on labelled
        parameters: ``a == b``, linear and nonlinear equalities (``a == 2*b + c``, ``b1 == (b2 + b3)^2``) and
        inequalities (``a > 0.5``), estimated as lavaan (see ``psychometrics.sem.cfa._constraints``); each
        equality constraint adds one degree of freedom.
    data : DataFrame, optional
        Respondents x variables. Cases with a missing value on a model variable are dropped (listwise) unless
        ``missing="fiml"``.
    group : str, optional
        Column holding the group; a multi-group model is fitted (groups in order of appearance, as lavaan).
    group_equal : sequence of str
        Parameter types constrained equal across groups: loadings, intercepts, means, residuals,
        residual.covariances, lv.variances, lv.covariances, regressions.
    group_partial : sequence of str
        Parameters exempt from ``group_equal``, e.g. ``"visual =~ x3"``, ``"x3 ~1"``.
    std_lv : bool
        Identify factors by unit variances instead of marker variables.
    estimator : str
        An option set as lavaan's (see ``psychometrics.sem.cfa._options``). Continuous items: ``"ML"``
        (normal-theory ML), ``"MLR"`` (Huber-White standard errors around the observed information, Yuan-Bentler
        (Mplus) scaled test), ``"MLM"`` (robust.sem standard errors, Satorra-Bentler scaled test), ``"MLMV"``
        (robust.sem, scaled-and-shifted test), ``"ULS"``, ``"DWLS"``, ``"WLS"`` (least squares with the identity,
        the diagonal of the ADF NACOV or its inverse as weights). Ordered items: ``"WLSMV"`` (the default),
        ``"ULSMV"``, ``"DWLS"``, ``"WLS"``. ``fit_measures`` holds every key of lavaan's fitMeasures() for the
        estimator ('.' written '_'), with the scaled and robust variants of a scaled test.
        R: ``cfa(..., estimator = "MLR")``.
    missing : str
        ``"listwise"``, or ``"fiml"`` (alias ``"ml"``): full-information ML on all cases with at least one answer
        (casewise likelihood by missing-data pattern, EM saturated model for the chi-square, observed-information
        standard errors, lavaan's FIML-corrected cfi_robust/rmsea_robust; see ``psychometrics.sem.cfa._fiml``).
        R: ``cfa(..., missing = "fiml")``. Raw data only; modification indices use the expected information of
        the incomplete data (as lavaan's modindices()).
        ``"pairwise"`` (ordered items only): lavaan's default treatment of ordinal data with missing answers,
        WLSMV/ULSMV on every case with at least one answer; each item's thresholds from the cases answering it,
        each polychoric correlation from the cases answering both items, and the NACOV behind the weights, robust
        standard errors and tests from the same pairwise-present scores (see ``_categorical``). R: ``cfa(...,
        ordered = ..., missing = "pairwise")``.
    sample_cov, sample_mean, n_obs :
        Fit from moments instead of data: an unbiased covariance DataFrame (or dict group -> DataFrame), means
        (Series or dict) and N (int or dict). The covariance is rescaled by (N-1)/N as lavaan does.
    ordered : list of str or True, optional
        Ordinal items (True: all observed variables; every indicator must be ordinal): lavaan's WLSMV (DWLS on
        thresholds and polychoric correlations, robust standard errors, scaled-shifted chi-square, delta
        parameterisation, complete cases or ``missing="pairwise"``); ``estimator`` "ML" (the default, meaning lavaan's default WLSMV),
        "WLSMV", "ULSMV", "DWLS" or "WLS". ``group_equal`` may also
        hold "thresholds". See ``psychometrics.sem.cfa._wls``; R: ``cfa(model, data, ordered = ordered)``.
    cluster : str, optional
        With ``level: 1`` / ``level: 2`` blocks in the model: the level-2 unit of a two-level CFA (ML or MLR,
        complete cases, one group; observed variables at one or both levels; factor models, factor regressions), as
        lavaan's two-level ``cfa(model, data, cluster = "cluster")``; the result (``TwoLevelCFAResult``) has a
        ``level`` column in ``estimates``, ``n_clusters``, srmr_within and srmr_between in ``fit_measures`` and
        ``implied_cov``/``sample_cov``/``residuals(level=...)`` (see ``psychometrics.sem.cfa._twolevel``).
        Otherwise: the
        column holding each respondent's cluster (e.g. the service), nested in the groups: cluster-robust
        standard errors and Yuan-Bentler test for ``estimator="MLR"`` (complete data or ``missing="fiml"``), as
        lavaan's single-level ``cfa(..., estimator = "MLR", cluster = "service")``: the casewise scores behind
        the sandwich's meat and the test's traces are summed within clusters and scaled by C / (C - 1). The
        estimates and the unscaled chi-square do not change. Not available for ordered items (lavaan 0.6-14
        accepts it there but leaves the WLSMV standard errors and tests unclustered).
    sampling_weights : str, optional
        Column of sampling weights: weighted ML as lavaan's ``sampling.weights = "w"`` (complete cases,
        continuous items). The weights are normalised to sum to the number of cases used (lavaan's
        sampling.weights.normalization = "total"); the sample moments are the weighted ones (divisor: the sum of
        the weights), and the casewise scores of the sandwich and of the Yuan-Bentler test are weighted. As in
        lavaan, weights make ``estimator="ML"`` robust: its standard errors and scaled test are MLR's.
        May be combined with ``cluster``.
    confidence : float
        Level of the estimates' confidence intervals ``ci_lower``/``ci_upper`` (lavaan's parameterEstimates(level
        = ...)); 0.95 by default.

    Returns
    -------
    CFAResult
        ``fit_measures``, ``estimates``, ``converged``, ``n_obs``, ``groups``, ``latent_variables``,
        ``observed_variables``; methods ``implied_cov``, ``residuals``, ``sample_cov``,
        ``modification_indices``, ``model_matrices``, ``vcov``.

    Notes
    -----
    Equivalent R call (lavaan 0.6-14): ``cfa(model, data, group = group, group.equal = group_equal,
    group.partial = group_partial, std.lv = std_lv)`` (or ``sem()``, whose defaults are the same). Standard
    errors come from the expected information (lavaan's default for complete-data ML; the observed information
    with FIML, the sandwich with MLR, as lavaan 0.6-14); ``fit_measures`` follows
    fitMeasures() (see ``psychometrics.sem.cfa._fitmeasures``). Reference: Rosseel (2012), J Stat Softw 48(2).

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of Statistical Software, 48(2), 1-36.
    Joreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor analysis. Psychometrika, 34, 183-202.

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.datasets.load("holzinger_swineford")
    >>> model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    >>> fit = pm.cfa(model, data)
    >>> round(fit.fit_measures["chisq"], 3), fit.fit_measures["df"], round(fit.fit_measures["cfi"], 4)
    (85.306, 24, 0.9306)
    """
    read_columns = check_cfa_input(model, data, ordered, group, missing)
    if is_two_level(model):  # level: 1 / level: 2 blocks (psychometrics.sem.cfa._twolevel)
        return two_level_cfa(
            model,
            data,
            cluster=cluster,
            estimator=estimator,
            std_lv=std_lv,
            confidence=confidence,
            group=group,
            group_equal=group_equal,
            group_partial=group_partial,
            missing=missing,
            sample_cov=sample_cov,
            sample_mean=sample_mean,
            n_obs=n_obs,
            ordered=ordered,
            sampling_weights=sampling_weights,
        )
    model, finish = syntax_hooks(model)  # a == b by shared labels; := rows appended after the fit
    options = resolve_estimator(
        weighted_estimator(estimator, sampling_weights, ordered), categorical=wants_ordinal(ordered), missing=missing
    )
    group_equal = check_group_equal(group_equal, options)
    check_cluster(cluster, options)
    check_confidence(confidence)
    if sample_cov is not None and (
        options.se == "robust.huber.white" or options.se == "robust.sem" or options.discrepancy != "ML"
    ):
        raise DataError(f"estimator={options.name!r} needs the raw data (data=...), not sample_cov")
    prepared = prepare(
        model,
        data,
        group,
        sample_cov=sample_cov,
        sample_mean=sample_mean,
        n_obs=n_obs,
        missing=missing,
        ordered=ordered,
        cluster=cluster,
        sampling_weights=sampling_weights,
        read_columns=read_columns,
    )
    with single_threaded():  # small matrices: one BLAS thread (psychometrics._blas)
        return finish(
            fit(
                prepared,
                options,
                group_equal=group_equal,
                group_partial=group_partial,
                std_lv=std_lv,
                confidence=confidence,
            )
        )


def weighted_estimator(estimator: str, sampling_weights, ordered) -> str:
    """lavaan: with sampling weights, ML's standard errors and test are robust (MLR's option set)."""
    robust = sampling_weights is not None and estimator == "ML" and not wants_ordinal(ordered)
    return "MLR" if robust else estimator


def check_cluster(cluster, options: EstimatorOptions) -> None:
    """cluster= is cluster-robust MLR (continuous items); other option sets refuse it."""
    if cluster is None:
        return
    if options.categorical:
        raise ModelError(
            f"cluster={cluster!r} is not available for ordered items: lavaan 0.6-14 accepts it but leaves the "
            "WLSMV standard errors and tests unclustered. Fit the ordinal model without cluster=, or the items as "
            "continuous with estimator='MLR' and cluster=..."
        )
    if options.se != "robust.huber.white":
        raise ModelError(
            f"cluster={cluster!r} gives cluster-robust standard errors and tests for estimator='MLR'; "
            f"got estimator={options.name!r}. Pass estimator='MLR'."
        )


def check_group_equal(group_equal, options: EstimatorOptions) -> tuple[str, ...]:
    """group_equal as a tuple of known entries ("thresholds" only with ordered items)."""
    group_equal = tuple(label_list(group_equal, name="group_equal", error=ModelError))
    choices = GROUP_EQUAL_CHOICES + (("thresholds",) if options.categorical else ())
    for item in group_equal:
        if item not in choices:
            error = ModelError if options.categorical else DataError
            raise error(f"unknown group_equal entry {item!r}; choose from {', '.join(choices)}")
    return group_equal


LADDER_OPTIONS = {
    "group_partial",
    "std_lv",
    "estimator",
    "missing",
    "sample_cov",
    "sample_mean",
    "n_obs",
    "ordered",
    "cluster",
    "sampling_weights",
    "confidence",
}


def fit_ladder(model, data, group, constraint_sets, **options) -> list[CFAResult]:
    """Fit one model under several group_equal sets, reading the data once and warm-starting each fit from the
    previous solution (used by measurement_invariance)."""
    unknown = set(options) - LADDER_OPTIONS
    if unknown:
        raise ModelError(f"unknown option(s) {sorted(unknown)}; see psychometrics.cfa for the options")
    if is_two_level(model):
        raise ModelError(
            "the invariance ladder fits single-level models; two-level ('level:') models are not supported"
        )
    model, finish = syntax_hooks(model)  # as cfa(): a == b by shared labels, := rows appended to every level
    estimator = resolve_estimator(
        weighted_estimator(options.get("estimator", "ML"), options.get("sampling_weights"), options.get("ordered")),
        categorical=wants_ordinal(options.get("ordered")),
        missing=options.get("missing", "listwise"),
    )
    sets = [check_group_equal(eq, estimator) for eq in constraint_sets]
    check_cluster(options.get("cluster"), estimator)
    if options.get("sample_cov") is not None and estimator.se != "standard":
        raise DataError(f"estimator={estimator.name!r} needs the raw data (data=...), not sample_cov")
    prepared = prepare(
        model,
        data,
        group,
        **{
            k: options[k]
            for k in ("sample_cov", "sample_mean", "n_obs", "missing", "ordered", "cluster", "sampling_weights")
            if k in options
        },
    )
    if len(prepared.groups) < 2:
        raise ModelError(f"group {group!r} has a single group ({prepared.groups}); comparing groups needs two or more")
    fit_options = {k: options[k] for k in ("group_partial", "std_lv", "confidence") if k in options}
    return [finish(result) for result in pipeline_ladder(prepared, estimator, sets, **fit_options)]
