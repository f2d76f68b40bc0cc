"""Canonical JSON of analysis results: byte-identical for the same inputs.

Floats are rounded to 10 significant digits (so that the last bits of a BLAS call never show), ``-0.0`` becomes
``0.0``, NaN and infinities become ``null``, keys are sorted, and DataFrames become ``{row label: {column:
value}}`` so that every statistic has a readable JSON path (``sections.cfa.units.pooled.fit_measures.chisq``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from .._results import Result, to_jsonable

__all__ = ["canonical", "dumps", "SIGNIFICANT_DIGITS"]

SIGNIFICANT_DIGITS = 10


def _round(value: float) -> float | None:
    if not math.isfinite(value):
        return None
    rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return rounded + 0.0  # -0.0 -> 0.0


def _row_keys(frame: pd.DataFrame) -> list[str]:
    """Readable keys of the rows: 'lhs op rhs' (+ '@group') for parameter tables, else the index labels."""
    if {"lhs", "op", "rhs"} <= set(frame.columns):
        keys = [f"{lhs} {op} {rhs}".strip() for lhs, op, rhs in zip(frame["lhs"], frame["op"], frame["rhs"])]
        if "group" in frame.columns and frame["group"].nunique() > 1:
            keys = [f"{key} @{group}" for key, group in zip(keys, frame["group"])]
        return keys
    return [
        " | ".join(str(to_jsonable(part)) for part in label) if isinstance(label, tuple) else str(to_jsonable(label))
        for label in frame.index
    ]


def _frame(frame: pd.DataFrame) -> Any:
    keys = _row_keys(frame)
    rows = [
        {str(to_jsonable(col)): canonical(value) for col, value in zip(frame.columns, values)}
        for values in frame.itertuples(index=False, name=None)
    ]
    if len(set(keys)) == len(keys):
        return dict(zip(keys, rows))
    return rows


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data with rounded floats and labelled table rows."""
    if isinstance(value, Result):
        return {
            f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value) if not f.name.startswith("_")
        }
    if isinstance(value, pd.DataFrame):
        return _frame(value)
    if isinstance(value, pd.Series):
        return {str(to_jsonable(k)): canonical(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(to_jsonable(k)): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [canonical(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return _round(float(value))
    return to_jsonable(value)


def dumps(value: Any) -> str:
    """Canonical JSON text (sorted keys, two-space indent, final newline)."""
    return json.dumps(canonical(value), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
