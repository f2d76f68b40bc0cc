"""The full parameter table of a model: the user's terms plus lavaan's defaults (lavaanify, lavaan 0.6-14).

Defaults as ``lavaan::cfa()``/``sem()``: the first loading of each factor fixed to 1 (or every latent variance
fixed to 1 with ``std_lv``), the residual variance of a factor's single indicator fixed to 0, residual variances of observed variables and variances of latent variables free,
covariances among exogenous latent variables free, covariances among purely dependent latent variables free, and
with a mean structure free intercepts and latent means fixed to 0 (free in groups 2..G once intercepts are equal
across groups). Equality constraints (shared labels, ``group_equal``) map several rows onto one free parameter
(column ``x``), which is how ``npar`` and the degrees of freedom are counted.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from ..._checks import label_list
from ...errors import ModelError
from ..model_syntax import ModelTerm, ParsedModel

GROUP_EQUAL_CHOICES = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "regressions",
)

LISREL_MATRICES = ("lambda", "theta", "psi", "beta", "nu", "alpha")
COLUMNS = [
    "lhs",
    "op",
    "rhs",
    "group",
    "user",
    "free",
    "ustart",
    "label",
    "start",
    "x",
    "matrix",
    "row",
    "col",
    "exo",
    "line",
    "column",
]


@dataclasses.dataclass(frozen=True)
class ModelVariables:
    """Observed and latent variable names in lavaan's order, and the roles lavaan's defaults depend on.

    ``observed`` lists the endogenous/indicator variables in order of appearance, then the exogenous observed
    covariates ``ov_x`` (lavaan's ov.nox, ov.x). Observed variables in regressions (``dummies``) are carried by a
    phantom latent variable of the same name (loading 1, no residual), as in lavaan's LISREL representation.
    """

    observed: tuple[str, ...]
    latent: tuple[str, ...]
    indicators: dict[str, tuple[str, ...]]
    lv_exogenous: tuple[str, ...]
    dependent: tuple[str, ...]
    dummies: tuple[str, ...] = ()
    ov_x: tuple[str, ...] = ()

    @property
    def structural(self) -> tuple[str, ...]:
        """Names of the LISREL latent vector: latent variables, then phantoms of observed regression variables."""
        return self.latent + self.dummies


def model_variables(parsed: ParsedModel) -> ModelVariables:
    """Classify the model's names (lavaan's vnames: ov, ov.x, ov.y, lv, lv.x, lv.y)."""
    latent = list(dict.fromkeys(t.lhs for t in parsed.terms if t.op == "=~"))
    names = []
    for t in parsed.terms:
        names.extend([t.lhs] if t.op == "~1" else [t.lhs, t.rhs])
    regressions = [t for t in parsed.terms if t.op == "~"]
    lhs_reg = {t.lhs for t in regressions}
    rhs_reg = {t.rhs for t in regressions}
    indicator_names = {t.rhs for t in parsed.terms if t.op == "=~"}
    observed = [n for n in dict.fromkeys(names) if n not in latent]
    ov_x = [n for n in observed if n in rhs_reg and n not in lhs_reg and n not in indicator_names]
    observed = [n for n in observed if n not in ov_x] + ov_x
    dummies = tuple(n for n in observed if n in lhs_reg or n in rhs_reg)
    indicators = {f: tuple(t.rhs for t in parsed.terms if t.op == "=~" and t.lhs == f) for f in latent}
    lv_exogenous = tuple(f for f in latent if f not in lhs_reg and f not in indicator_names)
    pure_dependent = lambda n: n in lhs_reg and n not in rhs_reg and n not in indicator_names  # noqa: E731
    dependent = tuple(n for n in latent if pure_dependent(n)) + tuple(n for n in dummies if pure_dependent(n))
    return ModelVariables(tuple(observed), tuple(latent), indicators, lv_exogenous, dependent, dummies, tuple(ov_x))


def _check_terms(parsed: ParsedModel, variables: ModelVariables) -> None:
    structural = set(variables.structural)
    for term in parsed.terms:
        where = f"'{term.lhs} {term.op} {term.rhs}' (line {term.line}, column {term.column})"
        if term.op == "=~" and term.lhs == term.rhs:
            raise ModelError(f"{where}: a latent variable cannot be its own indicator")
        if term.op == "~~" and (term.lhs in structural) != (term.rhs in structural):
            raise ModelError(
                f"{where}: covariances between a latent (or regression) variable and a plain observed indicator are "
                "not supported; model the relation with a loading or a regression"
            )
        if term.op == "~" and term.lhs == term.rhs:
            raise ModelError(f"{where}: a variable cannot be regressed on itself")


def _matrix_position(lhs: str, op: str, rhs: str, ov: dict, lv: dict) -> tuple[str, int, int]:
    """Where a parameter lives in the LISREL matrices; ``lv`` holds latent variables and regression phantoms."""
    if op == "=~":
        return ("beta", lv[rhs], lv[lhs]) if rhs in lv else ("lambda", ov[rhs], lv[lhs])
    if op == "~":
        return "beta", lv[lhs], lv[rhs]
    if op == "~~":
        if lhs in lv and rhs in lv:
            i, j = sorted((lv[lhs], lv[rhs]), reverse=True)
            return "psi", i, j
        if lhs in lv or rhs in lv:
            raise ModelError(f"'{lhs} ~~ {rhs}' mixes a latent (or regression) variable and an observed indicator")
        i, j = sorted((ov[lhs], ov[rhs]), reverse=True)
        return "theta", i, j
    return ("alpha", lv[lhs], 0) if lhs in lv else ("nu", ov[lhs], 0)


def parse_partial(specs, latent) -> set[tuple[str, str, str]]:
    """group_partial strings such as 'visual =~ x3', 'x3 ~1', 'x1 ~~ x2', 'x1 | t2' as (lhs, op, rhs) keys."""
    keys = set()
    for spec in label_list(specs, name="group_partial", error=ModelError):
        match = re.fullmatch(r"\s*([A-Za-z_.][\w.]*)\s*(=~|~~|~|\|)\s*([A-Za-z_.][\w.]*|1)\s*", str(spec))
        if match is None:
            raise ModelError(
                f"group_partial entry {spec!r} is not of the form 'lhs op rhs' (e.g. 'visual =~ x3' or 'x3 ~1')"
            )
        lhs, op, rhs = match.groups()
        if op == "~" and rhs == "1":
            op, rhs = "~1", ""
        keys.add((lhs, op, rhs))
        if op == "~~":
            keys.add((rhs, op, lhs))
    return keys


def _equal_category(lhs: str, op: str, rhs: str, latent) -> str:
    if op == "=~":
        return "loadings"
    if op == "~":
        return "regressions"
    if op == "~1":
        return "means" if lhs in latent else "intercepts"
    if op in ("|", "~*~"):  # ordinal items' thresholds and scaling factors (psychometrics.sem.cfa._wls)
        return "thresholds" if op == "|" else "scaling"
    if lhs in latent:
        return "lv.variances" if lhs == rhs else "lv.covariances"
    return "residuals" if lhs == rhs else "residual.covariances"


@dataclasses.dataclass
class _Row:
    lhs: str
    op: str
    rhs: str
    group: int
    user: bool
    free: bool
    ustart: float
    label: str
    start: float = np.nan
    line: int = 0
    column: int = 0
    exo: bool = False


_ROW_FIELDS = [f.name for f in dataclasses.fields(_Row)]
_TEXT = {"lhs", "op", "rhs", "label", "matrix"}


def _user_rows(term: ModelTerm, group: int, n_groups: int, first_indicator: bool, std_lv: bool) -> _Row:
    mod = term.modifier(group, n_groups)
    if mod.fixed is not None:
        free, ustart = False, mod.fixed
    elif mod.free:
        free, ustart = True, np.nan
    elif term.op == "=~" and first_indicator and not std_lv:
        free, ustart = False, 1.0  # marker variable (lavaan's auto.fix.first)
    else:
        free, ustart = True, np.nan
    start = mod.start if mod.start is not None else np.nan
    return _Row(term.lhs, term.op, term.rhs, group, True, free, ustart, mod.label or "", start, term.line, term.column)


def _default_rows(group, variables, present, std_lv, meanstructure, free_means, free_lv_variances):
    """lavaan's automatic parameters in lavaanify's order: variances, covariances, intercepts, means.

    Exogenous observed covariates (fixed.x = TRUE) get their variances, covariances and means fixed at the
    sample values (``exo``; filled in from the sample statistics).
    """
    rows = []

    def add(lhs, op, rhs, free, ustart=np.nan, exo=False):
        if (lhs, op, rhs) not in present and (rhs, op, lhs) not in present:
            rows.append(_Row(lhs, op, rhs, group, False, free, ustart, "", exo=exo))

    endogenous = [n for n in variables.observed if n not in variables.ov_x]
    single = {names[0] for names in variables.indicators.values() if len(names) == 1}
    for name in endogenous:  # the sole indicator of a factor has no residual variance (auto.fix.single)
        add(name, "~~", name, name not in single, 0.0 if name in single else np.nan)
    for name in variables.latent:
        fixed_one = std_lv and not free_lv_variances
        add(name, "~~", name, not fixed_one, 1.0 if fixed_one else np.nan)
    for block in (variables.lv_exogenous, variables.dependent):
        for i, a in enumerate(block):
            for b in block[i + 1 :]:
                add(a, "~~", b, True)
    for i, a in enumerate(variables.ov_x):
        for b in variables.ov_x[i:]:
            add(a, "~~", b, False, exo=True)
    if meanstructure:
        for name in endogenous:
            add(name, "~1", "", True)
        for name in variables.ov_x:
            add(name, "~1", "", False, exo=True)
        for name in variables.latent:
            add(name, "~1", "", free_means, np.nan if free_means else 0.0)
    return rows


def _assign_free_indices(rows: list[_Row], group_equal, partial, latent) -> list[int]:
    """Index (0-based) of the free parameter each row maps to; -1 for fixed rows."""
    keys: dict[object, int] = {}
    x = [-1] * len(rows)
    first_group: dict[tuple[str, str, str], tuple[str, str | int]] = {}
    for pos, row in enumerate(rows):
        if not row.free:
            continue
        lhs, op, rhs, group, label = row.lhs, row.op, row.rhs, row.group, row.label
        ident = (lhs, op, rhs)
        if label:
            key: tuple[str, str | int] = ("label", label)
        elif (
            group > 0
            and _equal_category(lhs, op, rhs, latent) in group_equal
            and ident not in partial
            and ident in first_group
        ):
            key = first_group[ident]
        else:
            key = ("row", pos)
        if group == 0:
            first_group[ident] = key
        x[pos] = keys.setdefault(key, len(keys))
    return x


def build_partable(parsed: ParsedModel, variables: ModelVariables, n_groups: int, **options) -> pd.DataFrame:
    """The full parameter table (one row per parameter and group) with the free-parameter index ``x``; ``options``
    as :func:`partable_columns`."""
    return pd.DataFrame(partable_columns(parsed, variables, n_groups, **options))


def partable_columns(
    parsed: ParsedModel,
    variables: ModelVariables,
    n_groups: int,
    *,
    std_lv: bool,
    meanstructure: bool,
    group_equal=(),
    group_partial=(),
    n_levels=None,
    wu_estabrook: bool = False,
) -> dict[str, np.ndarray]:
    """The parameter table as columns of NumPy arrays (text as object arrays): the fit reads them element-wise,
    which is many times faster than through pandas 3's (Arrow-backed) columns.

    The one builder of every table: with ``n_levels`` (the ordered items' numbers of categories) it adds lavaan's
    rows for ordinal items (:func:`_categorical_group_rows`: thresholds, scaling factors, fixed intercepts and
    residual variances); ``group_equal`` may then hold "thresholds" and ``wu_estabrook`` picks Wu & Estabrook's
    (2016) identification of equal thresholds."""
    _check_terms(parsed, variables)
    partial = parse_partial(group_partial, variables.latent)
    categorical = n_levels is not None
    lisrel_equal = [e for e in group_equal if e != "thresholds"]
    rows = _model_rows(parsed, variables, n_groups, std_lv, meanstructure or categorical, lisrel_equal)
    _check_labels(rows)
    ov = {n: i for i, n in enumerate(variables.observed)}
    lv = {n: i for i, n in enumerate(variables.structural)}
    columns = {name: [getattr(r, name) for r in rows] for name in _ROW_FIELDS}
    positions = [_matrix_position(r.lhs, r.op, r.rhs, ov, lv) for r in rows]
    for k, name in enumerate(("matrix", "row", "col")):
        columns[name] = [p[k] for p in positions]
    if categorical:
        records = [dict(zip(columns, values)) for values in zip(*columns.values())]
        records = [
            rec
            for g in range(n_groups)
            for rec in _categorical_group_rows(records, g, variables, n_levels, group_equal, wu_estabrook)
        ]
        rows = [_Row(**{f: r[f] for f in _ROW_FIELDS}) for r in records]
        columns = {name: [r[name] for r in records] for name in COLUMNS if name != "x"}
    x = _assign_free_indices(rows, set(group_equal), partial, variables.latent)
    columns["x"] = _lisrel_first(x, columns["matrix"]) if categorical else x
    return {name: np.array(columns[name], dtype=object if name in _TEXT else None) for name in COLUMNS}


def _model_rows(parsed, variables, n_groups, std_lv, meanstructure, group_equal) -> list[_Row]:
    """The user's rows and lavaan's defaults, group by group."""
    intercepts_equal = "intercepts" in group_equal and "means" not in group_equal
    rows: list[_Row] = []
    for g in range(n_groups):
        seen_factors: set[str] = set()
        present: set[tuple[str, str, str]] = set()
        for term in parsed.terms:
            first = term.op == "=~" and term.lhs not in seen_factors
            if term.op == "=~":
                seen_factors.add(term.lhs)
            key = (term.lhs, term.op, term.rhs)
            if key in present or (term.op == "~~" and (term.rhs, term.op, term.lhs) in present):
                raise ModelError(
                    f"'{term.lhs} {term.op} {term.rhs}' (line {term.line}) is specified twice; write it once"
                )
            present.add(key)
            rows.append(_user_rows(term, g, n_groups, first, std_lv))
        free_means = intercepts_equal and g > 0
        free_lv_var = std_lv and "loadings" in group_equal and "lv.variances" not in group_equal and g > 0
        rows.extend(_default_rows(g, variables, present, std_lv, meanstructure, free_means, free_lv_var))
    return rows


def _categorical_group_rows(
    records: list[dict], g: int, variables, n_levels, group_equal, wu_estabrook: bool
) -> list[dict]:
    """One group's rows for ordered items in lavaan's order: user terms, thresholds ``item | t1, t2, ...``, defaults,
    scaling factors ``item ~*~ item``, intercepts/means. The items' intercepts are fixed to 0 and their residual
    variances are not free (delta parameterisation: reported as 1 - R^2).

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
    thresholds = [
        dict(extra, lhs=name, op="|", rhs=f"t{k + 1}", group=g, free=True, matrix="tau", row=starts[j] + k)
        for j, name in enumerate(variables.observed)
        for k in range(n_levels[j] - 1)
    ]
    scale_free = thresholds_equal and g > 0
    scaling = [
        dict(
            extra,
            lhs=name,
            op="~*~",
            rhs=name,
            group=g,
            free=scale_free,
            matrix="delta",
            row=j,
            ustart=np.nan if scale_free else 1.0,
        )
        for j, name in enumerate(variables.observed)
    ]
    user = [r for r in rows if r["user"]]
    defaults = [r for r in rows if not r["user"]]
    first_mean = next((k for k, r in enumerate(defaults) if r["op"] == "~1"), len(defaults))
    return user + thresholds + defaults[:first_mean] + scaling + defaults[first_mean:]


def _lisrel_first(x: list[int] | np.ndarray, matrices: list[str]) -> list[int]:
    """Renumber the free parameters so that the LISREL ones come first (CategoricalModel's layout)."""
    x = np.array(x)
    extra = np.array([m not in LISREL_MATRICES for m in matrices])
    free = x >= 0
    extra_x = set(x[free & extra])
    if extra_x & set(x[free & ~extra]):
        raise ModelError(
            "a label is shared by a threshold or scaling factor and another kind of parameter; use separate labels"
        )
    order = sorted(set(x[free]), key=lambda v: (v in extra_x, v))
    renumber = {old: new for new, old in enumerate(order)}
    return [renumber[v] if v >= 0 else -1 for v in x]


def table_columns(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """A parameter table's columns as NumPy arrays (the inverse of ``pd.DataFrame(columns)``)."""
    return {name: table[name].to_numpy() for name in table.columns}


def _check_labels(rows: list[_Row]) -> None:
    shared = {row.label for row in rows if row.label and row.free}
    for row in rows:
        if row.label in shared and not row.free:
            raise ModelError(
                f"label {row.label!r} is used for the fixed parameter '{row.lhs} {row.op} {row.rhs}' and for free "
                "parameters; give the fixed parameter another label"
            )


def parameter_names(table: pd.DataFrame, groups) -> list[str]:
    """'lhs op rhs' of each free parameter (first row of each equality set), with the group for several groups."""
    table = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    first = table[table["x"] >= 0].drop_duplicates("x").sort_values("x")
    names = []
    for lhs, op, rhs, g in zip(first["lhs"], first["op"], first["rhs"], first["group"]):
        name = f"{lhs} {op} {rhs}".strip()
        names.append(name if len(groups) == 1 else f"{name} [{groups[g]}]")
    return names
