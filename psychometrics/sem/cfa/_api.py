"""cfa(): data handling, identification checks, estimation and assembly of the result."""

from __future__ import annotations

import contextlib
import dataclasses
import warnings

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as st

from ..._checks import as_item_frame, check_choice
from .._entry_checks import check_cfa_input
from ...errors import ConvergenceError, DataError, IdentificationError, ModelError
from ..model_syntax import ParsedModel, parse_model
from ._defined import refuse_constraints, syntax_hooks
from ._estimation import MLDiscrepancy, Problem, minimize
from ._fiml import FIMLDiscrepancy, FIMLProblem, missing_stats
from ._fitmeasures import fit_measures
from ._model import LisrelModel
from ._partable import GROUP_EQUAL_CHOICES, ModelVariables, model_variables, parameter_names, partable_columns
from ._result import CFAResult
from ._robust import covariance, extra_fit_measures
from ._samplestats import SampleStats
from ._standardize import standardize
from ._start import group_starts

try:  # threadpoolctl is installed with scikit-learn (a pingouin dependency); without it BLAS keeps its threads
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - depends on the environment
    ThreadpoolController = None
_BLAS = {}

ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "fiml", "ml")
_Z975 = st.norm.ppf(0.975)


def _single_threaded_blas():
    """The matrices here are small (tens to a few hundred rows): multi-threaded BLAS only adds synchronisation,
    which costs seconds on a busy machine, so estimation runs with one BLAS thread."""
    if ThreadpoolController is None:
        return contextlib.nullcontext()
    if "controller" not in _BLAS:  # scanning the loaded libraries once; limiting is then cheap
        _BLAS["controller"] = ThreadpoolController()
    return _BLAS["controller"].limit(limits=1, user_api="blas")


def _term_using(parsed: ParsedModel, name: str) -> str:
    for t in parsed.terms:
        if name in (t.lhs, t.rhs):
            return f"'{t.lhs} {t.op} {t.rhs}' (line {t.line}, column {t.column})"
    return repr(name)


def _check_known(parsed: ParsedModel, observed, available, source: str) -> None:
    for name in observed:
        if name not in available:
            raise ModelError(
                f"unknown variable {name!r} in {_term_using(parsed, name)}: it is not a column of the {source} and "
                "not a latent variable defined with =~. Check the spelling or define the latent variable."
            )


def _stats_from_data(data, parsed, observed, group, fiml=False) -> tuple[list, list[SampleStats]]:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame of respondents x variables; got {type(data).__name__}")
    _check_known(parsed, observed, data.columns, "data")
    if group is not None and group not in data.columns:
        raise DataError(f"group column {group!r} is not in the data; available columns: {list(data.columns)}")
    values = _numeric_values(data, observed)
    empty = np.flatnonzero(np.isnan(values).all(axis=0))
    if len(empty):
        raise DataError(f"data column {observed[empty[0]]!r} has no observed values; drop it from the model.")
    labels = data[group].to_numpy() if group is not None else np.ones(len(values), dtype=int)
    usable = ~np.isnan(values).all(axis=1) if fiml else ~np.isnan(values).any(axis=1)  # FIML drops empty rows
    complete = usable & pd.notna(labels)
    values, labels = values[complete], labels[complete]
    raw_groups = pd.unique(labels)  # lavaan's order: first appearance
    groups = [_plain_label(v) for v in raw_groups]
    stats = []
    for raw, label in zip(raw_groups, groups):
        rows = values[labels == raw]
        if fiml:
            stats.append(missing_stats(rows, observed, f"group {label!r}" if group is not None else "the data"))
            continue
        _check_group(rows, observed, label, group)
        stats.append(SampleStats.from_data(rows))
    return groups, stats


def _numeric_values(data: pd.DataFrame, observed) -> np.ndarray:
    """The observed columns as a float matrix (NaN where missing). Numeric columns are read one by one: selecting
    a sub-frame first costs several times more in pandas 3 (about 1 ms for nine columns)."""
    dtypes = dict(zip(data.columns.tolist(), data.dtypes.tolist())) if data.columns.is_unique else {}
    if all(name in dtypes and pd.api.types.is_numeric_dtype(dtypes[name]) for name in observed):
        return np.column_stack([data[name].to_numpy(dtype=float, na_value=np.nan) for name in observed])
    frame = data[list(observed)]
    if not all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes):
        frame = as_item_frame(frame, min_items=1, drop_empty_rows=True, name="data")  # names the bad cell
    return frame.to_numpy(dtype=float, na_value=np.nan)


def _plain_label(value):
    """Group labels as plain Python values; whole-number floats (a column with NaN) become ints."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value


def _check_group(values: np.ndarray, observed, label, group) -> None:
    where = f"group {label!r}" if group is not None else "the data"
    if len(values) <= len(observed):
        raise DataError(
            f"{where} has {len(values)} complete case(s) for {len(observed)} observed variables; the sample "
            "covariance matrix is singular. Use fewer variables or merge small groups."
        )
    constant = np.flatnonzero(values.std(axis=0) == 0)
    if len(constant):
        raise DataError(f"variable {observed[constant[0]]!r} is constant in {where}; drop it or the group.")


def _as_group_dict(value) -> dict:
    return value if isinstance(value, dict) else {1: value}


def _stats_from_moments(parsed, observed, sample_cov, sample_mean, n_obs, need_means) -> tuple[list, list[SampleStats]]:
    covs = _as_group_dict(sample_cov)
    if n_obs is None:
        raise DataError("sample_cov needs the number of observations: pass n_obs=... (a dict group -> N for several groups)")
    ns = n_obs if isinstance(n_obs, dict) else {label: n_obs for label in covs}
    means = _as_group_dict(sample_mean) if sample_mean is not None else {}
    if need_means and not means:
        raise DataError("this model has a mean structure (groups or intercepts): pass sample_mean=... as well")
    groups, stats = list(covs), []
    for label in groups:
        cov = covs[label]
        if not isinstance(cov, pd.DataFrame):
            raise DataError("sample_cov must be a DataFrame labelled by variable (or a dict group -> DataFrame)")
        _check_known(parsed, observed, cov.columns, "sample covariance matrix")
        if label not in ns:
            raise DataError(f"n_obs has no entry for group {label!r}")
        matrix = cov.loc[list(observed), list(observed)].to_numpy(float)
        mean = None
        if need_means:
            if label not in means:
                raise DataError(f"sample_mean has no entry for group {label!r}")
            mean = pd.Series(means[label]).loc[list(observed)].to_numpy(float)
        n = int(ns[label])
        if n <= len(observed):
            raise DataError(f"group {label!r} has n_obs = {n} for {len(observed)} observed variables; more cases are needed.")
        if np.linalg.eigvalsh(matrix).min() <= 0:
            raise DataError(f"the sample covariance matrix of group {label!r} is not positive definite.")
        stats.append(SampleStats.from_moments(matrix, mean, n))
    return groups, stats


def _fill_exogenous(columns: dict, stats, observed) -> None:
    """fixed.x: exogenous covariates' variances, covariances and means are fixed at their sample values."""
    index = {n: i for i, n in enumerate(observed)}
    for k in np.flatnonzero(columns["exo"].astype(bool)):
        s, lhs, rhs = stats[columns["group"][k]], columns["lhs"][k], columns["rhs"][k]
        value = s.mean[index[lhs]] if columns["op"][k] == "~1" else s.cov[index[lhs], index[rhs]]
        columns["ustart"][k] = value


def _start_vector(columns: dict, stats, variables, std_lv: bool, n_free: int, start_from=None) -> np.ndarray:
    """Starting values: lavaan-like simple starts, or the estimates of a fit of the same table's rows.

    ``columns``: the parameter table's columns (:func:`partable_columns`, :func:`table_columns`)."""
    n_rows = len(columns["x"])
    if start_from is not None and len(start_from.estimates) == n_rows:
        starts = start_from.estimates["est"].to_numpy(float)
    else:
        ov = {n: i for i, n in enumerate(variables.observed)}
        starts = np.zeros(n_rows)
        group = columns["group"]
        for g, s in enumerate(stats):
            rows = np.flatnonzero(group == g)
            group_rows = {name: columns[name][rows] for name in ("lhs", "op", "rhs", "free", "ustart", "start")}
            starts[rows] = group_starts(group_rows, s, ov, std_lv)
    x_index = columns["x"]
    free = np.flatnonzero(x_index >= 0)
    first = free[np.unique(x_index[free], return_index=True)[1]]
    x = np.zeros(n_free)
    x[x_index[first]] = starts[first]
    return x


def _singular_directions(info: np.ndarray) -> np.ndarray | None:
    """Null-space direction of the (scaled) information matrix, or None when it has full rank."""
    scale = 1 / np.sqrt(np.maximum(np.diag(info), 1e-300))
    values, vectors = np.linalg.eigh(info * np.outer(scale, scale))
    if values[0] > 1e-9 * max(values[-1], 1e-300):
        return None
    return vectors[:, 0]


def _check_identified(problem: Problem, x: np.ndarray, names, df: int) -> None:
    """Raise IdentificationError for df < 0 or a singular information matrix; ``names()`` lists the parameters."""
    if df < 0:
        raise IdentificationError(
            f"the model is not identified: it has {problem.model.n_free} free parameters but only "
            f"{problem.model.n_free + df} sample moments (df = {df}). Fix or constrain parameters."
        )
    direction = _singular_directions(problem.expected_information(x))
    if direction is not None:
        rng = np.random.default_rng(0)
        jittered = x + rng.uniform(0.05, 0.15, len(x)) * np.sign(rng.standard_normal(len(x)))
        if np.isfinite(problem.objective(jittered)):
            direction = _singular_directions(problem.expected_information(jittered))
    if direction is not None:
        labels = names()
        involved = [labels[i] for i in np.flatnonzero(np.abs(direction) > 0.1)]
        raise IdentificationError(
            "the model is not identified: the information matrix is singular; these parameters cannot be told "
            f"apart: {', '.join(involved)}. Fix a loading or the latent variance of each factor."
        )


def _estimates_frame(problem, x, vcov, groups, variables) -> pd.DataFrame:
    table = problem.model.columns
    est = problem.model.values(x)
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    x_index = table["x"].astype(int)
    has_x = x_index >= 0
    se = np.where(has_x, se_free[np.maximum(x_index, 0)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(has_x, est / se, np.nan)
    ov = {n: i for i, n in enumerate(variables.observed)}
    lv = {n: i for i, n in enumerate(variables.structural)}
    std_lv, std_all = standardize(table, est, problem.model, x, ov, lv, set(variables.latent))
    return pd.DataFrame(
        {
            "lhs": table["lhs"],
            "op": table["op"],
            "rhs": table["rhs"],
            "group": [groups[g] for g in table["group"]],
            "label": table["label"],
            "free": has_x,
            "est": est,
            "se": se,
            "z": z,
            "pvalue": np.where(has_x, 2 * special.ndtr(-np.abs(z)), np.nan),  # = 2 norm.sf(|z|), without its overhead
            "ci_lower": est - _Z975 * se,
            "ci_upper": est + _Z975 * se,
            "std_lv": std_lv,
            "std_all": std_all,
        }
    )


def _warn_improper(problem, x, groups, latent) -> None:
    table, est = problem.model.columns, problem.model.values(x)
    lhs, op, rhs = table["lhs"], table["op"], table["rhs"]
    negative = (op == "~~") & (lhs == rhs) & (est < 0)
    for k in np.flatnonzero(negative):
        name, group, value = lhs[k], _plain_label(groups[table["group"][k]]), est[k]
        warnings.warn(
            f"Heywood case: the variance of {name!r} (group {group!r}) is negative ({value:.4g}); the "
            "model may be misspecified or the sample too small.",
            stacklevel=3,
        )
    for g, label in enumerate(groups):
        psi = problem.model.matrices(x, g).lv_cov()[: len(latent), : len(latent)]
        if len(psi) and np.linalg.eigvalsh(psi).min() <= 0:
            warnings.warn(
                f"the covariance matrix of the latent variables {list(latent)} is not positive definite in group "
                f"{label!r}; inspect model_matrices()['psi'].",
                stacklevel=3,
            )


def _check_options(estimator, missing, group_equal, group, sample_cov) -> tuple[str, ...]:
    check_choice(estimator, ESTIMATORS, name="estimator")
    check_choice(missing, MISSING, name="missing")
    if sample_cov is not None and (estimator == "MLR" or missing != "listwise"):
        raise DataError(f"estimator={estimator!r} with missing={missing!r} needs the raw data (data=...), not sample_cov")
    group_equal = (group_equal,) if isinstance(group_equal, str) else tuple(group_equal)
    for item in group_equal:
        check_choice(item, GROUP_EQUAL_CHOICES, name="group_equal entry")
    if group is not None and sample_cov is not None:
        raise DataError("pass either group= with raw data or a dict of group covariance matrices as sample_cov, not both")
    return group_equal


def cfa(
    model,
    data=None,
    *,
    group=None,
    group_equal=(),
    group_partial=(),
    std_lv=False,
    estimator="ML",
    missing="listwise",
    sample_cov=None,
    sample_mean=None,
    n_obs=None,
    ordered=None,
) -> CFAResult:
    """Fit a confirmatory factor analysis / structural equation model by maximum likelihood, as lavaan.

    Parameters
    ----------
    model : str or ParsedModel
        lavaan model syntax (see :func:`psychometrics.parse_model`).
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
        ``"ML"`` (normal-theory ML) or ``"MLR"`` (ML estimates with Huber-White standard errors around the observed
        information, the Yuan-Bentler (Mplus) scaled chi-square, and ``fit_measures`` adding chisq_scaled,
        df_scaled, pvalue_scaled, chisq_scaling_factor, baseline_chisq_scaled (..._scaling_factor), cfi_scaled,
        tli_scaled, rmsea_scaled (with CI and p), cfi_robust, tli_robust, rmsea_robust (with CI and p); see
        ``psychometrics.sem.cfa._robust``). R: ``cfa(..., estimator = "MLR")``.
    missing : str
        ``"listwise"``, or ``"fiml"`` (alias ``"ml"``): full-information ML on all cases with at least one answer
        (casewise likelihood by missing-data pattern, EM saturated model for the chi-square, observed-information
        standard errors, lavaan's FIML-corrected cfi_robust/rmsea_robust; see ``psychometrics.sem.cfa._fiml``).
        R: ``cfa(..., missing = "fiml")``. Raw data only; modification indices use the expected information of
        the incomplete data (as lavaan's modindices()).
    sample_cov, sample_mean, n_obs :
        Fit from moments instead of data: an unbiased covariance DataFrame (or dict group -> DataFrame), means
        (Series or dict) and N (int or dict). The covariance is rescaled by (N-1)/N as lavaan does.
    ordered : list of str or True, optional
        Ordinal items (True: all observed variables; every indicator must be ordinal): lavaan's WLSMV (DWLS on
        thresholds and polychoric correlations, robust standard errors, scaled-shifted chi-square, delta
        parameterisation, complete cases); ``estimator`` "ML" (the default) or "WLSMV". ``group_equal`` may also
        hold "thresholds". See ``psychometrics.sem.cfa._ordinal``; R: ``cfa(model, data, ordered = ordered)``.

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
    """
    check_cfa_input(model, data, ordered, group, missing)
    model, finish = syntax_hooks(model)  # a == b by shared labels; := rows appended after the fit
    if wants_ordinal(ordered):
        from ._ordinal import cfa_ordinal  # imports this module, hence imported here

        if sample_cov is not None:
            raise DataError("ordered items need the raw data (data=...), not sample_cov")
        return finish(cfa_ordinal(model, data, ordered=ordered, group=group, group_equal=group_equal,
                                  group_partial=group_partial, std_lv=std_lv, estimator=estimator, missing=missing))
    group_equal = _check_options(estimator, missing, group_equal, group, sample_cov)
    prepared = _prepare(model, data, group, sample_cov, sample_mean, n_obs, missing)
    with _single_threaded_blas():
        return finish(_fit(prepared, group_equal=group_equal, group_partial=group_partial, std_lv=std_lv,
                           estimator=estimator))


def wants_ordinal(ordered) -> bool:
    """Whether cfa's ``ordered`` asks for ordinal items: True or a non-empty name or list of names."""
    return ordered is True or (ordered is not None and ordered is not False and len(ordered) > 0)


def fit_ladder(model, data, group, constraint_sets, **options) -> list[CFAResult]:
    """Fit one model under several group_equal sets, reading the data once and warm-starting each fit from the
    previous solution (used by measurement_invariance)."""
    unknown = set(options) - {"group_partial", "std_lv", "estimator", "missing", "sample_cov", "sample_mean", "n_obs",
                              "ordered"}
    if unknown:
        raise ModelError(f"unknown option(s) {sorted(unknown)}; see psychometrics.cfa for the options")
    refuse_constraints(model, "the invariance ladder")
    if wants_ordinal(options.get("ordered")):
        from ._ordinal import ordinal_ladder  # imports this module, hence imported here

        return ordinal_ladder(model, data, group, constraint_sets, **options)
    fit_options = {k: options[k] for k in ("group_partial", "std_lv", "estimator") if k in options}
    group_equal = [_check_options(options.get("estimator", "ML"), options.get("missing", "listwise"), eq, group,
                                  options.get("sample_cov")) for eq in constraint_sets]
    prepared = _prepare(model, data, group, options.get("sample_cov"), options.get("sample_mean"), options.get("n_obs"),
                        options.get("missing", "listwise"))
    if len(prepared.groups) < 2:
        raise ModelError(f"group {group!r} has a single group ({prepared.groups}); comparing groups needs two or more")
    fits, previous = [], None
    with _single_threaded_blas():
        for equal in group_equal:
            previous = _fit(prepared, group_equal=equal, start_from=previous, **fit_options)
            fits.append(previous)
    return fits


@dataclasses.dataclass(frozen=True)
class _Prepared:
    model_text: str
    parsed: ParsedModel
    variables: ModelVariables
    groups: list
    stats: list
    meanstructure: bool
    fiml: bool = False


def _prepare(model, data, group, sample_cov, sample_mean, n_obs, missing="listwise") -> _Prepared:
    """Parse the model and compute each group's sample statistics."""
    parsed = model if isinstance(model, ParsedModel) else parse_model(model)
    variables = model_variables(parsed)
    has_intercepts = any(t.op == "~1" for t in parsed.terms)
    if sample_cov is not None:
        multi = isinstance(sample_cov, dict) and len(sample_cov) > 1
        groups, stats = _stats_from_moments(
            parsed, variables.observed, sample_cov, sample_mean, n_obs, multi or has_intercepts
        )
    elif data is not None:
        groups, stats = _stats_from_data(data, parsed, variables.observed, group, fiml=missing != "listwise")
    else:
        raise DataError("pass data=... (a DataFrame) or sample_cov=... with n_obs=...")
    text = model if isinstance(model, str) else ""
    fiml = missing != "listwise"  # FIML always has a mean structure, as lavaan's missing = "ml"
    return _Prepared(text, parsed, variables, groups, stats, len(groups) > 1 or has_intercepts or fiml, fiml)


def _fit(prepared: _Prepared, *, group_equal=(), group_partial=(), std_lv=False, estimator="ML", start_from=None) -> CFAResult:
    """Build the parameter table and model, check identification, estimate and assemble the result."""
    variables, groups, stats = prepared.variables, prepared.groups, prepared.stats
    if len(groups) == 1 and group_equal:
        raise ModelError("group_equal needs a multi-group model: pass group=... (a column with two or more groups)")
    table = partable_columns(
        prepared.parsed, variables, len(groups), std_lv=std_lv, meanstructure=prepared.meanstructure,
        group_equal=group_equal, group_partial=group_partial,
    )
    _fill_exogenous(table, stats, variables.observed)
    lisrel = LisrelModel(
        table, len(variables.observed), len(variables.structural), len(groups), prepared.meanstructure,
        dummies=[(variables.observed.index(d), variables.structural.index(d)) for d in variables.dummies],
        n_exogenous=len(variables.ov_x),
    )
    if (estimator == "MLR" or prepared.fiml) and variables.ov_x:
        raise ModelError(f"estimator={estimator!r} / missing='fiml' with exogenous observed covariates "
                         f"{list(variables.ov_x)} is not supported; model them as indicators or use estimator='ML'")
    problem = (FIMLProblem(lisrel, tuple(stats), FIMLDiscrepancy()) if prepared.fiml
               else Problem(lisrel, tuple(stats), MLDiscrepancy()))
    start = _start_vector(table, stats, variables, std_lv, lisrel.n_free, start_from)
    if start_from is not None and not np.isfinite(problem.objective(start)):
        start = _start_vector(table, stats, variables, std_lv, lisrel.n_free)
    _check_identified(problem, start, lambda: parameter_names(lisrel.table, groups), len(groups) * lisrel.n_data_moments - lisrel.n_free)
    solution = minimize(problem, start)
    if not solution.converged:
        raise ConvergenceError(
            f"the ML optimiser did not converge after {solution.iterations} iterations; the model may be "
            "misspecified or empirically under-identified.",
            solution.iterations,
        )
    info, vcov, sandwich_parts = covariance(problem, solution.x, estimator)
    if _singular_directions(info) is not None:
        warnings.warn("the information matrix is singular at the solution: standard errors are unreliable (model "
                      "may not be identified).", stacklevel=3)
    estimates = _estimates_frame(problem, solution.x, vcov, groups, variables)
    _warn_improper(problem, solution.x, groups, variables.latent)
    measures = fit_measures(problem, solution.x)
    measures.update(extra_fit_measures(problem, solution.x, measures, sandwich_parts))
    by_group = dict(zip(groups, (s.n_obs * f for s, f in zip(stats, problem.group_values(solution.x)))))
    return CFAResult(
        fit_measures=measures,
        estimates=estimates,
        converged=solution.converged,
        iterations=solution.iterations,
        n_obs=stats[0].n_obs if len(groups) == 1 else {g: s.n_obs for g, s in zip(groups, stats)},
        groups=groups,
        latent_variables=list(variables.latent),
        observed_variables=list(variables.observed),
        estimator=estimator,
        chisq_by_group={g: float(v) for g, v in by_group.items()},
        model=prepared.model_text,
        _problem=problem,
        _x=solution.x,
        _vcov=vcov,
        _options={"variables": variables, "std_lv": std_lv, "group_equal": group_equal,
                  "group_partial": tuple(group_partial)},
    )
