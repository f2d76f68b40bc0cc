"""The one fit pipeline of cfa() and of the invariance ladder, for every estimator.

Stages (each reads the resolved options, ``_options.EstimatorOptions``, never the estimator's name):

1. parameter table (``_partable.partable_columns``: continuous and ordinal rows from one builder);
2. model and problem (:func:`make_problem`: the LISREL model, or the model of ordered items, with the discrepancy:
   ML on complete data, FIML on incomplete data, or (D/U)WLS);
3. starting values, identification check, optimisation (``_estimation.minimize``);
4. standard errors (``_robust.standard_errors``: standard, robust.sem, robust.huber.white);
5. test statistics of the model and of its baseline as records (``_robust.model_tests``/``baseline_tests``);
6. fit measures from those records (``_fitmeasures.fit_measures``) and the residual-based measures
   (``_residuals``);
7. estimates, standard errors and standardised values written back into the parameter table, of which
   ``CFAResult.estimates`` is the public view.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special

from ..._blas import single_threaded
from ..._checks import z_critical
from ...errors import ConvergenceError, IdentificationError, ModelError
from . import _estimation
from ._constraints import Constraints
from ._data import Prepared, plain_label
from ._defined import interval_columns
from ._estimation import MLDiscrepancy, Problem
from ._fiml import FIMLDiscrepancy, FIMLProblem
from ._fitmeasures import ecvi, fit_measures, robust_inputs
from ._model import LisrelModel
from ._options import EstimatorOptions
from ._partable import LISREL_MATRICES, parameter_names, partable_columns
from ._residuals import gfi_measures, residual_measures
from ._result import ESTIMATE_COLUMNS, CFAResult
from ._robust import baseline_tests, fiml_corrected, model_tests, standard_errors
from ._samplestats import MomentStats, SampleStats
from ._standardize import standardize
from ._start import group_starts
from ._wls import CategoricalModel, WLSProblem, categorical_robust_inputs, weight_matrix


def _fill_exogenous(columns: dict, stats, observed) -> None:
    """fixed.x: exogenous covariates' variances, covariances and means are fixed at their sample values."""
    index = {n: i for i, n in enumerate(observed)}
    for k in np.flatnonzero(columns["exo"].astype(bool)):
        s, lhs, rhs = stats[columns["group"][k]], columns["lhs"][k], columns["rhs"][k]
        value = s.mean[index[lhs]] if columns["op"][k] == "~1" else s.cov[index[lhs], index[rhs]]
        columns["ustart"][k] = value


def make_problem(prepared: Prepared, table: dict, options: EstimatorOptions):
    """The model (LISREL, or ordered items' on top of it) and the estimation problem of ``options.discrepancy``."""
    variables, n_groups = prepared.variables, len(prepared.groups)
    lisrel_table = dict(table)
    if prepared.categorical:  # thresholds and scaling factors are not LISREL parameters
        lisrel_rows = np.isin(table["matrix"], LISREL_MATRICES)
        lisrel_table = {k: v[lisrel_rows] for k, v in table.items()}
    lisrel = LisrelModel(
        lisrel_table,
        len(variables.observed),
        len(variables.structural),
        n_groups,
        prepared.meanstructure,
        dummies=[(variables.observed.index(d), variables.structural.index(d)) for d in variables.dummies],
        n_exogenous=len(variables.ov_x),
    )
    stats = tuple(prepared.stats)
    if prepared.categorical:
        model = CategoricalModel(table, lisrel, [s.threshold_item for s in stats])
        return WLSProblem(model, stats, tuple(weight_matrix(s.nacov, options.discrepancy) for s in stats))
    if options.fiml:
        return FIMLProblem(lisrel, stats, FIMLDiscrepancy())
    if options.discrepancy != "ML":
        moments = tuple(MomentStats.from_sample(s, prepared.meanstructure) for s in stats)
        return WLSProblem(lisrel, moments, tuple(weight_matrix(s.nacov, options.discrepancy) for s in moments))
    return Problem(lisrel, stats, MLDiscrepancy())


def _start_vector(columns: dict, stats, variables, std_lv: bool, n_free: int, start_from=None) -> np.ndarray:
    """Starting values: lavaan-like simple starts, or the estimates of a fit of the same table's rows."""
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


def _starts(table, prepared: Prepared, problem, std_lv: bool, start_from) -> np.ndarray:
    """Simple starts (for ordered items from the polychoric correlations, thresholds at their sample values and
    scaling factors 1), or the previous fit's estimates."""
    stats = prepared.stats
    if prepared.categorical:
        stats = [SampleStats(s.correlation, np.zeros(len(s.correlation)), s.n_obs) for s in prepared.stats]
    x = _start_vector(table, stats, prepared.variables, std_lv, problem.model.n_free, start_from)
    if not prepared.categorical or (start_from is not None and len(start_from.estimates) == len(table["x"])):
        return x
    lisrel_free = problem.model.lisrel.n_free
    for matrix, group, row, index in zip(table["matrix"], table["group"], table["row"], table["x"]):
        if index >= lisrel_free:
            x[index] = prepared.stats[group].thresholds[row] if matrix == "tau" else 1.0
    return x


def _singular_directions(info: np.ndarray, blocks=None, basis: np.ndarray | None = None) -> np.ndarray | None:
    """Null-space direction of the (scaled) information matrix, or None when it has full rank (checked by
    blocks first, ``_estimation.clearly_nonsingular``); with ``basis`` (the directions general equality
    constraints leave free) of the information restricted to it."""
    if basis is not None:
        direction = _singular_directions(basis.T @ info @ basis)
        return None if direction is None else basis @ direction
    if _estimation.clearly_nonsingular(info, blocks, 1e-9):
        return None
    scale = 1 / np.sqrt(np.maximum(np.diag(info), 1e-300))
    values, vectors = np.linalg.eigh(info * np.outer(scale, scale))
    if values[0] > 1e-9 * max(values[-1], 1e-300):
        return None
    return vectors[:, 0]


def _check_identified(problem, x: np.ndarray, names, df: int, constraints=None) -> None:
    """Raise IdentificationError for df < 0 or a singular information matrix (restricted to the directions the
    equality constraints leave free); ``names()`` lists the parameters."""
    if df < 0:
        raise IdentificationError(
            f"the model is not identified: it has {problem.model.n_free} free parameters but only "
            f"{problem.model.n_free + df} sample moments (df = {df}). Fix or constrain parameters."
        )
    basis = None if constraints is None else constraints.equality_basis(x)
    direction = _singular_directions(problem.expected_information(x), getattr(problem, "blocks", None), basis)
    if direction is not None:
        rng = np.random.default_rng(0)
        jittered = x + rng.uniform(0.05, 0.15, len(x)) * np.sign(rng.standard_normal(len(x)))
        if np.isfinite(problem.objective(jittered)):
            direction = _singular_directions(
                problem.expected_information(jittered), getattr(problem, "blocks", None), basis
            )
    if direction is not None:
        labels = names()
        involved = [labels[i] for i in np.flatnonzero(np.abs(direction) > 0.1)]
        raise IdentificationError(
            "the model is not identified: the information matrix is singular; these parameters cannot be told "
            f"apart: {', '.join(involved)}. Fix a loading or the latent variance of each factor."
        )


_SE_ZERO = np.sqrt(np.finfo(float).eps)


def write_estimates(table: dict, problem, x, vcov, variables, confidence: float) -> None:
    """Estimates, standard errors, z, p, the confidence interval and the standardised values as table columns."""
    est = problem.model.values(x)
    se_free = np.sqrt(np.clip(vcov.diagonal(), 0, None))  # an array or a _robust.FactoredCovariance
    x_index = table["x"].astype(int)
    has_x = x_index >= 0
    se = np.where(has_x, se_free[np.maximum(x_index, 0)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # lavaan: no z where se < sqrt(eps) (parameterEstimates)
        z = np.where(has_x & (se >= _SE_ZERO), est / se, np.nan)
    ov = {n: i for i, n in enumerate(variables.observed)}
    lv = {n: i for i, n in enumerate(variables.structural)}
    std_lv, std_all = standardize(table, est, problem.model, x, ov, lv, set(variables.latent))
    quantile = z_critical(confidence)
    table.update(
        est=est,
        se=se,
        z=z,
        pvalue=np.where(has_x, 2 * special.ndtr(-np.abs(z)), np.nan),  # = 2 norm.sf(|z|), without its overhead
        **interval_columns(est, se, quantile),
        std_lv=std_lv,
        std_all=std_all,
    )


def _warn_improper(problem, x, groups, latent) -> None:
    table, est = problem.model.columns, problem.model.values(x)
    lhs, op, rhs = table["lhs"], table["op"], table["rhs"]
    negative = (op == "~~") & (lhs == rhs) & (est < 0)
    for k in np.flatnonzero(negative):
        name, group, value = lhs[k], plain_label(groups[table["group"][k]]), est[k]
        warnings.warn(
            f"Heywood case: the variance of {name!r} (group {group!r}) is negative ({value:.4g}); the "
            "model may be misspecified or the sample too small.",
            stacklevel=4,
        )
    for g, label in enumerate(groups):
        psi = problem.model.matrices(x, g).lv_cov()[: len(latent), : len(latent)]
        if len(psi) and np.linalg.eigvalsh(psi).min() <= 0:
            warnings.warn(
                f"the covariance matrix of the latent variables {list(latent)} is not positive definite in group "
                f"{label!r}; inspect model_matrices()['psi'].",
                stacklevel=4,
            )


def _fit_measures(problem, x, options: EstimatorOptions, cov, tests, baseline, constraints=None) -> dict[str, float]:
    """Assemble fitMeasures() from the records and the problem's likelihood and residuals; each general
    equality constraint removes a parameter from npar (lav_utils_get_npar)."""
    groups, npar = len(problem.stats), problem.model.n_free - cov.constraint_rank
    n_rmsea = problem.n_total if options.likelihood else problem.n_total - groups  # lav_utils_get_ntotal
    standard = tests[0]
    robust = None
    if options.fiml and standard.df > 0:
        robust = fiml_corrected(problem, x, standard.df, baseline[0].df, scaled=options.scaled, constraints=constraints)
    elif options.test in ("satorra.bentler", "yuan.bentler.mplus", "scaled.shifted"):
        robust = (
            categorical_robust_inputs(problem, x, cov.e_inv, standard.df, baseline[0].df, cov.constraint_rank)
            if options.categorical
            else robust_inputs(tests[1], baseline[1])
        )
    other = gfi_measures(problem, x, options.categorical, standard.df)
    if options.categorical:  # lavaan's WRMR uses the first group's number of moments
        other["wrmr"] = float(np.sqrt(standard.statistic / len(problem.stats[0].moments)))
    else:
        other["ecvi"] = ecvi(standard.statistic, npar, n_rmsea)
    return fit_measures(
        npar=npar,
        fmin=standard.statistic / (2 * problem.n_total),
        n_rmsea=n_rmsea,
        groups=groups,
        tests=tests,
        baseline=baseline,
        robust=robust,
        logl=_logl_measures(problem, x, options, tests, npar),
        residual_measures=residual_measures(problem, x, options),
        other=other,
        robust_keys=options.scaled or options.fiml,
    )


def _logl_measures(problem, x, options: EstimatorOptions, tests, npar: int) -> dict[str, float]:
    n = problem.n_total
    if not options.likelihood:
        return {"logl": np.nan, "unrestricted_logl": np.nan, "aic": np.nan, "bic": np.nan, "ntotal": n, "bic2": np.nan}
    logl, unrestricted = problem.logliks(x)
    out = {
        "logl": logl,
        "unrestricted_logl": unrestricted,
        "aic": -2 * logl + 2 * npar,
        "bic": float(-2 * logl + npar * np.log(n)),
        "ntotal": n,
        "bic2": float(-2 * logl + npar * np.log((n + 2) / 24)),
    }
    if options.test == "yuan.bentler.mplus" and np.isfinite(tests[1].scaling_factor_h1):
        out.update(scaling_factor_h1=tests[1].scaling_factor_h1, scaling_factor_h0=tests[1].scaling_factor_h0)
    return out


def fit(
    prepared: Prepared,
    options: EstimatorOptions,
    *,
    group_equal=(),
    group_partial=(),
    std_lv=False,
    start_from=None,
    wu_estabrook=False,
    confidence=0.95,
    baseline=None,
) -> CFAResult:
    """Build the parameter table and the problem, check identification, estimate and assemble the result;
    ``baseline``: the records of the independence model when already known (the same data and options)."""
    variables, groups, stats = prepared.variables, prepared.groups, prepared.stats
    if len(groups) == 1 and group_equal:
        raise ModelError("group_equal needs a multi-group model: pass group=... (a column with two or more groups)")
    if (options.se != "standard" or options.fiml or options.discrepancy != "ML") and variables.ov_x:
        raise ModelError(
            f"estimator={options.name!r} / missing='fiml' with exogenous observed covariates "
            f"{list(variables.ov_x)} is not supported; model them as indicators or use estimator='ML'"
        )
    table = partable_columns(
        prepared.parsed,
        variables,
        len(groups),
        std_lv=std_lv,
        meanstructure=prepared.meanstructure,
        group_equal=group_equal,
        group_partial=group_partial,
        n_levels=prepared.n_levels,
        wu_estabrook=wu_estabrook,
    )
    _fill_exogenous(table, stats, variables.observed)
    problem = make_problem(prepared, table, options)
    start = _starts(table, prepared, problem, std_lv, start_from)
    if start_from is not None and not np.isfinite(problem.objective(start)):
        start = _starts(table, prepared, problem, std_lv, None)
    constraints = Constraints.build(prepared.parsed.constraints, table, problem.model)
    df = len(groups) * problem.model.n_data_moments - problem.model.n_free
    df += 0 if constraints is None else constraints.equality_rank(start)
    _check_identified(problem, start, lambda: parameter_names(table, groups), df, constraints)
    if constraints is None:
        solution = _estimation.minimize(problem, start)
    else:
        solution = _estimation.minimize(problem, start, constraints=constraints)
    if not solution.converged:
        raise ConvergenceError(
            f"the {options.discrepancy} optimiser did not converge after {solution.iterations} iterations; the "
            "model may be misspecified or empirically under-identified.",
            solution.iterations,
        )
    cov = standard_errors(problem, solution.x, options, constraints)
    basis = None if constraints is None else constraints.equality_basis(solution.x)
    if _singular_directions(cov.information, getattr(problem, "blocks", None), basis) is not None:
        warnings.warn(
            "the information matrix is singular at the solution: standard errors are unreliable (model "
            "may not be identified).",
            stacklevel=3,
        )
    write_estimates(table, problem, solution.x, cov.vcov, variables, confidence)
    _warn_improper(problem, solution.x, groups, variables.latent)
    tests = model_tests(problem, solution.x, options, cov)
    baseline = baseline_tests(problem, options) if baseline is None else baseline
    by_group = problem.chisq_factors * problem.group_values(solution.x)
    return CFAResult(
        fit_measures=_fit_measures(problem, solution.x, options, cov, tests, baseline, constraints),
        estimates=estimates_view(table, groups),
        converged=solution.converged,
        iterations=solution.iterations,
        n_obs=_case_count(stats[0]) if len(groups) == 1 else {g: _case_count(s) for g, s in zip(groups, stats)},
        groups=groups,
        latent_variables=list(variables.latent),
        observed_variables=list(variables.observed),
        estimator=options.name,
        chisq_by_group={g: float(v) for g, v in zip(groups, by_group)},
        model=prepared.model_text,
        _problem=problem,
        _x=solution.x,
        _vcov=cov.vcov,
        _options={
            "variables": variables,
            "std_lv": std_lv,
            "group_equal": tuple(group_equal),
            "group_partial": tuple(group_partial),
            "ordered": prepared.categorical,
            "estimator": options,
            "confidence": confidence,
            "constraints": constraints,
        },
        _table=table,
        _tests=tuple(tests),
        _baseline_tests=tuple(baseline),
    )


def _case_count(stats) -> int:
    """The group's number of cases (lavaan's nobs): with sampling weights not their sum, which the fit uses."""
    weighted = isinstance(stats, SampleStats) and stats.weights is not None
    return len(stats.weights) if weighted else stats.n_obs


# the dtype pandas infers for a column of text ("str" in pandas 3, object before), given to the estimates' text
# columns so that pandas does not infer it for each (about 0.1 ms a fit)
_TEXT_DTYPE = pd.Series(["text"]).dtype


def estimates_view(table: dict, groups) -> pd.DataFrame:
    """The public columns of the parameter table (lavaan's parameterEstimates with the standardised solution)."""
    columns = {name: table[name] for name in ESTIMATE_COLUMNS}
    for name in ("lhs", "op", "rhs", "label"):
        columns[name] = pd.array(table[name], dtype=_TEXT_DTYPE)
    columns["group"] = [groups[g] for g in table["group"]]
    columns["free"] = table["x"].astype(int) >= 0
    return pd.DataFrame(columns)


def fit_ladder(prepared: Prepared, options: EstimatorOptions, constraint_sets, **fit_options) -> list[CFAResult]:
    """Fits of one model under several group_equal sets, warm-starting each from the previous solution (the
    invariance ladder; with ordered items Wu & Estabrook's identification of equal thresholds). The baseline
    (independence) model depends only on the data and the options, not on the constraints, so it is fitted once
    and its records are shared by every level (lavaan refits the same model at each level)."""
    if len(prepared.groups) < 2:
        raise ModelError(f"a single group ({prepared.groups}); comparing groups needs two or more")
    fits, previous = [], None
    with single_threaded():  # small matrices: one BLAS thread (psychometrics._blas)
        for equal in constraint_sets:
            previous = fit(
                prepared,
                options,
                group_equal=equal,
                start_from=previous,
                wu_estabrook=prepared.categorical,
                baseline=None if previous is None else previous._baseline_tests,
                **fit_options,
            )
            fits.append(previous)
    return fits
