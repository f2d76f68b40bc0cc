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

    def compute(self, ctx, opts, unit):
        columns = opts.get("columns") or [c for c in ctx.data.columns if pd.api.types.is_numeric_dtype(ctx.data[c])]
        return {"icc": reliability.icc(ctx.scored[columns], confidence=opts.get("confidence", 0.95))}

    def render(self, ctx, opts, results):
        table = frame_of(results["pooled"]["icc"])
        out = Rendered([make_table("icc", "Intraclass correlations (Shrout & Fleiss 1979)", table)])
        for form, row in table.iterrows():
            out.text.append(f"{form}: ICC {fmt_bounded(row['icc'])} {fmt_ci(row['ci_low'], row['ci_high'])}: "
                            f"{interpret_icc(row['icc'])} ({row.get('description', '')}).")
        return out
