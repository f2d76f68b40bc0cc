"""Two-level CFA: ``level: 1`` / ``level: 2`` blocks fitted with ``cfa(model, data, cluster=...)`` as lavaan 0.6-14's
two-level SEM (complete data, one group, estimators ML and MLR).

The model has two blocks of LISREL matrices, one per level (``_model.LisrelModel`` with the levels as its two
"groups"): the within block gives ``Sigma_W`` (the intercepts of variables at both levels fixed to 0), the between
block ``Sigma_B`` and the means. The likelihood is the two-level normal one from cluster sufficient statistics
(``_twolevel_stats``), with lavaan's defaults (lavInspect(fit, "options") of a two-level fit):

- estimation: ML on the two-level likelihood (lavaan: nlminb; here BFGS, then Newton steps on the numerical
  Hessian of the analytic gradient, to a gradient below 1e-10: lavaan's nlminb stops earlier, up to ~1e-4 away
  in flat directions);
- standard errors: the inverse observed information (numerical Hessian of the analytic gradient, lavaan's
  information = "observed", observed.information = "hessian"); MLR: the sandwich ``H^-1 B H^-1`` with ``B`` the
  cross-product of the clusters' scores (lav_mvnorm_cluster_scores_2l);
- the unrestricted (h1) model by lavaan's EM (``em_saturated``); chi-square ``2 (logL_h1 - logL)``;
- MLR's Yuan-Bentler (Mplus) scaled test: ``c = (tr(A1^-1 B1) - tr(E^-1 B0)) / df`` with the observed h1
  information ``A1`` and the cross-product ``B1`` of the clusters' scores in the saturated coordinates, both at
  the h1 (EM) moments (lav_test_yuan_bentler sets h1.information = "unstructured" for this test), ``E`` the
  model's observed information and ``B0`` its clusters' score cross-product (lav_test_yuan_bentler_mplus_trace);
- baseline: the independence model (diagonal Sigma_W and Sigma_B, free means), fitted the same way, its scaled
  test with the same h1 trace;
- srmr_within and srmr_between: RMS of the correlation residuals of each level against the h1 (EM) moments,
  srmr their sum (lav_fit_srmr_twolevel).

Scope: observed variables at both levels, at level 1 only (within-only: their between covariances are 0 and
their level-1 intercepts free) or at level 2 only (between-only: cluster-level variables, constant within a
cluster), as lavaan's; measurement models (=~, ~~, ~1, labels, fixed values) and regressions of a factor on
factors of its level; no regressions on observed variables (covariates), missing data (incomplete rows are
dropped, listwise), ordered items, groups, sampling weights or general constraints.
"""

from __future__ import annotations

import dataclasses
import html
import warnings
from collections.abc import Callable, Hashable
from typing import Any, NoReturn, cast

import numpy as np
import pandas as pd

from ...errors import ConvergenceError, DataError, IdentificationError, ModelError
from ..model_syntax import ParsedModel, merge_equal_labels, parse_model
from ._fitmeasures import fit_measures, robust_inputs
from ._model import LisrelModel
from ._partable import COLUMNS, ModelVariables, _matrix_position, model_variables, partable_columns
from ._pipeline import estimates_view, write_estimates
from ._result import CFAResult
from ._samplestats import SampleStats
from ._standardize import standardize
from ._start import group_starts
from ._tests import TestStatistic, scaled_test, standard_test
from ._twolevel_stats import (
    ClusterStats,
    cluster_scores,
    em_saturated,
    gradient,
    log_2pi_constant,
    loglik,
    numeric_jacobian,
    pack,
    saturated_free,
    unpack,
)

ESTIMATORS = {"ML": False, "MLR": True}  # estimator -> robust (lavaan: se robust.huber.white, yuan.bentler.mplus)
LEVEL_FIT_MEASURES_DROPPED = ("cn_05", "cn_01", "mfi")  # not in fitMeasures() of a two-level fit


def is_two_level(model) -> bool:
    """Whether the model syntax has ``level:`` blocks."""
    parsed = model if isinstance(model, ParsedModel) else parse_model(model) if isinstance(model, str) else None
    return parsed is not None and any(t.level is not None for t in parsed.terms)


def check_two_level_options(cluster, estimator: str, **options) -> None:
    """Refuse what the two-level fit does not offer, naming it."""
    if cluster is None:
        raise ModelError(
            "a model with 'level:' blocks is a two-level model: pass cluster='<column>' naming the "
            "cluster (level-2 unit) of each row, as lavaan's cfa(..., cluster = ...)"
        )
    if estimator not in ESTIMATORS:
        raise ModelError(f"two-level models are fitted with estimator 'ML' or 'MLR'; got {estimator!r}")
    refused = {
        "group": "multiple groups",
        "group_equal": "group_equal",
        "group_partial": "group_partial",
        "ordered": "ordered items",
        "sampling_weights": "sampling weights",
        "sample_cov": "moments instead of data (sample_cov)",
        "sample_mean": "sample_mean",
        "n_obs": "n_obs",
    }
    for name, what in refused.items():
        value = options.get(name)
        if value is not None and value is not False and not (isinstance(value, (tuple, list)) and not value):
            raise ModelError(
                f"two-level models do not support {what} ({name}={value!r}); fit a single group of "
                "continuous items from raw data"
            )
    if options.get("missing", "listwise") != "listwise":
        raise ModelError(
            f"two-level models support missing='listwise' only (complete cases); got missing={options['missing']!r}"
        )


@dataclasses.dataclass(frozen=True)
class LevelModel:
    """The parameter table of both levels and its LISREL model (level 1 = block 0, level 2 = block 1)."""

    table: dict
    model: LisrelModel
    observed: tuple[str, ...]
    latent: tuple[tuple[str, ...], tuple[str, ...]]
    within: np.ndarray  # which observed variables appear at level 1 (the others are between-only)
    between: np.ndarray  # which observed variables appear at level 2 (the others are within-only)


def _level_terms(parsed: ParsedModel) -> tuple[ParsedModel, ParsedModel]:
    levels = {t.level for t in parsed.terms}
    if levels != {1, 2}:
        raise ModelError(
            f"a two-level model needs terms at 'level: 1' and at 'level: 2'; found level(s) {sorted(levels, key=str)}"
        )
    within, between = (ParsedModel(tuple(t for t in parsed.terms if t.level == k)) for k in (1, 2))
    return within, between


def _check_scope(parsed: ParsedModel, variables) -> None:
    for term in parsed.terms:
        latent = variables[0 if term.level == 1 else 1].latent
        if term.op == "~" and not (term.lhs in latent and term.rhs in latent):
            raise ModelError(
                f"'{term.lhs} ~ {term.rhs}' (line {term.line}): regressions on observed variables are "
                "not supported in two-level models; regress a factor on another factor of its level, "
                "or model the variable as an indicator"
            )
    if parsed.constraints:
        c = parsed.constraints[0]
        raise ModelError(
            f"'{c.lhs} {c.op} {c.rhs}' (line {c.line}): constraints other than shared labels are not "
            "supported in two-level models"
        )


def level_model(parsed: ParsedModel, std_lv: bool) -> LevelModel:
    """Both levels' rows (lavaan's defaults per block; the within intercepts of variables at both levels fixed to
    0) in one table whose ``group`` column is the block, with one free-parameter numbering (shared labels are one
    parameter across levels) and the latent variables of level 2 after those of level 1 in the LISREL latent
    vector. Both blocks share the observed vector (the level-1 variables, then the between-only ones); a variable
    has no rows in the block where it does not appear, so its loadings, variances and means there are 0."""
    parsed = merge_equal_labels(parsed)
    blocks = _level_terms(parsed)
    variables = [model_variables(b) for b in blocks]
    _check_scope(parsed, variables)
    observed = variables[0].observed + tuple(n for n in variables[1].observed if n not in variables[0].observed)
    within, between = np.isin(observed, variables[0].observed), np.isin(observed, variables[1].observed)
    ov = {n: i for i, n in enumerate(observed)}
    parts, offset = [], 0
    for block, (terms, level_vars) in enumerate(zip(blocks, variables)):
        level_vars = dataclasses.replace(level_vars, observed=tuple(n for n in observed if n in level_vars.observed))
        columns = partable_columns(terms, level_vars, 1, std_lv=std_lv, meanstructure=True)
        lv = {n: offset + i for i, n in enumerate(level_vars.latent)}
        positions = [
            _matrix_position(a, o, b, ov, lv) for a, o, b in zip(columns["lhs"], columns["op"], columns["rhs"])
        ]
        columns["matrix"] = np.array([q[0] for q in positions], dtype=object)
        columns["row"], columns["col"] = (np.array([q[k] for q in positions]) for k in (1, 2))
        columns["group"] = np.full(len(positions), block)
        if block == 0:  # lavaan: the within intercepts of variables that also vary between clusters are 0
            both = np.array(observed)[within & between]
            fixed = (columns["op"] == "~1") & np.isin(columns["lhs"], both) & ~columns["user"].astype(bool)
            columns["free"] = columns["free"] & ~fixed
            columns["ustart"] = np.where(fixed, 0.0, columns["ustart"])
        parts.append(columns)
        offset += len(level_vars.latent)
    table = {name: np.concatenate([part[name] for part in parts]) for name in COLUMNS}
    table["x"] = _free_indices(table)
    model = LisrelModel(table, len(observed), offset, 2, True)
    return LevelModel(table, model, observed, (variables[0].latent, variables[1].latent), within, between)


def _free_indices(table: dict) -> np.ndarray:
    """One index per free parameter; rows sharing a label share it (also across levels)."""
    keys: dict[object, int] = {}
    x = np.full(len(table["lhs"]), -1)
    for k in np.flatnonzero(table["free"].astype(bool)):
        label = table["label"][k]
        x[k] = keys.setdefault(("label", label) if label else ("row", k), len(keys))
    return x


class LevelStructure:
    """The LISREL model as a map x -> saturated coordinates s = (mu_W + mu_B, vech Sigma_W, vech Sigma_B)."""

    def __init__(self, model: LisrelModel) -> None:
        self.model, self.p = model, model.p

    def moments(self, x: np.ndarray) -> np.ndarray:
        (sw, mw), (sb, mb) = self.model.implied(x)
        return pack(mw + mb, sw, sb)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        within, between = self.model.delta(x)
        p = self.p
        return np.vstack([within[:p] + between[:p], within[p:], between[p:]])


class IndependenceStructure:
    """lavaan's baseline for two levels: x = (means, within variances of the level-1 variables, between variances
    of the variables that vary between clusters); s is linear in x."""

    def __init__(self, within: np.ndarray, between: np.ndarray) -> None:
        p = len(between)
        eye, zero = np.eye(p), np.zeros((p, p))
        self._jacobian = np.column_stack(
            [pack(e, zero, zero) for e in eye]
            + [pack(np.zeros(p), np.diag(e), zero) for e in eye[within]]
            + [pack(np.zeros(p), zero, np.diag(e)) for e in eye[between]]
        )

    @property
    def n_free(self) -> int:
        return self._jacobian.shape[1]

    def moments(self, x: np.ndarray) -> np.ndarray:
        return self._jacobian @ x

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        return self._jacobian


class TwoLevelProblem:
    """-logL(s(x)) / N for a structure, with its gradient and the observed information."""

    def __init__(self, stats: ClusterStats, structure: LevelStructure | IndependenceStructure) -> None:
        self.stats, self.structure = stats, structure
        self.model = getattr(structure, "model", None)

    def objective(self, x: np.ndarray) -> float:
        return -loglik(self.stats, self.structure.moments(x)) / self.stats.n_obs

    def gradient(self, x: np.ndarray) -> np.ndarray:
        s = self.structure.moments(x)
        return -self.structure.jacobian(x).T @ gradient(self.stats, s) / self.stats.n_obs

    def hessian(self, x: np.ndarray, richardson: bool = True) -> np.ndarray:
        """Hessian of -logL (not divided by N), numerically from the analytic gradient, symmetrised."""
        h = numeric_jacobian(self.gradient, x, richardson=richardson) * self.stats.n_obs
        return (h + h.T) / 2

    def score_cross_product(self, x: np.ndarray) -> np.ndarray:
        """sum over clusters of g_j g_j' with g_j the cluster's score with respect to x."""
        scores = cluster_scores(self.stats, self.structure.moments(x)) @ self.structure.jacobian(x)
        return scores.T @ scores


def maximise(problem: TwoLevelProblem, start: np.ndarray, max_iter: int = 500) -> tuple[np.ndarray, int]:
    """Quasi-Newton (BFGS) steps from the numerical Hessian at the start, then Newton steps on the precise
    numerical Hessian of the analytic gradient, each with step halving (a ridge keeps a Hessian positive
    definite); converged when the largest gradient element of -logL / N is below 1e-10."""
    x = np.asarray(start, float).copy()
    value = problem.objective(x)
    if not np.isfinite(value):
        raise ConvergenceError(
            "the starting values of the two-level model give a non-positive-definite covariance matrix", 0
        )
    x, value, grad, iterations = _quasi_newton(problem, x, value, max_iter)
    polish = 0
    while polish < 20 and np.max(np.abs(grad)) >= 1e-10:
        polish += 1
        step = -np.linalg.solve(_positive_definite(problem.hessian(x) / problem.stats.n_obs), grad)
        x, value, moved = _line_search(problem, x, value, step)
        grad = problem.gradient(x)
        if not moved:
            break
    if np.max(np.abs(grad)) < 1e-8:
        return x, iterations + polish
    raise ConvergenceError(
        f"the two-level ML optimiser did not converge after {iterations + polish} iterations; "
        "the model may be misspecified or empirically under-identified.",
        iterations + polish,
    )


def _quasi_newton(
    problem: TwoLevelProblem, x: np.ndarray, value: float, max_iter: int
) -> tuple[np.ndarray, float, np.ndarray, int]:
    """BFGS from the inverse of the (plain central-difference) Hessian at ``x``, until the largest gradient
    element is below 1e-9 or no step decreases the objective: (x, value, gradient, iterations)."""
    grad = problem.gradient(x)
    inverse = np.linalg.inv(_positive_definite(problem.hessian(x, richardson=False) / problem.stats.n_obs))
    iterations = 0
    while iterations < max_iter and np.max(np.abs(grad)) >= 1e-9:
        iterations += 1
        new_x, value, moved = _line_search(problem, x, value, -inverse @ grad)
        if not moved:
            break
        new_grad = problem.gradient(new_x)
        inverse = _bfgs_update(inverse, new_x - x, new_grad - grad)
        x, grad = new_x, new_grad
    return x, value, grad, iterations


def _bfgs_update(inverse: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The BFGS update of the inverse Hessian (Nocedal & Wright 2006, eq. 6.17); skipped without curvature."""
    sy = s @ y
    if sy <= 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
        return inverse
    rho = 1 / sy
    left = np.eye(len(s)) - rho * np.outer(s, y)
    return left @ inverse @ left.T + rho * np.outer(s, s)


def _positive_definite(hess: np.ndarray) -> np.ndarray:
    """The Hessian plus the smallest ridge (relative to its diagonal) that makes it positive definite."""
    scale = max(np.max(np.abs(np.diag(hess))), 1e-8)
    ridge = 0.0
    for _ in range(40):
        candidate = hess + ridge * scale * np.eye(len(hess))
        try:
            np.linalg.cholesky(candidate)
            return candidate
        except np.linalg.LinAlgError:
            ridge = max(2 * ridge, 1e-6)
    return scale * np.eye(len(hess))


def _line_search(problem, x, value, step) -> tuple[np.ndarray, float, bool]:
    for _ in range(40):
        candidate = x + step
        new = problem.objective(candidate)
        if np.isfinite(new) and new <= value + 1e-15 * abs(value):
            return candidate, new, True
        step = step / 2
    return x, value, False


def _between_start(stats: ClusterStats) -> SampleStats:
    """Between-level moments to start from: the covariance of the cluster means less the within part, its
    eigenvalues kept positive."""
    means = stats.means
    centred = means - means.mean(axis=0)
    cov = centred.T @ centred / len(means) - stats.s_pw / stats.sizes.mean()
    values, vectors = np.linalg.eigh(cov)
    floor = 0.05 * np.diag(stats.s_pw).mean()
    cov = (vectors * np.maximum(values, floor)) @ vectors.T
    return SampleStats(cov, means.mean(axis=0), stats.n_clusters)


def level_starts(levels: LevelModel, stats: ClusterStats, std_lv: bool) -> np.ndarray:
    """lavaan-like simple starts per level: the within block from the pooled within covariance, the between block
    from the between covariance of ``_between_start``."""
    table, ov = levels.table, {n: i for i, n in enumerate(levels.observed)}
    level_stats = (SampleStats(stats.s_pw, np.zeros(stats.p), stats.n_obs), _between_start(stats))
    starts = np.zeros(len(table["x"]))
    for block, s in enumerate(level_stats):
        rows = np.flatnonzero(table["group"] == block)
        block_rows = {name: table[name][rows] for name in ("lhs", "op", "rhs", "free", "ustart", "start")}
        starts[rows] = group_starts(block_rows, s, ov, std_lv)
    x = np.zeros(levels.model.n_free)
    free = np.flatnonzero(table["x"] >= 0)
    x[table["x"][free]] = starts[free]
    return x


def _admissible(problem: TwoLevelProblem, levels: LevelModel, x: np.ndarray) -> np.ndarray:
    """Starting values at which the likelihood is defined: while V_j or Sigma_W is not positive definite (e.g. a
    negative fixed residual variance), the free variances are doubled and the free loadings scaled by sqrt(2)."""
    table = levels.table
    free = table["x"] >= 0
    variance = free & (table["op"] == "~~") & (table["lhs"] == table["rhs"])
    loading = free & (table["op"] == "=~")
    x = x.copy()
    for _ in range(20):
        if np.isfinite(problem.objective(x)):
            break
        x[np.unique(table["x"][variance])] *= 2
        x[np.unique(table["x"][loading])] *= np.sqrt(2)
    return x


def _check_identified(problem: TwoLevelProblem, x: np.ndarray, names) -> np.ndarray:
    """The Hessian of -logL at the solution; IdentificationError when it is singular."""
    hess = problem.hessian(x)
    scale = 1 / np.sqrt(np.maximum(np.abs(np.diag(hess)), 1e-300))
    values, vectors = np.linalg.eigh(hess * np.outer(scale, scale))
    if values[0] <= 1e-9 * max(values[-1], 1e-300):
        involved = [names[i] for i in np.flatnonzero(np.abs(vectors[:, 0]) > 0.1)]
        raise IdentificationError(
            "the two-level model is not identified: the information matrix is singular; "
            f"these parameters cannot be told apart: {', '.join(involved)}"
        )
    return hess


@dataclasses.dataclass(frozen=True)
class TwoLevelFit:
    """One fitted structure: estimates, log-likelihood, Hessian of -logL and (MLR) the score cross-product."""

    x: np.ndarray
    logl: float
    hessian: np.ndarray
    meat: np.ndarray | None
    iterations: int


def fit_structure(problem: TwoLevelProblem, start: np.ndarray, robust: bool, names) -> TwoLevelFit:
    x, iterations = maximise(problem, start)
    hess = _check_identified(problem, x, names)
    meat = problem.score_cross_product(x) if robust else None
    return TwoLevelFit(x, loglik(problem.stats, problem.structure.moments(x)), hess, meat, iterations)


def h1_trace(stats: ClusterStats, h1) -> float:
    """tr(A1^-1 B1) of lavaan's yuan.bentler.mplus test: the observed information A1 and the clusters' score
    cross-product B1 of the saturated model, both at the h1 (EM) moments (the test sets h1.information to
    "unstructured"); the same for the model and its baseline. Both are per cluster, which cancels."""
    s, free = pack(h1.mu, h1.sigma_w, h1.sigma_b), saturated_free(stats.within, stats.between)
    a1 = -numeric_jacobian(lambda v: gradient(stats, v), s)[np.ix_(free, free)]
    scores = cluster_scores(stats, s)[:, free]
    return float(np.sum(np.linalg.inv((a1 + a1.T) / 2) * (scores.T @ scores)))


def yuan_bentler(
    fit: TwoLevelFit, standard: TestStatistic, trace_h1: float, n_saturated_moments: int, n_rows_free: int
) -> TestStatistic:
    """lavaan's yuan.bentler.mplus record: ``c = (tr(A1^-1 B1) - tr(H^-1 B0)) / df`` with the model's Hessian H
    of -logL and B0 the cross-product of the clusters' scores with respect to its parameters
    (lav_test_yuan_bentler_mplus_trace)."""
    trace_h0 = float(np.sum(np.linalg.inv(fit.hessian) * fit.meat))
    record = scaled_test("yuan.bentler.mplus", standard, trace_h1 - trace_h0)
    if standard.df <= 0:
        return record
    return dataclasses.replace(
        record, scaling_factor_h1=trace_h1 / n_saturated_moments, scaling_factor_h0=trace_h0 / n_rows_free
    )


def baseline_fit(stats: ClusterStats, h1, trace_h1: float | None) -> list[TestStatistic]:
    """The independence model's test records (lavaan refits it under the same options; ``trace_h1`` for MLR)."""
    structure = IndependenceStructure(stats.within, stats.between)
    problem = TwoLevelProblem(stats, structure)
    between = _between_start(stats)
    start = np.concatenate(
        [stats.y.mean(axis=0), np.diag(stats.s_pw)[stats.within], np.diag(between.cov)[stats.between]]
    )
    fit = fit_structure(problem, start, trace_h1 is not None, [f"baseline {k}" for k in range(structure.n_free)])
    n_moments = len(saturated_free(stats.within, stats.between))
    standard = standard_test(2 * (h1.logl - fit.logl), n_moments - structure.n_free)
    if trace_h1 is None:
        return [standard]
    return [standard, yuan_bentler(fit, standard, trace_h1, n_moments, structure.n_free)]


def _correlation(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def srmr_measures(sw: np.ndarray, sb: np.ndarray, h1, stats: ClusterStats) -> dict[str, float]:
    """lav_fit_srmr_twolevel: per level the RMS of vech(correlation residuals) against the h1 moments, over the
    variables of that level."""
    w, b = np.ix_(stats.within, stats.within), np.ix_(stats.between, stats.between)
    within = _srmr(h1.sigma_w[w], sw[w])
    sb = _force_positive_definite(sb[b])
    between = _srmr(h1.sigma_b[b], sb) if np.all(np.diag(sb) > 0) else np.nan
    return {"srmr": float(within + between), "srmr_within": within, "srmr_between": between}


def _force_positive_definite(cov: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """lavaan's lav_matrix_symmetric_force_pd, applied to the implied between covariance before the SRMR:
    eigenvalues below ``tol`` times the largest are raised to it."""
    if len(cov) == 1:
        return np.maximum(cov, tol)
    values, vectors = np.linalg.eigh(cov)
    top = abs(values[-1])
    values = np.where(values / top < tol, tol * top, values)
    return (vectors * values) @ vectors.T


def _srmr(sample: np.ndarray, implied: np.ndarray) -> float:
    rows, cols = np.tril_indices(len(sample))
    return float(np.sqrt(np.mean((_correlation(sample) - _correlation(implied))[rows, cols] ** 2)))


def _logl_measures(fit: TwoLevelFit, h1, npar: int, n: int, p: int, tests) -> dict[str, float]:
    logl = fit.logl
    out = {
        "logl": logl,
        "unrestricted_logl": h1.logl,
        "aic": -2 * logl + 2 * npar,
        "bic": float(-2 * logl + npar * np.log(n)),
        "ntotal": n,
        "bic2": float(-2 * logl + npar * np.log((n + 2) / 24)),
    }
    if len(tests) > 1 and np.isfinite(tests[1].scaling_factor_h1):
        out.update(scaling_factor_h1=tests[1].scaling_factor_h1, scaling_factor_h0=tests[1].scaling_factor_h0)
    return out


def cluster_data(data, levels: LevelModel, cluster) -> ClusterStats:
    """Complete rows of the model's variables with their cluster numbers (lavaan's listwise deletion); a
    between-only variable must be constant within each cluster."""
    observed = levels.observed
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame of respondents x variables; got {type(data).__name__}")
    if cluster not in data.columns:
        raise DataError(f"cluster column {cluster!r} is not in the data; available columns: {list(data.columns)}")
    missing = [n for n in observed if n not in data.columns]
    if missing:
        raise ModelError(
            f"unknown variable {missing[0]!r} in the two-level model: it is not a column of the data "
            "and not a latent variable defined with =~ at its level. Check the spelling."
        )
    frame = data[list(observed)]
    non_numeric = [n for n in observed if not pd.api.types.is_numeric_dtype(frame[n].dtype)]
    if non_numeric:
        raise DataError(f"column {non_numeric[0]!r} is not numeric; two-level models take continuous items")
    values = frame.to_numpy(dtype=float, na_value=np.nan)
    keep = np.isfinite(values).all(axis=1) & data[cluster].notna().to_numpy()
    codes = pd.factorize(data[cluster][keep])[0]
    stats = ClusterStats.from_data(values[keep], codes, levels.between, levels.within)
    if stats.n_clusters < 2 or stats.n_obs <= stats.n_clusters:
        raise DataError(
            f"cluster={cluster!r} gives {stats.n_clusters} cluster(s) for {stats.n_obs} complete rows; a "
            "two-level model needs several clusters with more than one respondent"
        )
    _check_constant(data[keep], [n for n, w in zip(observed, levels.within) if not w], cluster)
    return stats


def _check_constant(data: pd.DataFrame, between_only, cluster) -> None:
    """A between-only variable takes one value per cluster."""
    if not between_only:
        return
    counts = data.groupby(cluster, sort=False)[between_only].nunique()
    for name in between_only:
        varying = counts.index[counts[name].to_numpy() > 1]
        if len(varying):
            raise DataError(
                f"{name!r} appears only at level 2 (a cluster-level variable) but takes several values "
                f"within cluster {varying[0]!r} of {cluster!r}; give it one value per cluster, or use it "
                "at level 1 too"
            )


def _parameter_names(table: dict) -> list[str]:
    free = np.flatnonzero(table["x"] >= 0)
    first = free[np.unique(table["x"][free], return_index=True)[1]]
    return [
        f"{table['lhs'][k]} {table['op'][k]} {table['rhs'][k]} [level {table['group'][k] + 1}]".replace("  ", " ")
        for k in first
    ]


def _standardized(table: dict, levels: LevelModel, x: np.ndarray) -> None:
    """std.lv / std.all per level (a latent variable's name may recur at the other level)."""
    ov = {n: i for i, n in enumerate(levels.observed)}
    est = levels.model.values(x)
    for block, latent in enumerate(levels.latent):
        rows = np.flatnonzero(table["group"] == block)
        offset = 0 if block == 0 else len(levels.latent[0])
        lv = {n: offset + i for i, n in enumerate(latent)}
        subset = {name: table[name][rows] for name in ("lhs", "op", "rhs", "group")}
        std_lv, std_all = standardize(subset, est[rows], levels.model, x, ov, lv, set(latent))
        table["std_lv"][rows], table["std_all"][rows] = std_lv, std_all


def two_level_cfa(model, data, *, cluster, estimator="ML", std_lv=False, confidence=0.95, **options) -> CFAResult:
    """cfa() of a model with ``level:`` blocks (see the module docstring)."""
    check_two_level_options(cluster, estimator, **options)
    robust = ESTIMATORS[estimator]
    parsed = model if isinstance(model, ParsedModel) else parse_model(model)
    levels = level_model(parsed, std_lv)
    stats = cluster_data(data, levels, cluster)
    problem = TwoLevelProblem(stats, LevelStructure(levels.model))
    names = _parameter_names(levels.table)
    npar = levels.model.n_free
    n_moments = len(saturated_free(stats.within, stats.between))
    df = n_moments - npar
    if df < 0:
        raise IdentificationError(
            f"the two-level model is not identified: {npar} free parameters but only "
            f"{n_moments} sample moments (df = {df})"
        )
    fit = fit_structure(problem, _admissible(problem, levels, level_starts(levels, stats, std_lv)), robust, names)
    h1 = em_saturated(stats)
    h_inv = np.linalg.inv(fit.hessian)
    vcov = h_inv @ fit.meat @ h_inv if robust else h_inv
    table = dict(levels.table)
    _warn_negative_variances(levels, fit.x)
    with np.errstate(divide="ignore", invalid="ignore"):  # a factor named alike at both levels: fixed just below
        write_estimates(table, problem, fit.x, vcov, _union_variables(levels), confidence)
    _standardized(table, levels, fit.x)
    standard = standard_test(2 * (h1.logl - fit.logl), df)
    n_rows_free = int(np.sum(levels.table["x"] >= 0))
    trace_h1 = h1_trace(stats, h1) if robust else None
    tests = [standard]
    if trace_h1 is not None:
        tests.append(yuan_bentler(fit, standard, trace_h1, n_moments, n_rows_free))
    baseline = baseline_fit(stats, h1, trace_h1)
    _, sw, sb = unpack(problem.structure.moments(fit.x), stats.p)
    n = stats.n_obs
    measures = fit_measures(
        npar=npar,
        fmin=(-2 * fit.logl - log_2pi_constant(stats)) / (2 * n),
        n_rmsea=n,
        groups=1,
        tests=tests,
        baseline=baseline,
        robust=robust_inputs(tests[1], baseline[1]) if robust else None,
        logl=_logl_measures(fit, h1, npar, n, stats.p, tests),
        residual_measures=srmr_measures(sw, sb, h1, stats),
        robust_keys=robust,
    )
    for key in LEVEL_FIT_MEASURES_DROPPED:
        measures.pop(key, None)
    estimates = estimates_view(table, [1, 1])  # both blocks belong to the one group, labelled 1 as lavaan
    estimates.insert(estimates.columns.get_loc("group") + 1, "level", table["group"] + 1)
    return TwoLevelCFAResult(
        fit_measures=measures,
        estimates=estimates,
        converged=True,
        iterations=fit.iterations,
        n_obs=n,
        groups=[1],
        latent_variables=list(dict.fromkeys(levels.latent[0] + levels.latent[1])),
        observed_variables=list(levels.observed),
        estimator=estimator,
        chisq_by_group={1: standard.statistic},
        # _problem holds the TwoLevelProblem: the CFAResult methods that read it as a single-level Problem are
        # overridden by TwoLevelCFAResult
        model=model if isinstance(model, str) else "",
        _problem=cast(Any, problem),
        _x=fit.x,
        _vcov=vcov,
        _options={
            "std_lv": std_lv,
            "estimator": estimator,
            "confidence": confidence,
            "cluster": cluster,
            "within": stats.within,
            "between": stats.between,
        },
        _table=table,
        _tests=tuple(tests),
        _baseline_tests=tuple(baseline),
        n_clusters=stats.n_clusters,
        _h1=h1,
    )


def _warn_negative_variances(levels: LevelModel, x: np.ndarray) -> None:
    """A Heywood case at either level: a variance estimated below 0."""
    table, est = levels.table, levels.model.values(x)
    negative = (table["op"] == "~~") & (table["lhs"] == table["rhs"]) & (est < 0)
    for k in np.flatnonzero(negative):
        warnings.warn(
            f"Heywood case: the variance of {table['lhs'][k]!r} at level {table['group'][k] + 1} is "
            f"negative ({est[k]:.4g}); the model may be misspecified or have too few clusters.",
            stacklevel=4,
        )


def _union_variables(levels: LevelModel) -> ModelVariables:
    """Variables for write_estimates (its standardised columns are replaced per level by ``_standardized``)."""
    latent = tuple(dict.fromkeys(levels.latent[0] + levels.latent[1]))
    return dataclasses.replace(model_variables(ParsedModel(())), observed=levels.observed, latent=latent)


def _not_two_level(name: str) -> Callable[..., NoReturn]:
    def method(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
        raise ModelError(
            f"{name}() is not available for two-level fits; see estimates, fit_measures, "
            "implied_cov(level=...), sample_cov(level=...) and residuals(level=...)"
        )

    method.__name__ = name
    return method


@dataclasses.dataclass(frozen=True, repr=False)
class TwoLevelCFAResult(CFAResult):
    """A fitted two-level CFA: as :class:`CFAResult`, with a ``level`` column (1 within, 2 between) in
    ``estimates``, ``n_clusters``, and the implied, h1 (EM) and residual covariances per level."""

    n_clusters: int = 0
    _h1: Any = dataclasses.field(compare=False, default=None)  # the SaturatedFit (lavaan's h1)

    def _repr_fields(self) -> list[str]:
        fields = super()._repr_fields()
        shown = self.estimates[["lhs", "op", "rhs", "level", "est", "se", "std_all"]].round(3).to_string(max_rows=60)
        return fields[:-1] + [f"  clusters: {self.n_clusters}", "  estimates:\n    " + shown.replace("\n", "\n    ")]

    def _level(
        self, level: Hashable | None, build: Callable[[int], pd.DataFrame]
    ) -> pd.DataFrame | dict[Hashable, pd.DataFrame]:
        if level is None:
            return {k: build(k) for k in (1, 2)}
        if level not in (1, 2):
            raise ModelError(f"level must be 1 (within) or 2 (between); got {level!r}")
        return build(level)

    def _at_level(self, level: int, within: np.ndarray, between: np.ndarray) -> pd.DataFrame:
        """A level's covariance over its variables (level 1: those measured on the respondents; level 2: those
        that vary between clusters)."""
        keep = self._options["within" if level == 1 else "between"]
        names = [n for n, b in zip(self.observed_variables, keep) if b]
        matrix = within if level == 1 else between
        return pd.DataFrame(matrix[np.ix_(keep, keep)], index=names, columns=names)

    def _implied(self) -> tuple[np.ndarray, np.ndarray]:
        problem = cast(TwoLevelProblem, self._problem)  # a two-level fit holds its TwoLevelProblem there
        _, sw, sb = unpack(problem.structure.moments(self._x), len(self.observed_variables))
        return sw, sb

    def implied_cov(self, level: Hashable | None = None) -> pd.DataFrame | dict[Hashable, pd.DataFrame]:
        """Model-implied covariance of a level (1 within, 2 between), or a dict of both."""
        return self._level(level, lambda k: self._at_level(k, *self._implied()))

    def sample_cov(self, level: Hashable | None = None) -> pd.DataFrame | dict[Hashable, pd.DataFrame]:
        """The unrestricted (h1, lavaan's EM) covariance of a level, or a dict of both."""
        return self._level(level, lambda k: self._at_level(k, self._h1.sigma_w, self._h1.sigma_b))

    def residuals(self, level: Hashable | None = None) -> pd.DataFrame | dict[Hashable, pd.DataFrame]:
        """h1 minus model-implied covariance of a level (raw residuals), or a dict of both."""
        implied = self._implied()
        return self._level(
            level, lambda k: self._at_level(k, self._h1.sigma_w - implied[0], self._h1.sigma_b - implied[1])
        )

    implied_mean = _not_two_level("implied_mean")
    model_matrices = _not_two_level("model_matrices")
    modification_indices = _not_two_level("modification_indices")
    standardized_solution = _not_two_level("standardized_solution")
    predict = _not_two_level("predict")
    score_test = _not_two_level("score_test")
    summary = _not_two_level("summary")

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(repr(self))}</pre>"  # no lavaan-like HTML summary for two-level fits yet

    def vcov(self) -> pd.DataFrame:
        names = _parameter_names(self._table)
        return pd.DataFrame(self._vcov, index=names, columns=names)
