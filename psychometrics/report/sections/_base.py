"""What every section shares: the Section protocol, what a section shows (Rendered) and small payload helpers."""

from __future__ import annotations

import dataclasses

import pandas as pd

from ...errors import DataError
from ..tables import Table, apa_frame, make_table

__all__ = [
    "Section",
    "PerGroupSection",
    "Rendered",
    "value_of",
    "frame_of",
    "answered",
    "factor_input",
    "factor_n",
    "scores_against",
    "generic_tables",
    "n_range",
    "unit_label",
]


@dataclasses.dataclass
class Rendered:
    """What a section shows: tables, figures (name, title, svg) and interpretation lines."""

    tables: list = dataclasses.field(default_factory=list)
    figures: list = dataclasses.field(default_factory=list)
    text: list = dataclasses.field(default_factory=list)
    summary: str = ""  # one line for the report's key findings (default: the first text line)

    @property
    def headline(self) -> str:
        return self.summary or (self.text[0] if self.text else "")


class Section:
    """One analysis type of a spec: one unit ("pooled") by default, no output.

    A section lists its units, computes one unit from the checked Context (a pure function of its inputs: units
    run in any order, in other processes, with the same results) and renders the units that succeeded.
    """

    type = ""
    title = ""
    # (criterion, cut-off, reference) rows of the Methods section's table of cut-offs
    cutoffs: tuple = ()

    def units(self, ctx, opts) -> list[str]:
        return ["pooled"]

    def methods(self, ctx, opts, results: dict) -> list[str]:
        """Sentences of the Methods section: what was estimated how, on how many respondents, and the
        equivalent R call."""
        return []

    def compute(self, ctx, opts, unit: str) -> dict:
        raise NotImplementedError

    def render(self, ctx, opts, results: dict) -> Rendered:
        return Rendered()


class PerGroupSection(Section):
    """A section computed pooled and, with ``per_group`` (default ``per_group_default``), for every group."""

    per_group_default = False

    def units(self, ctx, opts) -> list[str]:
        per_group = opts.get("per_group", self.per_group_default)
        return ["pooled", *ctx.groups] if per_group and ctx.group else ["pooled"]


def value_of(obj, name, default=None):
    """A field of a result object or a key of a mapping."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def frame_of(obj) -> pd.DataFrame | None:
    """The table of a result (its ``to_frame()``) or the frame itself; None for anything else."""
    if isinstance(obj, pd.DataFrame):
        return obj
    if hasattr(obj, "to_frame"):
        frame = obj.to_frame()
        return frame if isinstance(frame, pd.DataFrame) else None
    return None


def answered(data: pd.DataFrame, items: list) -> pd.DataFrame:
    """The items of one scale, without the respondents who answered none of them (they say nothing about it)."""
    return data[items].dropna(how="all")


def factor_input(ctx, opts):
    """(data or correlation matrix, n_obs) of the factor-analytic sections."""
    columns = opts.get("columns") or ctx.items or list(ctx.data.columns)
    if ctx.is_correlation_matrix:
        return ctx.data.loc[columns, columns], ctx.n_obs
    return ctx.scored[columns], None


def factor_n(ctx, opts) -> int:
    """The respondents of a factor-analytic section (the stated n of a correlation matrix)."""
    return ctx.n_obs if ctx.is_correlation_matrix else len(factor_input(ctx, opts)[0])


def scores_against(ctx, column, what: str) -> tuple[pd.DataFrame, pd.Series]:
    """The scale scores and the column they are compared with (a criterion or a grouping)."""
    if column is None or column not in ctx.scored.columns:
        raise DataError(
            f"{what}: the data have no column {column!r}; name one in the spec (criterion: / by:) or in the instrument."
        )
    unscored = [scale for scale in ctx.scales if scale not in ctx.scored.columns]
    if unscored:
        raise DataError(
            f"{what}: no scale scores for {unscored} (a correlation matrix has none); compare raw answers instead."
        )
    return ctx.scored[list(ctx.scales)], ctx.scored[column]


def n_range(values) -> str:
    """Sample sizes in words: "n = 423" or "n = 50 to 99"."""
    values = [int(v) for v in values if pd.notna(v)]
    if not values:
        return "n unknown"
    low, high = min(values), max(values)
    return f"n = {low}" if low == high else f"n = {low} to {high}"


def unit_label(ctx, unit: str) -> str:
    """A unit as the reader sees it: "pooled", a site label or a scale's label."""
    return unit if unit == "pooled" or unit in ctx.groups else ctx.label(unit)


def _in_words(frame: pd.DataFrame, label) -> pd.DataFrame:
    """A frame with its row labels (every level) and text cells through ``label``."""
    shown = frame.rename(index=lambda v: label(v) if isinstance(v, str) else v)
    text = [c for c in shown.columns if pd.api.types.is_string_dtype(shown[c]) or shown[c].dtype == object]
    return shown.assign(**{str(c): shown[c].map(lambda v: label(v) if isinstance(v, str) else v) for c in text})


def generic_tables(prefix: str, title: str, payload: dict, label=None, note: str = "") -> list[Table]:
    """Every table-like value of a payload as a report table (``label``: names in words)."""
    tables = []
    for key, value in payload.items():
        frame = frame_of(value)
        if frame is None and isinstance(value, pd.Series):
            frame = value.to_frame(key)
        if frame is not None:
            numbers = frame.select_dtypes(include=["number", "bool"]).astype(float)
            if numbers.shape[1]:
                name = label or (lambda v: str(v).replace("_", " "))
                words = {"display": apa_frame(_in_words(frame, label)), "label": label} if label else {}
                tables.append(make_table(f"{prefix}_{key}", f"{title}: {name(key)}", frame, note=note, **words))
    return tables
