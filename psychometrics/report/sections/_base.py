"""What every section shares: the Section protocol, what a section shows (Rendered) and small payload helpers."""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..tables import Table, make_table

__all__ = ["Section", "PerGroupSection", "Rendered", "value_of", "frame_of", "answered", "factor_input",
           "scores_against", "generic_tables"]


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

    def units(self, ctx, opts) -> list[str]:
        return ["pooled"]

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


def scores_against(ctx, column, what: str) -> tuple[pd.DataFrame, pd.Series]:
    """The scale scores and the column they are compared with (a criterion or a grouping)."""
    if column is None or column not in ctx.scored.columns:
        raise ValueError(f"{what}: the data have no column {column!r}; name one in the spec "
                         "(criterion: / by:) or in the instrument.")
    return ctx.scored[list(ctx.scales)], ctx.scored[column]


def generic_tables(prefix: str, title: str, payload: dict) -> list[Table]:
    """Every table-like value of a payload as a report table."""
    tables = []
    for key, value in payload.items():
        frame = frame_of(value)
        if frame is None and isinstance(value, pd.Series):
            frame = value.to_frame(key)
        if frame is not None:
            numbers = frame.select_dtypes(include=["number", "bool"]).astype(float)
            if numbers.shape[1]:
                tables.append(make_table(f"{prefix}_{key}", f"{title}: {key.replace('_', ' ')}", frame))
    return tables
