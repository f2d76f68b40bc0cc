"""Report tables: the numbers (written to tables/*.csv) and their APA-formatted display (HTML, Markdown)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from .formatting import fmt, fmt_bounded, fmt_p, label, yes_no

__all__ = ["Table", "apa_frame", "labelled", "make_table"]

_P_COLUMN = re.compile(r"(^p$|pvalue|p_value|p_adjusted|^p_)", re.IGNORECASE)
_COUNT_COLUMN = re.compile(
    r"(^n$|^n_|^df|^dof|_dof$|_df$|df1|df2|npar|count|^k$|n_items|n_obs|satisfied|total)", re.IGNORECASE
)
_UNBOUNDED = re.compile(r"(chisq|chi2|statistic|^f$|aic|bic|logl|sd|^t$|^z$|se$|^est$|eigen)", re.IGNORECASE)
_THREE_DECIMALS = re.compile(r"(eta|cfi|tli|rmsea|srmr)", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Table:
    """One report table: ``numbers`` for the CSV file, ``display`` (strings) for the reader."""

    name: str
    title: str
    numbers: pd.DataFrame
    display: pd.DataFrame
    note: str = ""
    collapsed: bool = False  # detail (e.g. one site of several): shown folded in the HTML report


def _format_column(name: str, values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or values.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return values.map(yes_no)
    if not pd.api.types.is_numeric_dtype(values):
        return values.map(lambda v: "\u2014" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    numbers = values.astype(float)
    if _P_COLUMN.search(name):
        return numbers.map(fmt_p)
    if _COUNT_COLUMN.search(name) and np.allclose(numbers.dropna() % 1, 0):
        return numbers.map(lambda v: fmt(int(v), 0) if np.isfinite(v) else fmt(None))
    decimals = 3 if _THREE_DECIMALS.search(name) else 2
    if _UNBOUNDED.search(name) or (numbers.abs() > 1.000001).any():
        return numbers.map(lambda v: fmt(v, decimals))
    return numbers.map(lambda v: fmt_bounded(v, decimals))


def apa_frame(frame: pd.DataFrame, formats: dict | None = None) -> pd.DataFrame:
    """Format every column by its kind (p-values, counts, bounded statistics, others); ``formats`` overrides
    a column with a function of the value."""
    formats = formats or {}
    shown = {}
    frame = frame.copy()
    if isinstance(frame.index, pd.MultiIndex) or any(isinstance(i, tuple) for i in frame.index):
        frame.index = [" | ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in frame.index]
    for column in frame.columns:
        if column in formats:
            shown[column] = frame[column].map(formats[column])
        else:
            shown[column] = _format_column(str(column), frame[column])
    return pd.DataFrame(shown, index=frame.index)


def labelled(display: pd.DataFrame, name=label) -> pd.DataFrame:
    """A display frame with its column names, index name and (text) index values in words (``name``)."""
    shown = display.copy()
    shown.columns = [name(c) for c in shown.columns]
    if not isinstance(shown.index, pd.RangeIndex):
        shown.index = pd.Index(
            [name(i) if isinstance(i, str) else i for i in shown.index],
            name=name(shown.index.name) if shown.index.name else None,
        )
    return shown


def make_table(
    name: str,
    title: str,
    numbers: pd.DataFrame,
    *,
    display: pd.DataFrame | None = None,
    formats: dict | None = None,
    note: str = "",
    collapsed: bool = False,
    label=label,
) -> Table:
    """A Table whose display is ``display`` or the APA formatting of ``numbers``, its names in words (``label``:
    e.g. a Context's, which knows the scales' labels and the reverse-keyed items); ``collapsed`` folds it.
    ``numbers`` (the CSV file) keep the identifiers of results.json."""
    shown = display if display is not None else apa_frame(numbers, formats)
    return Table(name, title, numbers, labelled(shown, label), note, collapsed)
