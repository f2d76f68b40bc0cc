"""Intraclass correlations (Shrout & Fleiss 1979) of the spec's columns."""

from __future__ import annotations

import pandas as pd

from ... import reliability
from ..formatting import fmt_bounded, fmt_ci, interpret_icc
from ..tables import make_table
from ._base import Rendered, Section, frame_of

__all__ = ["IccSection"]


class IccSection(Section):
    type, title = "icc", "Intraclass correlations"
    cutoffs = (("ICC", ">= .90 excellent, >= .75 good, >= .50 moderate", "Koo & Li (2016)"),)

    def compute(self, ctx, opts, unit):
        return {"icc": reliability.icc(ctx.scored[_columns(ctx, opts)], confidence=opts.get("confidence", 0.95))}

    def render(self, ctx, opts, results):
        table = frame_of(results["pooled"]["icc"])
        n = f"n = {len(ctx.scored)} targets rated by {len(_columns(ctx, opts))} raters"
        out = Rendered(
            [make_table("icc", "Intraclass correlations (Shrout & Fleiss 1979)", table, label=ctx.label, note=f"{n}.")]
        )
        for form, row in table.iterrows():
            out.text.append(
                f"{form}: ICC {fmt_bounded(row['icc'])} {fmt_ci(row['ci_low'], row['ci_high'])}: "
                f"{interpret_icc(row['icc'])} ({row.get('description', '')})."
            )
        return out

    def methods(self, ctx, opts, results):
        return [
            f"Intraclass correlations: the six forms of Shrout & Fleiss (1979) with "
            f"{int(round(100 * opts.get('confidence', 0.95)))}% confidence intervals (psych::ICC)."
        ]


def _columns(ctx, opts) -> list:
    """The raters: the spec's columns, or every numeric column."""
    return opts.get("columns") or [c for c in ctx.data.columns if pd.api.types.is_numeric_dtype(ctx.data[c])]
