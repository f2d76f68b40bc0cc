"""Base class of the frozen result objects every public function returns.

A result is a frozen dataclass with named fields. ``to_dict()`` gives a JSON-ready dict (numpy scalars become
Python numbers, arrays lists, DataFrames ``{"columns", "index", "data"}`` records via :func:`to_jsonable`);
tabular results also implement ``to_frame()``, which returns a copy. The conventions every result follows:
intervals are ``ci_low``/``ci_high`` columns in tables and a ``ci`` tuple ``(low, high)`` for a scalar, at the
``confidence`` the function was given; degrees of freedom are ``df``. In a notebook a result renders as HTML
(``_repr_html_``): its scalar fields in one table, then each table field.
"""

from __future__ import annotations

import dataclasses
import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandas.core.indexing import _iLocIndexer, _LocIndexer

__all__ = ["Result", "TableResult", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas values (recursively) into plain JSON-ready Python objects.

    NaN and infinities become ``None`` so that the output is strict JSON.
    """
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, pd.DataFrame):
        return {
            "index": [to_jsonable(i) for i in value.index],
            "columns": [to_jsonable(c) for c in value.columns],
            "data": [[to_jsonable(v) for v in row] for row in value.itertuples(index=False, name=None)],
        }
    if isinstance(value, pd.Series):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (int, str)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _short_text(value: Any) -> str:
    """A field's value as short text: floats to 4 decimals, long reprs cut at 200 characters."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.4f}"
    if isinstance(value, tuple) and value and all(isinstance(v, (float, np.floating)) for v in value):
        return "(" + ", ".join(f"{v:.4f}" for v in value) + ")"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


@dataclasses.dataclass(frozen=True, repr=False)
class Result:
    """Frozen result with named fields, ``to_dict()`` and a readable ``repr``."""

    def to_dict(self) -> dict[str, Any]:
        """All public fields as a JSON-ready dict."""
        return {name: to_jsonable(value) for name, value in self._public_fields()}

    def _public_fields(self) -> list[tuple[str, Any]]:
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if not f.name.startswith("_")]

    def _repr_fields(self) -> list[str]:
        lines = []
        for name, value in self._public_fields():
            if isinstance(value, (pd.DataFrame, pd.Series)):
                text = "\n    " + value.round(4).to_string().replace("\n", "\n    ")
            else:
                text = _short_text(value)
            lines.append(f"  {name}: {text}")
        return lines

    def _repr_html_(self) -> str:
        """HTML for notebooks: the scalar fields as a two-column table, then each table (rounded to 4 decimals)."""
        rows, tables = [], []
        for name, value in self._public_fields():
            if isinstance(value, pd.Series):
                value = value.to_frame()
            if isinstance(value, pd.DataFrame):
                tables.append(f"<p><b>{html.escape(name)}</b></p>" + value.round(4).to_html(border=0))
            else:
                rows.append(f"<tr><th>{html.escape(name)}</th><td>{html.escape(_short_text(value))}</td></tr>")
        title = f"<p><b>{html.escape(type(self).__name__)}</b></p>"
        return f"<div>{title}<table>{''.join(rows)}</table>{''.join(tables)}</div>"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(\n" + "\n".join(self._repr_fields()) + "\n)"

    def summary(self) -> str:
        """A readable multi-line summary (the ``repr``)."""
        return repr(self)


@dataclasses.dataclass(frozen=True, repr=False)
class TableResult(Result):
    """A result whose main content is one table (field ``table``).

    Besides the result-object interface (named fields, ``to_dict()``, ``to_frame()``), it answers the common
    DataFrame look-ups on that table, so ``res.loc["ICC2", "icc"]``, ``res["r_drop"]``, ``res.index`` and
    ``res.columns`` work as they would on the table the issue describes.
    """

    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """A copy of the table."""
        return self.table.copy()

    def __getitem__(self, key):
        return self.table[key]

    def __len__(self) -> int:
        return len(self.table)

    @property
    def loc(self) -> _LocIndexer:
        return self.table.loc

    @property
    def iloc(self) -> _iLocIndexer:
        return self.table.iloc

    @property
    def index(self) -> pd.Index:
        return self.table.index

    @property
    def columns(self) -> pd.Index:
        return self.table.columns

    @property
    def shape(self) -> tuple[int, int]:
        return self.table.shape
