"""Convergent and discriminant validity: HTMT, AVE, composite reliability and the Fornell-Larcker criterion."""

from __future__ import annotations

import numpy as np

from ... import sem, validity
from .. import figures
from ..formatting import fmt_bounded
from ._base import Rendered, Section, frame_of, generic_tables
from ._models import estimation, model_columns, model_of

__all__ = ["ValiditySection"]


class ValiditySection(Section):
    type, title = "validity", "Convergent and discriminant validity"

    def compute(self, ctx, opts, unit):
        model = model_of(ctx, opts)
        data = ctx.scored[model_columns(model, ctx.scored)]
        fit = sem.cfa(model, data, **estimation(opts))
        return {
            "htmt": validity.htmt(model if opts.get("model") else ctx.scales, data, htmt2=opts.get("htmt2", True)),
            "ave": validity.ave(fit),
            "composite_reliability": validity.composite_reliability(fit),
            "fornell_larcker": validity.fornell_larcker(fit),
        }

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        out = Rendered(generic_tables("validity", "Validity", payload))
        htmt = frame_of(payload["htmt"])
        if htmt is not None:
            values = htmt.to_numpy(dtype=float)
            upper = [(htmt.index[i], htmt.columns[j], values[i, j]) for i in range(len(htmt))
                     for j in range(len(htmt.columns)) if j > i and np.isfinite(values[i, j])]
            high = [f"{a}-{b} ({fmt_bounded(v)})" for a, b, v in upper if v >= 0.85]
            out.text.append("HTMT: every pair below .85: discriminant validity supported." if not high else
                            f"HTMT at or above .85 (discriminant validity questionable): {', '.join(high)}.")
            out.figures.append(("htmt", "HTMT heatmap", figures.heatmap(htmt, "HTMT", vmin=0, vmax=1)))
        return out
