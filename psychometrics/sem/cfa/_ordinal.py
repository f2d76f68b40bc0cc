"""cfa(..., ordered=...): ordinal items as lavaan 0.6-14 treats them (estimator WLSMV, parameterization "delta").

The parameter table is lavaan's for ordered indicators: thresholds ``item | t1, t2, ...`` (after the user's
terms), the items' intercepts fixed to 0, their residual variances not free (reported as 1 - R^2), scaling
factors ``item ~*~ item`` fixed to 1. With ``group_equal`` containing "thresholds" the scaling factors and the
latent means are free in groups 2..G (lavaan's identification of equal thresholds); the invariance ladder uses
Wu & Estabrook's (2016) identification instead (``wu_estabrook``). Complete cases only (lavaan's listwise default
for categorical data).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ...errors import ConvergenceError, DataError, ModelError
from ..model_syntax import ParsedModel, parse_model
from ._api import (
    _check_identified,
    _check_known,
    _estimates_frame,
    _plain_label,
    _single_threaded_blas,
    _start_vector,
    _warn_improper,
)
from ._categorical import CategoricalStats, categorical_stats
from ._dwls import CategoricalModel, DWLSProblem, dwls_fit_measures, satorra_2000
from ._estimation import minimize
from ._model import MATRICES, LisrelModel
from ._partable import (
    _ROW_FIELDS,
    _TEXT,
    COLUMNS,
    GROUP_EQUAL_CHOICES,
    ModelVariables,
    _assign_free_indices,
    _Row,
    build_partable,
    model_variables,
    parameter_names,
    parse_partial,
    table_columns,
)
from ._result import CFAResult
from ._samplestats import SampleStats

ORDINAL_GROUP_EQUAL = GROUP_EQUAL_CHOICES + ("thresholds",)


@dataclasses.dataclass(frozen=True)
class OrdinalData:
    model_text: str
    parsed: ParsedModel
    variables: ModelVariables
    groups: list
    stats: list[CategoricalStats]
    n_levels: list[int]


def _ordered_names(ordered, observed) -> list[str]:
    if ordered is True:
        return list(observed)
    names = [ordered] if isinstance(ordered, str) else list(ordered)
    continuous = [n for n in observed if n not in names]
    if continuous:
        raise ModelError(
            f"ordered= must list every observed variable of the model; {continuous} are not ordered. Models mixing "
            "ordinal and continuous indicators are not supported: pass ordered=True or list all of them."
        )
    return names


def _item_values(data, parsed, variables, group) -> tuple[np.ndarray, np.ndarray]:
    """Complete cases of the model's items (numeric codes) and their group labels."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame of respondents x items; got {type(data).__name__}")
    observed = list(variables.observed)
    _check_known(parsed, observed, data.columns, "data")
    if group is not None and group not in data.columns:
        raise DataError(f"group column {group!r} is not in the data; available columns: {list(data.columns)}")
    columns = {}
    for name in observed:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype) and column.dtype.ordered:
            column = column.cat.codes.where(column.notna())  # the categories' order (lavaan's ordered factors)
        elif not pd.api.types.is_numeric_dtype(column.dtype):
            raise DataError(f"ordered item {name!r} must hold numeric category codes or an ordered categorical "
                            f"(dtype {column.dtype}); recode its answers as numbers ordered like the categories.")
        columns[name] = column.to_numpy(dtype=float, na_value=np.nan)
    values = np.column_stack([columns[name] for name in observed])
    labels = data[group].to_numpy() if group is not None else np.ones(len(values), dtype=int)
    complete = ~np.isnan(values).any(axis=1) & pd.notna(labels)
    return values[complete], labels[complete]


def _categories(values: np.ndarray, labels: np.ndarray, observed, raw_groups, groups, group) -> list[np.ndarray]:
    """Each item's categories (sorted observed values); every group must use all of them."""
    levels = [np.unique(column) for column in values.T]
    for name, level in zip(observed, levels):
        if len(level) < 2:
            where = "in the complete cases" if group is None else "in the complete cases of all groups"
            raise DataError(f"ordered item {name!r} has a single observed category ({level[0]:g}) {where}; an "
                            "item without variation carries no information: drop it from the model.")
    for raw, label in zip(raw_groups, groups):
        rows = values[labels == raw]
        for name, level, column in zip(observed, levels, rows.T):
            absent = np.setdiff1d(level, column)
            if len(absent):
                raise DataError(
                    f"ordered item {name!r}: category {absent[0]:g} is observed in other groups but not in group "
                    f"{label!r}, so its thresholds cannot be compared across groups. Merge the category with a "
                    "neighbouring one (recode) or drop the group."
                )
    return levels


def prepare_ordinal(model, data, group, ordered) -> OrdinalData:
    """Parse the model and compute each group's thresholds, polychoric correlations and NACOV."""
    parsed = model if isinstance(model, ParsedModel) else parse_model(model)
    variables = model_variables(parsed)
    if variables.ov_x or variables.dummies:
        raise ModelError(f"observed variables in regressions ({list(variables.dummies)}) are not supported with "
                         "ordered items; model them as indicators of latent variables.")
    _ordered_names(ordered, variables.observed)
    values, labels = _item_values(data, parsed, variables, group)
    raw_groups = pd.unique(labels)
    groups = [_plain_label(v) for v in raw_groups]
    levels = _categories(values, labels, variables.observed, raw_groups, groups, group)
    codes = np.column_stack([np.searchsorted(level, column) for level, column in zip(levels, values.T)])
    n_levels = [len(level) for level in levels]
    stats = []
    for raw, label in zip(raw_groups, groups):
        rows = codes[labels == raw]
        if len(rows) <= len(variables.observed):
            raise DataError(f"group {label!r} has {len(rows)} complete case(s) for {len(variables.observed)} items; "
                            "more cases are needed.")
        stats.append(categorical_stats(rows, n_levels, variables.observed))
    return OrdinalData(model if isinstance(model, str) else "", parsed, variables, groups, stats, n_levels)


def _group_rows(records: list[dict], g: int, variables, n_levels, group_equal, wu_estabrook: bool) -> list[dict]:
    """One group's rows in lavaan's order: user terms, thresholds, defaults, scaling factors, intercepts/means.

    With equal thresholds the scaling factors are free in groups 2..G and so are the latent means (lavaan) or,
    while the intercepts are not equal, the items' intercepts (``wu_estabrook``: Wu & Estabrook 2016, as
    semTools::measEq.syntax(ID.cat = "Wu.Estabrook.2016"))."""
    ov = {name: i for i, name in enumerate(variables.observed)}
    thresholds_equal = "thresholds" in group_equal
    free_intercepts = wu_estabrook and thresholds_equal and g > 0 and "intercepts" not in group_equal
    rows = [dict(r) for r in records if r["group"] == g]
    for r in rows:
        if r["user"]:
            continue
        if r["op"] == "~1" and r["lhs"] in ov:
            r.update(free=free_intercepts, ustart=np.nan if free_intercepts else 0.0)
        elif r["op"] == "~~" and r["lhs"] == r["rhs"] and r["lhs"] in ov:
            r.update(free=False, ustart=1.0)  # the residual variance follows from the scaling factor
        elif r["op"] == "~1" and thresholds_equal and g > 0 and "means" not in group_equal:
            r.update(free=not free_intercepts, ustart=0.0 if free_intercepts else np.nan)
    extra = dict(user=False, ustart=np.nan, label="", start=np.nan, line=0, column=0, exo=False, col=0)
    starts = np.concatenate([[0], np.cumsum(np.asarray(n_levels) - 1)])
    thresholds = [dict(extra, lhs=name, op="|", rhs=f"t{k + 1}", group=g, free=True, matrix="tau", row=starts[j] + k)
                  for j, name in enumerate(variables.observed) for k in range(n_levels[j] - 1)]
    scale_free = thresholds_equal and g > 0
    scaling = [dict(extra, lhs=name, op="~*~", rhs=name, group=g, free=scale_free, matrix="delta", row=j,
                    ustart=np.nan if scale_free else 1.0) for j, name in enumerate(variables.observed)]
    user = [r for r in rows if r["user"]]
    defaults = [r for r in rows if not r["user"]]
    first_mean = next((k for k, r in enumerate(defaults) if r["op"] == "~1"), len(defaults))
    return user + thresholds + defaults[:first_mean] + scaling + defaults[first_mean:]


def _free_indices(records: list[dict], group_equal, group_partial, latent) -> list[int]:
    """lavaan's free-parameter numbering; LISREL parameters first (CategoricalModel's layout)."""
    rows = [_Row(**{f: r[f] for f in _ROW_FIELDS}) for r in records]
    x = np.array(_assign_free_indices(rows, set(group_equal), parse_partial(group_partial, latent), latent))
    extra = np.array([r["matrix"] not in MATRICES for r in records])
    free = x >= 0
    mixed = set(x[free & extra]) & set(x[free & ~extra])
    if mixed:
        raise ModelError("a label is shared by a threshold or scaling factor and another kind of parameter; use "
                         "separate labels")
    order = sorted(set(x[free]), key=lambda v: (v in set(x[free & extra]), v))
    renumber = {old: new for new, old in enumerate(order)}
    return [renumber[v] if v >= 0 else -1 for v in x]


def ordinal_partable(prepared: OrdinalData, *, std_lv: bool, group_equal, group_partial,
                     wu_estabrook: bool = False) -> pd.DataFrame:
    variables, n_groups = prepared.variables, len(prepared.groups)
    base = build_partable(prepared.parsed, variables, n_groups, std_lv=std_lv, meanstructure=True,
                          group_equal=[e for e in group_equal if e != "thresholds"], group_partial=group_partial)
    records = base.to_dict("records")
    rows = [r for g in range(n_groups) for r in _group_rows(records, g, variables, prepared.n_levels, group_equal,
                                                                    wu_estabrook)]
    x = _free_indices(rows, group_equal, group_partial, variables.latent)
    columns = {name: [r.get(name) for r in rows] for name in COLUMNS}
    columns["x"] = x
    return pd.DataFrame({name: np.array(columns[name], dtype=object if name in _TEXT else None) for name in COLUMNS})


def _start(table, prepared: OrdinalData, lisrel_free: int, n_free: int, std_lv: bool, start_from) -> np.ndarray:
    """Simple starts from the polychoric correlations, thresholds at their sample values, scaling factors 1."""
    pseudo = [SampleStats(s.correlation, np.zeros(len(s.correlation)), s.n_obs) for s in prepared.stats]
    x = _start_vector(table_columns(table), pseudo, prepared.variables, std_lv, n_free, start_from)
    if start_from is not None and len(start_from.estimates) == len(table):
        return x
    for matrix, group, row, index in zip(table["matrix"], table["group"], table["row"], table["x"]):
        if index >= lisrel_free:
            x[index] = prepared.stats[group].thresholds[row] if matrix == "tau" else 1.0
    return x


def fit_ordinal(prepared: OrdinalData, *, group_equal=(), group_partial=(), std_lv=False, start_from=None,
                wu_estabrook=False) -> CFAResult:
    """Build the model, estimate by DWLS and assemble the WLSMV result."""
    variables, groups, stats = prepared.variables, prepared.groups, prepared.stats
    if len(groups) == 1 and group_equal:
        raise ModelError("group_equal needs a multi-group model: pass group=... (a column with two or more groups)")
    table = ordinal_partable(prepared, std_lv=std_lv, group_equal=group_equal, group_partial=group_partial,
                             wu_estabrook=wu_estabrook)
    lisrel_table = table[table["matrix"].isin(MATRICES)].reset_index(drop=True)
    lisrel = LisrelModel(lisrel_table, len(variables.observed), len(variables.structural), len(groups), True)
    model = CategoricalModel(table, lisrel, [s.threshold_item for s in stats])
    problem = DWLSProblem(model, tuple(stats))
    start = _start(table, prepared, lisrel.n_free, model.n_free, std_lv, start_from)
    df = len(groups) * model.n_data_moments - model.n_free
    _check_identified(problem, start, lambda: parameter_names(table, groups), df)
    solution = minimize(problem, start)
    if not solution.converged:
        raise ConvergenceError(f"the DWLS optimiser did not converge after {solution.iterations} iterations; the "
                               "model may be misspecified or empirically under-identified.", solution.iterations)
    vcov = problem.robust_vcov(solution.x)
    estimates = _estimates_frame(problem, solution.x, vcov, groups, variables)
    _warn_improper(problem, solution.x, groups, variables.latent)
    by_group = {g: float((s.n_obs - 1) * f) for g, s, f in zip(groups, stats, problem.group_values(solution.x))}
    return CFAResult(
        fit_measures=dwls_fit_measures(problem, solution.x),
        estimates=estimates,
        converged=True,
        iterations=solution.iterations,
        n_obs=stats[0].n_obs if len(groups) == 1 else {g: s.n_obs for g, s in zip(groups, stats)},
        groups=groups,
        latent_variables=list(variables.latent),
        observed_variables=list(variables.observed),
        estimator="WLSMV",
        chisq_by_group=by_group,
        model=prepared.model_text,
        _problem=problem,
        _x=solution.x,
        _vcov=vcov,
        _options={"variables": variables, "std_lv": std_lv, "group_equal": tuple(group_equal),
                  "group_partial": tuple(group_partial), "ordered": True},
    )


def check_ordinal_options(estimator, missing, group_equal) -> tuple[str, ...]:
    """WLSMV (estimator "ML", the default, means lavaan's default for ordered data: WLSMV) with listwise deletion."""
    if estimator not in ("ML", "WLSMV"):
        raise ModelError(f"estimator {estimator!r} is not available for ordered items; use 'WLSMV' (the default)")
    if missing != "listwise":
        raise ModelError(f"missing={missing!r} is not available for ordered items; only 'listwise' (complete cases)")
    group_equal = (group_equal,) if isinstance(group_equal, str) else tuple(group_equal)
    for item in group_equal:
        if item not in ORDINAL_GROUP_EQUAL:
            raise ModelError(f"unknown group_equal entry {item!r}; choose from {', '.join(ORDINAL_GROUP_EQUAL)}")
    return group_equal


def cfa_ordinal(model, data, *, ordered, group=None, group_equal=(), group_partial=(), std_lv=False,
                estimator="ML", missing="listwise") -> CFAResult:
    group_equal = check_ordinal_options(estimator, missing, group_equal)
    prepared = prepare_ordinal(model, data, group, ordered)
    with _single_threaded_blas():
        return fit_ordinal(prepared, group_equal=group_equal, group_partial=group_partial, std_lv=std_lv)


def ordinal_ladder(model, data, group, constraint_sets, *, ordered, group_partial=(), std_lv=False, estimator="ML",
                   missing="listwise", sample_cov=None, sample_mean=None, n_obs=None) -> list[CFAResult]:
    """Fits of one model under several group_equal sets (Wu & Estabrook's identification), warm-starting each
    from the previous one (used by measurement_invariance)."""
    if sample_cov is not None or sample_mean is not None or n_obs is not None:
        raise DataError("ordered items need the raw data (data=...), not sample_cov/sample_mean/n_obs")
    sets = [check_ordinal_options(estimator, missing, eq) for eq in constraint_sets]
    prepared = prepare_ordinal(model, data, group, ordered)
    if len(prepared.groups) < 2:
        raise ModelError(f"group {group!r} has a single group ({prepared.groups}); comparing groups needs two or more")
    fits, previous = [], None
    with _single_threaded_blas():
        for equal in sets:
            previous = fit_ordinal(prepared, group_equal=equal, group_partial=group_partial, std_lv=std_lv,
                                   start_from=previous, wu_estabrook=True)
            fits.append(previous)
    return fits


def ordinal_difference(free: CFAResult, restricted: CFAResult) -> tuple[float, int, float]:
    """(delta chisq, delta df, p) of nested WLSMV fits: lavTestLRT's scaled-shifted Satorra (2000) test."""
    fits = ((f._problem, f._x, f.fit_measures["chisq"], f.fit_measures["df"]) for f in (free, restricted))
    return satorra_2000(*fits)
