"""Input checks shared by every module.

Each check raises a :class:`~psychometrics.errors.DataError` that names the offending row, column and value and
says how to fix it. No check modifies the caller's object: they work on copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy import special

from ._typing import DataOrCorr
from .errors import DataError, PsychometricsError

T = TypeVar("T")

__all__ = [
    "as_item_frame",
    "as_correlation_matrix",
    "looks_like_correlation_matrix",
    "check_n_obs",
    "check_choice",
    "check_confidence",
    "z_critical",
    "first_non_numeric",
    "float_values",
    "answered_rows",
    "numeric_cells",
    "check_count",
    "check_nonnegative",
    "check_column_labels",
    "check_label",
    "label_list",
    "label_position",
    "cut",
    "MAX_ABS_VALUE",
    "MAX_FACTORS",
]


MAX_FACTORS = 100  # factors of an EFA or omega: the spec schema has the same bound
MAX_ABS_VALUE = 1e100  # larger answers make sums of squares overflow: refused with the cell named


def _is_number_dtype(dtype: Any) -> bool:
    return pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)


def first_non_numeric(frame: pd.DataFrame) -> tuple[object, object, object] | None:
    """(row label, column, value) of the first cell that is not a number or missing, else None."""
    for position, (column, dtype) in enumerate(frame.dtypes.items()):
        if _is_number_dtype(dtype):
            continue
        series = frame.iloc[:, position]
        coerced = pd.to_numeric(series, errors="coerce")
        bad = coerced.isna() & series.notna()
        if bad.any():
            row = bad.idxmax()
            return row, column, series.loc[row]
    return None


def float_values(frame: pd.DataFrame) -> np.ndarray:
    """A new float64 array of ``frame``'s cells, NaN where missing (check :func:`first_non_numeric` first).

    Numeric and boolean columns (nullable ones too) convert in one call; only other columns (text holding
    numbers, ...) go through ``pd.to_numeric`` column by column, which is 100x slower.
    """
    if all(_is_number_dtype(dtype) for dtype in frame.dtypes):
        return _float_copy(frame)
    return _float_copy(frame.apply(pd.to_numeric, errors="coerce"))


def _float_copy(frame: pd.DataFrame) -> np.ndarray:
    return frame.to_numpy(dtype=float, na_value=np.nan, copy=True)


def _numpy_number_columns(dtypes: pd.Series) -> bool:
    """True when every column has a numpy bool, integer or float dtype: no cell can be refused (no text,
    datetime, complex, nullable or categorical column), so nothing is read cell by cell."""
    return all(isinstance(dtype, np.dtype) and dtype.kind in "biuf" for dtype in dtypes)


def check_column_labels(frame: pd.DataFrame, name: str) -> None:
    """Refuse MultiIndex and duplicated column names (an analysis would silently use both copies)."""
    if isinstance(frame.columns, pd.MultiIndex):
        raise DataError(
            f"{name} has MultiIndex (several-level) columns such as {frame.columns[0]!r}; flatten "
            "them to one name per item first, e.g. data.columns = ['_'.join(map(str, c)) for c in "
            "data.columns]."
        )
    if frame.columns.is_unique:  # the usual case; selecting the copies costs more than the whole check
        return
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise DataError(
            f"{name} has column {duplicated[0]!r} more than once; each item needs its own column "
            "name: rename or drop the copies."
        )


def _is_refused_dtype(dtype: Any) -> bool:
    """Datetime, duration, complex and period columns are not answers, whatever number they convert to."""
    return isinstance(dtype, (pd.DatetimeTZDtype, pd.PeriodDtype)) or getattr(dtype, "kind", "") in "mMc"


def _is_refused_kind(value: object) -> bool:
    """Datetimes, durations, complex numbers and periods are not answers, whatever number they convert to."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and _is_refused_dtype(dtype):
        return True
    return isinstance(
        value, (complex, np.complexfloating, np.datetime64, np.timedelta64, pd.Timestamp, pd.Timedelta, pd.Period)
    )


def _check_cell_kinds(frame: pd.DataFrame, name: str) -> None:
    """Refuse datetime, duration and complex columns (or such values in text columns) as items. Only text
    (object) columns are read cell by cell; the others are judged by their dtype."""
    for position, (column, dtype) in enumerate(frame.dtypes.items()):
        if _is_refused_dtype(dtype):
            raise DataError(
                f"{name} column {column!r} holds {dtype} values, not answers; drop it from the "
                "items or convert it to numbers deliberately."
            )
        if pd.api.types.is_object_dtype(dtype):
            series = frame.iloc[:, position]
            bad = series.map(_is_refused_kind)
            if bad.any():
                row = bad.idxmax()
                value = series.loc[row]
                raise DataError(
                    f"{name} has the value {cut(repr(value), 80)} ({type(value).__name__}) in column "
                    f"{column!r}, row {row!r}; items hold numbers only."
                )


def _check_finite(values: np.ndarray, frame: pd.DataFrame, name: str) -> None:
    """Refuse infinite values and values so large that their squares overflow (sums of squares would be inf).

    The columns' NaN-skipping extremes find the offending columns without a full-size temporary (a million rows
    x 100 items would need two more copies of the data); only those columns are searched for the first cell.
    """
    if not values.size:
        return
    lowest, highest = np.fmin.reduce(values, axis=0), np.fmax.reduce(values, axis=0)
    columns = np.flatnonzero((np.abs(lowest) > MAX_ABS_VALUE) | (np.abs(highest) > MAX_ABS_VALUE))
    if columns.size:
        bad = np.abs(np.nan_to_num(values[:, columns])) > MAX_ABS_VALUE  # inf becomes the largest float
        i, first = np.argwhere(bad)[0]
        j = columns[first]
        raise DataError(
            f"{name} has the value {values[i, j]!r} in column {frame.columns[j]!r}, row "
            f"{frame.index[i]!r}; items must be finite numbers of at most {MAX_ABS_VALUE:g} in size: "
            "recode it or set it to NaN (missing)."
        )


def numeric_cells(data: pd.DataFrame, name: str = "data") -> np.ndarray:
    """A float64 copy of ``data``'s cells after checking column names, kinds and values (NaN where missing).

    Raises DataError for MultiIndex or duplicated columns, datetime/complex columns, a non-numeric cell and an
    infinite or overflowing value, naming the row, column and value.
    """
    check_column_labels(data, name)
    if _numpy_number_columns(data.dtypes):  # the column checks below would all pass: skip their per-column cost
        values = _float_copy(data)
    else:
        _check_cell_kinds(data, name)
        bad = first_non_numeric(data)
        if bad is not None:
            row, column, value = bad
            raise DataError(
                f"{name} has a non-numeric value {cut(repr(value), 80)} in column {column!r}, row {row!r}. "
                "Recode it as a number or set it to NaN (missing) before the analysis."
            )
        values = float_values(data)
    _check_finite(values, data, name)
    return values


def _check_items_vary(values: np.ndarray, columns: pd.Index, name: str) -> None:
    """Raise a DataError for the first column with no observed value or only one distinct value."""
    observed = ~np.isnan(values)
    empty = ~observed.any(axis=0)
    lowest, highest = np.fmin.reduce(values, axis=0), np.fmax.reduce(values, axis=0)  # NaN-skipping, no copy
    bad = np.flatnonzero(empty | (lowest == highest))
    if not bad.size:
        return
    j = bad[0]
    if empty[j]:
        raise DataError(f"{name} column {columns[j]!r} has no observed values; drop the item.")
    first = values[observed[:, j].argmax(), j]
    raise DataError(
        f"{name} column {columns[j]!r} is constant (every answer is {first!r}); "
        "a constant item has no variance: drop it."
    )


def as_item_frame(
    data: Any,
    *,
    min_items: int = 2,
    min_obs: int = 3,
    name: str = "data",
    drop_empty_rows: bool = False,
) -> pd.DataFrame:
    """Return a float copy of ``data`` (respondents x items) after checking it.

    Raises DataError for: not tabular, fewer than ``min_items`` columns, a non-numeric cell (naming row, column
    and value), a constant or empty item, rows with every item missing (unless ``drop_empty_rows``), fewer than
    ``min_obs`` usable rows.
    """
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        try:
            data = pd.DataFrame(np.asarray(data))
        except Exception as exc:  # noqa: BLE001 - re-raised as a clear error
            raise DataError(
                f"{name} must be a pandas DataFrame of respondents x items; got {type(data).__name__}"
            ) from exc
    if data.shape[1] < min_items:
        raise DataError(
            f"{name} has {data.shape[1]} column(s); at least {min_items} items are needed. "
            "Pass a DataFrame with one column per item."
        )
    values, index = numeric_cells(data, name), data.index
    empty_rows = np.isnan(values).all(axis=1)
    if empty_rows.any():
        if not drop_empty_rows:
            rows = list(index[empty_rows][:10])
            raise DataError(
                f"{name} has {int(empty_rows.sum())} row(s) with every item missing (rows {rows}). "
                "Drop them before the analysis."
            )
        values, index = values[~empty_rows], index[~empty_rows]
    if len(values) < min_obs:
        raise DataError(f"{name} has {len(values)} usable row(s); at least {min_obs} respondents are needed.")
    _check_items_vary(values, data.columns, name)
    return pd.DataFrame(values, index=index, columns=data.columns, copy=False)


def looks_like_correlation_matrix(data: Any) -> bool:
    """True when ``data`` is a numeric, square, symmetric matrix with a unit diagonal and |r| <= 1.

    Used by functions that take either respondents x items data or a correlation matrix; text cells or values
    outside [-1, 1] mean data, never a correlation matrix.
    """
    raw = data.to_numpy() if isinstance(data, pd.DataFrame) else data
    if np.iscomplexobj(raw):  # complex cells are refused as data later, never read as correlations
        return False
    try:
        values = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        return False
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] < 2:
        return False
    if np.isnan(values).any() or np.any(np.abs(values) > 1 + 1e-8):
        return False
    return bool(np.allclose(values, values.T, atol=1e-8) and np.allclose(np.diag(values), 1.0, atol=1e-8))


def as_correlation_matrix(
    corr: DataOrCorr, *, name: str = "correlation matrix", require_pd: bool = True
) -> pd.DataFrame:
    """Return a labelled float copy of a correlation matrix after checking symmetry, diagonal and definiteness."""
    frame = corr.copy() if isinstance(corr, pd.DataFrame) else pd.DataFrame(np.asarray(corr, dtype=float))
    values = frame.to_numpy(dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise DataError(f"{name} must be square; got shape {values.shape}.")
    if np.isnan(values).any():
        i, j = np.argwhere(np.isnan(values))[0]
        raise DataError(f"{name} has a missing value at ({frame.index[i]!r}, {frame.columns[j]!r}).")
    if not np.allclose(values, values.T, atol=1e-6):
        i, j = np.unravel_index(np.argmax(np.abs(values - values.T)), values.shape)
        raise DataError(
            f"{name} is not symmetric: [{frame.index[i]!r}, {frame.columns[j]!r}] = {values[i, j]} but "
            f"[{frame.index[j]!r}, {frame.columns[i]!r}] = {values[j, i]}."
        )
    if not np.allclose(np.diag(values), 1.0, atol=1e-6):
        k = int(np.argmax(np.abs(np.diag(values) - 1)))
        raise DataError(
            f"{name} has {values[k, k]} on the diagonal for {frame.index[k]!r}; a correlation matrix has 1."
        )
    if require_pd:
        check_positive_definite(values, name)
    frame = pd.DataFrame(values, index=frame.index, columns=frame.columns)
    if list(frame.index) != list(frame.columns):
        frame.index = frame.columns
    return frame


def check_positive_definite(values: np.ndarray, name: str = "correlation matrix") -> None:
    """Raise a DataError unless the symmetric matrix ``values`` is positive definite (smallest eigenvalue > 1e-10)."""
    smallest = float(np.linalg.eigvalsh(values).min())
    if smallest <= 1e-10:
        raise DataError(
            f"{name} is not positive definite (smallest eigenvalue {smallest:.3g}); remove redundant "
            "variables or smooth the matrix."
        )


def check_n_obs(n_obs: Any, *, what: str) -> int:
    """Check that ``n_obs`` is a positive whole number; ``what`` names the statistic that needs it."""
    if n_obs is None:
        raise DataError(f"{what} needs the number of observations: pass n_obs=... with a correlation matrix.")
    if not float(n_obs).is_integer() or n_obs < 2:
        raise DataError(f"n_obs must be a whole number of at least 2; got {n_obs!r}.")
    return int(n_obs)


def check_choice(value: T, choices: Iterable, *, name: str) -> T:
    """Raise a DataError naming the allowed values unless ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise DataError(f"{name}={value!r} is not supported; choose one of {', '.join(map(repr, choices))}.")
    return value


def check_confidence(confidence: Any) -> float:
    """The coverage of an interval, checked to lie strictly between 0 and 1."""
    if not isinstance(confidence, (int, float, np.floating)) or not 0 < confidence < 1:
        raise DataError(f"confidence={confidence!r} must lie strictly between 0 and 1, e.g. 0.95.")
    return float(confidence)


def z_critical(confidence: float) -> float:
    """Two-sided standard-normal critical value of an interval with coverage ``confidence``."""
    return float(special.ndtri(1 - (1 - confidence) / 2))  # = stats.norm.ppf (ndtri), without its per-call overhead


def cut(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters (error messages never echo a whole huge value)."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def check_count(value: Any, *, name: str, minimum: int, maximum: int) -> int:
    """``value`` as an int after checking it is a whole number in [minimum, maximum] (not a bool or text).

    The upper bounds keep a typo (n_boot=1e9) from running for days or asking for terabytes of memory.
    """
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not number or not np.isfinite(value) or not float(value).is_integer() or not minimum <= value <= maximum:
        raise DataError(
            f"{name} must be a whole number of at least {minimum} and at most {maximum}; got {cut(repr(value), 40)}."
        )
    return int(value)


def check_nonnegative(value: Any, *, name: str) -> float:
    """``value`` as a float after checking it is a finite number >= 0."""
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not number or not np.isfinite(value) or value < 0:
        raise DataError(f"{name} must be a finite number of at least 0; got {cut(repr(value), 40)}.")
    return float(value)


def check_label(value: T, *, name: str, error: type[PsychometricsError] = DataError) -> T:
    """``value`` after checking it can be a label (of a column, group, item, ...): hashable and not ``pd.NA``,
    whose comparisons have no truth value (a list, Series or set as a label made pandas raise TypeError)."""
    if value is pd.NA or not pd.api.types.is_hashable(value):
        raise error(
            f"{name} holds {cut(repr(value), 80)} ({type(value).__name__}), which cannot be a label; pass a "
            "label such as 'a1' (a list of labels where several are allowed)."
        )
    return value


def label_list(value: Any, *, name: str, error: type[PsychometricsError] = DataError) -> list:
    """One label (text or any other single value) or an iterable of labels as a list, each checked by
    :func:`check_label`."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        value = [value]
    return [check_label(label, name=name, error=error) for label in value]


def label_position(label: Any, labels: list) -> int | None:
    """Where ``label`` stands in ``labels`` (None if nowhere), matching labels of the same kind only: ``True == 1``
    in Python, so a boolean would otherwise name column 1 (and pandas reads ``frame[[True]]`` as a mask)."""
    if not pd.api.types.is_scalar(label):
        return None
    is_bool = isinstance(label, (bool, np.bool_))
    for position, item in enumerate(labels):
        if item is label:
            return position
        if item is pd.NA or label is pd.NA or isinstance(item, (bool, np.bool_)) != is_bool:  # NA == x: no truth value
            continue
        if label == item:
            return position
    return None


def answered_rows(data: Any, *, min_items: int = 2, min_obs: int = 3, name: str = "data") -> tuple[pd.DataFrame, int]:
    """:func:`as_item_frame` without the rows that answer none of the items, and how many rows were dropped.

    A respondent who skipped every analysed item carries no information on them; R (psych) leaves such rows out
    of every pairwise statistic, so they are dropped rather than fatal. An item with no answer at all is still
    a DataError.
    """
    n_rows = len(data) if hasattr(data, "__len__") else 0
    frame = as_item_frame(data, min_items=min_items, min_obs=min_obs, name=name, drop_empty_rows=True)
    return frame, max(n_rows - len(frame), 0)
