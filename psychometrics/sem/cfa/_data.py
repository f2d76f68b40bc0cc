"""Data preparation of cfa(): the model's variables, each group's sample statistics (continuous moments, FIML's
missing-data patterns, or the thresholds, polychoric correlations and NACOV of ordered items).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..._checks import as_item_frame, check_label, label_list
from ...errors import DataError, ModelError
from ..model_syntax import ParsedModel, parse_model
from ._categorical import categorical_stats
from ._fiml import missing_stats
from ._partable import ModelVariables, model_variables
from ._samplestats import SampleStats


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


def _cluster_codes(data: pd.DataFrame, cluster, group) -> np.ndarray | None:
    """Each row's cluster as a number (None without ``cluster``); a row without a cluster label is an error."""
    if cluster is None:
        return None
    if check_label(cluster, name="cluster") not in data.columns:
        raise DataError(f"cluster column {cluster!r} is not in the data; available columns: {list(data.columns)}")
    if cluster == group:
        raise DataError(
            f"cluster={cluster!r} is also the group column; clusters must be nested in the groups "
            "(e.g. services within sites), not be the groups."
        )
    labels = data[cluster]
    if labels.isna().any():
        row = labels.index[labels.isna().to_numpy()][0]
        raise DataError(
            f"cluster column {cluster!r} is missing in row {row!r}; give every respondent a cluster "
            "(e.g. its own label for respondents outside any service) or drop the row."
        )
    return pd.factorize(labels)[0]


def _weight_values(data: pd.DataFrame, weights) -> np.ndarray | None:
    """The sampling weights column as floats (None without ``sampling_weights``); each must be a finite number
    >= 0."""
    if weights is None:
        return None
    check_label(weights, name="sampling_weights")
    if weights not in data.columns:
        raise DataError(
            f"sampling_weights column {weights!r} is not in the data; available columns: {list(data.columns)}"
        )
    if not pd.api.types.is_numeric_dtype(data[weights].dtype):
        raise DataError(f"sampling_weights column {weights!r} must be numeric (dtype {data[weights].dtype}).")
    values = data[weights].to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        raise DataError(
            f"sampling_weights column {weights!r} has the value {values[bad[0]]} in row "
            f"{data.index[bad[0]]!r}; weights must be finite numbers >= 0."
        )
    return values


def _renumbered(codes: np.ndarray | None) -> np.ndarray | None:
    """Cluster numbers 0 .. C - 1 among the rows of one group."""
    return None if codes is None else np.unique(codes, return_inverse=True)[1]


def _stats_from_data(
    data, parsed, observed, group, fiml=False, cluster=None, weights=None, read_columns=None
) -> tuple[list, list[SampleStats]]:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame of respondents x variables; got {type(data).__name__}")
    _check_known(parsed, observed, data.columns, "data")
    if group is not None and group not in data.columns:
        raise DataError(f"group column {group!r} is not in the data; available columns: {list(data.columns)}")
    values = _numeric_values(data, observed, read_columns or {})
    empty = np.flatnonzero(np.isnan(values).all(axis=0))
    if len(empty):
        raise DataError(f"data column {observed[empty[0]]!r} has no observed values; drop it from the model.")
    labels = data[group].to_numpy() if group is not None else np.ones(len(values), dtype=int)
    clusters = _cluster_codes(data, cluster, group)
    usable = ~np.isnan(values).all(axis=1) if fiml else ~np.isnan(values).any(axis=1)  # FIML drops empty rows
    complete = usable & pd.notna(labels)
    values, labels = values[complete], labels[complete]
    clusters = None if clusters is None else clusters[complete]
    case_weights = _weight_values(data, weights)
    if case_weights is not None:
        case_weights = case_weights[complete]
        case_weights = case_weights * len(case_weights) / case_weights.sum()  # lavaan: normalised to sum N
    raw_groups = pd.unique(labels)  # lavaan's order: first appearance
    groups = [plain_label(v) for v in raw_groups]
    stats: list[SampleStats] = []
    for raw, label in zip(raw_groups, groups):
        rows = values[labels == raw]
        in_group = None if clusters is None else _renumbered(clusters[labels == raw])
        if fiml:
            fiml_stats = missing_stats(rows, observed, f"group {label!r}" if group is not None else "the data")
            stats.append(dataclasses.replace(fiml_stats, cluster=in_group))
            continue
        _check_group(rows, observed, label, group)
        group_weights = None if case_weights is None else case_weights[labels == raw]
        stats.append(SampleStats.from_data(rows, in_group, group_weights))
    return groups, stats


def _numeric_values(data: pd.DataFrame, observed, read_columns) -> np.ndarray:
    """The observed columns as a float matrix (NaN where missing), from ``read_columns`` (name -> float values
    already read by the entry checks) when it has them all. Numeric columns are read one by one: selecting a
    sub-frame first costs several times more in pandas 3 (about 1 ms for nine columns)."""
    if all(name in read_columns for name in observed):
        return np.column_stack([read_columns[name] for name in observed])
    dtypes = dict(zip(data.columns.tolist(), data.dtypes.tolist())) if data.columns.is_unique else {}
    if all(name in dtypes and pd.api.types.is_numeric_dtype(dtypes[name]) for name in observed):
        return np.column_stack([data[name].to_numpy(dtype=float, na_value=np.nan) for name in observed])
    frame = data[list(observed)]
    if not all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes):
        frame = as_item_frame(frame, min_items=1, drop_empty_rows=True, name="data")  # names the bad cell
    return frame.to_numpy(dtype=float, na_value=np.nan)


def plain_label(value):
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
        raise DataError(
            "sample_cov needs the number of observations: pass n_obs=... (a dict group -> N for several groups)"
        )
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
            raise DataError(
                f"group {label!r} has n_obs = {n} for {len(observed)} observed variables; more cases are needed."
            )
        if np.linalg.eigvalsh(matrix).min() <= 0:
            raise DataError(f"the sample covariance matrix of group {label!r} is not positive definite.")
        stats.append(SampleStats.from_moments(matrix, mean, n))
    return groups, stats


def _ordered_names(ordered, observed) -> list[str]:
    if ordered is True:
        return list(observed)
    names = label_list(ordered, name="ordered")
    continuous = [n for n in observed if n not in names]
    if continuous:
        raise ModelError(
            f"ordered= must list every observed variable of the model; {continuous} are not ordered. Models mixing "
            "ordinal and continuous indicators are not supported: pass ordered=True or list all of them."
        )
    return names


def ordered_values(data: pd.DataFrame, names) -> np.ndarray:
    """The ordered items' answers as numbers (an ordered categorical by its categories' order), NaN if missing."""
    columns = []
    for name in names:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype) and column.dtype.ordered:
            column = column.cat.codes.where(column.notna())  # the categories' order (lavaan's ordered factors)
        elif not pd.api.types.is_numeric_dtype(column.dtype):
            raise DataError(
                f"ordered item {name!r} must hold numeric category codes or an ordered categorical "
                f"(dtype {column.dtype}); recode its answers as numbers ordered like the categories."
            )
        columns.append(column.to_numpy(dtype=float, na_value=np.nan))
    return np.column_stack(columns)


def _item_values(data, parsed, variables, group, pairwise=False) -> tuple[np.ndarray, np.ndarray]:
    """The model's items (numeric codes) and their group labels: complete cases, or with ``pairwise`` every case
    answering at least one item (lavaan drops empty cases with missing = "pairwise")."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame of respondents x items; got {type(data).__name__}")
    observed = list(variables.observed)
    _check_known(parsed, observed, data.columns, "data")
    if group is not None and group not in data.columns:
        raise DataError(f"group column {group!r} is not in the data; available columns: {list(data.columns)}")
    values = ordered_values(data, observed)
    labels = data[group].to_numpy() if group is not None else np.ones(len(values), dtype=int)
    answered = ~np.isnan(values)
    usable = (answered.any(axis=1) if pairwise else answered.all(axis=1)) & pd.notna(labels)
    return values[usable], labels[usable]


def _categories(values: np.ndarray, labels: np.ndarray, observed, raw_groups, groups, group) -> list[np.ndarray]:
    """Each item's categories (sorted observed values); every group must use all of them."""
    levels = [np.unique(column[~np.isnan(column)]) for column in values.T]
    for name, level in zip(observed, levels):
        if len(level) < 2:
            where = "in the cases used" if group is None else "in the cases used of all groups"
            raise DataError(
                f"ordered item {name!r} has a single observed category ({level[0]:g}) {where}; an "
                "item without variation carries no information: drop it from the model."
            )
    for raw, label in zip(raw_groups, groups):
        rows = values[labels == raw]
        for name, level, column in zip(observed, levels, rows.T):
            absent = np.setdiff1d(level, column[~np.isnan(column)])
            if len(absent):
                raise DataError(
                    f"ordered item {name!r}: category {absent[0]:g} is observed in other groups but not in group "
                    f"{label!r}, so its thresholds cannot be compared across groups. Merge the category with a "
                    "neighbouring one (recode) or drop the group."
                )
    return levels


def _ordinal_stats(parsed, variables, data, group, ordered, pairwise=False) -> tuple[list, list, list[int]]:
    """Groups, each group's thresholds, polychoric correlations and NACOV, and the items' numbers of categories
    (``pairwise``: from the cases answering each item or pair; missing answers are coded -1)."""
    if variables.ov_x or variables.dummies:
        raise ModelError(
            f"observed variables in regressions ({list(variables.dummies)}) are not supported with "
            "ordered items; model them as indicators of latent variables."
        )
    _ordered_names(ordered, variables.observed)
    values, labels = _item_values(data, parsed, variables, group, pairwise)
    raw_groups = pd.unique(labels)
    groups = [plain_label(v) for v in raw_groups]
    levels = _categories(values, labels, variables.observed, raw_groups, groups, group)
    codes = np.column_stack(
        [np.where(np.isnan(column), -1, np.searchsorted(level, column)) for level, column in zip(levels, values.T)]
    )
    n_levels = [len(level) for level in levels]
    stats = []
    for raw, label in zip(raw_groups, groups):
        rows = codes[labels == raw]
        if len(rows) <= len(variables.observed):
            raise DataError(
                f"group {label!r} has {len(rows)} usable case(s) for {len(variables.observed)} items; "
                "more cases are needed."
            )
        stats.append(
            dataclasses.replace(
                categorical_stats(rows, n_levels, variables.observed), levels=tuple(levels), pairwise=pairwise
            )
        )
    return groups, stats, n_levels


def wants_ordinal(ordered) -> bool:
    """Whether cfa's ``ordered`` asks for ordinal items: True or a non-empty name or list of names."""
    if ordered is True or ordered is None or ordered is False:
        return ordered is True
    return len(label_list(ordered, name="ordered")) > 0


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What a fit needs from the data, read once (the invariance ladder fits several models on it).

    ``stats``: per group, :class:`SampleStats` (complete continuous data), ``MissingStats`` (FIML) or
    ``CategoricalStats`` (ordered items, ``n_levels`` categories per item)."""

    model_text: str
    parsed: ParsedModel
    variables: ModelVariables
    groups: list
    stats: list
    meanstructure: bool
    fiml: bool = False
    n_levels: list | None = None

    @property
    def categorical(self) -> bool:
        return self.n_levels is not None


def prepare(
    model,
    data,
    group,
    *,
    sample_cov=None,
    sample_mean=None,
    n_obs=None,
    missing="listwise",
    ordered=None,
    cluster=None,
    sampling_weights=None,
    read_columns=None,
) -> Prepared:
    """Parse the model and compute each group's sample statistics (with each row's cluster for ``cluster``);
    ``read_columns``: float values of data columns the entry checks read (``check_cfa_input``)."""
    parsed = model if isinstance(model, ParsedModel) else parse_model(model)
    variables = model_variables(parsed)
    text = model if isinstance(model, str) else ""
    if (cluster is not None or sampling_weights is not None) and (data is None or sample_cov is not None):
        raise DataError("cluster= and sampling_weights= need the raw data (data=...) with that column, not sample_cov")
    if sampling_weights is not None and (wants_ordinal(ordered) or missing != "listwise"):
        raise ModelError(
            "sampling_weights= is available for continuous items with complete cases (weighted ML/MLR); "
            "not with ordered items or missing='fiml'."
        )
    if wants_ordinal(ordered):
        if sample_cov is not None or sample_mean is not None or n_obs is not None:
            raise DataError("ordered items need the raw data (data=...), not sample_cov/sample_mean/n_obs")
        groups, stats, n_levels = _ordinal_stats(parsed, variables, data, group, ordered, missing == "pairwise")
        return Prepared(text, parsed, variables, groups, stats, True, False, n_levels)
    if group is not None and sample_cov is not None:
        raise DataError(
            "pass either group= with raw data or a dict of group covariance matrices as sample_cov, not both"
        )
    has_intercepts = any(t.op == "~1" for t in parsed.terms)
    if sample_cov is not None:
        if missing != "listwise":
            raise DataError(f"missing={missing!r} needs the raw data (data=...), not sample_cov")
        multi = isinstance(sample_cov, dict) and len(sample_cov) > 1
        groups, stats = _stats_from_moments(
            parsed, variables.observed, sample_cov, sample_mean, n_obs, multi or has_intercepts
        )
    elif data is not None:
        groups, stats = _stats_from_data(
            data,
            parsed,
            variables.observed,
            group,
            fiml=missing in ("fiml", "ml"),
            cluster=cluster,
            weights=sampling_weights,
            read_columns=read_columns,
        )
    else:
        raise DataError("pass data=... (a DataFrame) or sample_cov=... with n_obs=...")
    fiml = missing in ("fiml", "ml")  # FIML and clusters always have a mean structure, as in lavaan
    meanstructure = len(groups) > 1 or has_intercepts or fiml or cluster is not None
    return Prepared(text, parsed, variables, groups, stats, meanstructure, fiml)
