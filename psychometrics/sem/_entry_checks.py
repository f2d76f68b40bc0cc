"""Checks run at the entry of cfa() and measurement_invariance(), before any model is built.

Each one refuses an input that would otherwise give a silently wrong answer: a latent variable named like a data
column (lavaan refuses it too: "some latent variable names collide with observed variable names"), ordered
items holding non-integer values, and invariance levels out of order or with a level skipped (a "scalar" model
without equal loadings would be mislabelled).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import MAX_ABS_VALUE, check_label, label_list
from ..errors import DataError, ModelError
from .model_syntax import ParsedModel, parse_model

__all__ = ["check_cfa_input", "check_invariance_input", "LEVEL_ORDER"]

# measurement_invariance's levels in the order they add constraints (invariance.LEVEL_CONSTRAINTS)
LEVEL_ORDER = ("configural", "thresholds", "metric", "scalar", "strict", "means", "lv.variances", "lv.covariances")
_CHAIN = ("configural", "metric", "scalar")  # each needs the one before it ("thresholds" is optional)


def _latent_names(model) -> tuple[list[str], ParsedModel]:
    parsed = model if isinstance(model, ParsedModel) else parse_model(model)
    return list(dict.fromkeys(term.lhs for term in parsed.terms if term.op == "=~")), parsed


def _check_ordered(data: pd.DataFrame, ordered, names: list[str]) -> None:
    """Ordered items must hold whole-number category codes (or be ordered categoricals)."""
    wanted = names if ordered is True else label_list(ordered, name="ordered")
    for name in wanted:
        if name not in data.columns or isinstance(data[name].dtype, pd.CategoricalDtype):
            continue
        column = data[name]
        if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            continue  # the engine names non-numeric ordered items
        values = column.to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(~np.isnan(values) & (values != np.round(values)))
        if len(bad):
            raise DataError(
                f"ordered item {name!r} has the non-integer value {values[bad[0]]:g} (row "
                f"{column.index[bad[0]]!r}); ordered items hold whole-number category codes. Recode "
                "the answers or leave the item out of ordered=."
            )


def _check_group_labels(data: pd.DataFrame, group) -> None:
    """Refuse group labels that differ only in type (1 and "1"): shown alike, fitted as two groups."""
    if group is None or group not in data.columns or not data.columns.is_unique:
        return
    texts = [str(label) for label in pd.unique(data[group].dropna())]
    clashing = sorted({text for text in texts if texts.count(text) > 1})
    if clashing:
        raise DataError(
            f"group column {group!r} holds labels that differ only in type ({clashing[0]!r} as a "
            "number and as text); make the column one type, e.g. data[group].astype(str)."
        )


def _check_values(data: pd.DataFrame, names: list[str], missing: str) -> dict[str, np.ndarray]:
    """Refuse infinite values and data without a usable row (listwise: complete; FIML, pairwise: any answer).
    Returns the numeric columns' values it read (each column is read once: a read costs ~30 us in pandas 3)."""
    columns = {name: data[name] for name in names}
    numeric = [name for name, column in columns.items() if pd.api.types.is_numeric_dtype(column.dtype)]
    if not numeric:
        return {}
    read = {name: columns[name].to_numpy(dtype=float, na_value=np.nan) for name in numeric}
    values = np.column_stack(list(read.values()))
    infinite = np.argwhere(np.abs(values) > MAX_ABS_VALUE)  # infinities too; NaN (missing) compares False
    if len(infinite):
        i, j = infinite[0]
        raise DataError(
            f"data column {numeric[j]!r} has the value {values[i, j]} in row {data.index[i]!r}; the "
            f"model's variables must be finite numbers of at most {MAX_ABS_VALUE:g} in size: recode it "
            "or set it to NaN (missing)."
        )
    answered = ~np.isnan(values)
    partial = missing != "listwise"  # FIML and pairwise use every row with an answer
    usable = answered.any(axis=1) if partial else answered.all(axis=1)
    if len(numeric) == len(names) and not usable.any():
        kind = "answered any" if partial else "answered all"
        raise DataError(f"no row of the data {kind} of the model's variables {names}; nothing can be fitted.")
    return read


def _named_twice(columns: pd.Index, name) -> bool:
    """Whether ``name`` finds more than one column (pandas also finds NaT columns by the text 'NaT')."""
    return name in columns and not isinstance(columns.get_loc(name), (int, np.integer))


def check_cfa_input(model, data, ordered=None, group=None, missing="listwise") -> dict[str, np.ndarray]:
    """Refuse duplicated columns, a latent variable named like a data column, group labels 1 and "1",
    infinite values, data without a usable row and non-integer ordered items. Returns the float values of the
    model's numeric observed columns read for the checks, for the data preparation to reuse."""
    if not isinstance(data, pd.DataFrame) or not isinstance(model, (str, ParsedModel)):
        return {}
    if group is not None:
        check_label(group, name="group")
    latent, parsed = _latent_names(model)
    used = {name for term in parsed.terms for name in (term.lhs, term.rhs)} | {group}
    # is_unique is cached by pandas: the used names are looked up only when some column is repeated
    duplicated = (
        []
        if data.columns.is_unique
        else [name for name in used if name is not None and _named_twice(data.columns, name)]
    )
    if duplicated:
        raise DataError(f"data has column {duplicated[0]!r} more than once; rename or drop the copies.")
    _check_group_labels(data, group)
    observed = [
        name
        for name in dict.fromkeys(n for term in parsed.terms for n in (term.lhs, term.rhs))
        if name in data.columns and name not in latent
    ]
    read = _check_values(data, observed, missing)
    shadowing = [name for name in latent if name in data.columns]
    if shadowing:
        raise ModelError(
            f"the latent variable {shadowing[0]!r} has the name of a data column, so the factor would "
            "shadow the column (lavaan refuses this too); rename the factor, e.g. "
            f"'{shadowing[0]}_f =~ ...'."
        )
    if ordered is not None and ordered is not False:
        _check_ordered(data, ordered, observed)
    return read


def _check_levels(levels) -> None:
    if isinstance(levels, str):
        raise ModelError(f"levels must be a sequence of level names such as ('configural', 'metric'); got {levels!r}.")
    levels = label_list(levels, name="levels", error=ModelError)
    unknown = [level for level in levels if level not in LEVEL_ORDER]
    if unknown:
        raise ModelError(f"unknown invariance level {unknown[0]!r}; choose from {', '.join(LEVEL_ORDER)}")
    positions = [LEVEL_ORDER.index(level) for level in levels]
    if not levels or positions != sorted(set(positions)):
        raise ModelError(
            f"levels {levels} must be distinct and in the order {', '.join(LEVEL_ORDER)}: each level "
            "adds constraints to the one before it."
        )
    skipped = [level for level in _CHAIN if LEVEL_ORDER.index(level) <= max(positions) and level not in levels]
    if skipped:
        raise ModelError(
            f"levels {levels} skip {skipped[0]!r}: a later level would be fitted without its "
            f"constraints and mislabelled. Start with 'configural' and include {skipped[0]!r}."
        )


def check_invariance_input(model, data, levels, ordered=None, group=None, missing="listwise") -> None:
    """The checks of :func:`check_cfa_input` plus levels that form an ordered ladder without gaps."""
    _check_levels(levels)
    check_cfa_input(model, data, ordered, group, missing)
