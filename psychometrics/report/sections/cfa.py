"""Confirmatory factor analysis of the spec's model (default: one factor per scale), pooled and per group."""

from __future__ import annotations

import pandas as pd

from ... import sem
from ..formatting import fmt, fmt_bounded, interpret_fit
from ..tables import make_table
from ._base import PerGroupSection, Rendered
from ._fit import ROBUST_NOTE, fit_display, fit_row, is_robust
from ._models import estimation, model_columns, model_of

__all__ = ["CfaSection"]


class CfaSection(PerGroupSection):
    type, title = "cfa", "Confirmatory factor analysis"

    def compute(self, ctx, opts, unit):
        data = ctx.subset(unit)
        model = model_of(ctx, opts)
        fit = sem.cfa(model, data[model_columns(model, data)], std_lv=opts.get("std_lv", False), **estimation(opts))
        return {"fit_measures": dict(fit.fit_measures), "estimates": fit.estimates, "converged": fit.converged,
                "n_obs": fit.n_obs}

    def render(self, ctx, opts, results):
        out = Rendered()
        frame = pd.DataFrame({unit: fit_row(p["fit_measures"], p["n_obs"]) for unit, p in results.items()}).T
        out.tables.append(make_table("cfa_fit", "CFA fit", frame, display=fit_display(frame),
                                     note="Good fit: CFI >= .95, RMSEA <= .06, SRMR <= .08 (Hu & Bentler 1999)." +
                                          (ROBUST_NOTE if any(is_robust(p["fit_measures"]) for p in results.values())
                                           else "")))
        for unit, row in frame.iterrows():
            out.text.append(f"{unit}: chi2({fmt(int(row['df']), 0)}) = {fmt(row['chisq'])}, CFI "
                            f"{fmt_bounded(row['cfi'], 3)}, RMSEA {fmt_bounded(row['rmsea'], 3)}: "
                            f"{interpret_fit(row['cfi'], row['rmsea'], row['srmr'])} fit.")
        verdicts = [interpret_fit(r["cfi"], r["rmsea"], r["srmr"]) for _, r in frame.iterrows()]
        per_group = ", ".join(f"{v} {verdicts[1:].count(v)}" for v in dict.fromkeys(verdicts[1:]))
        out.summary = out.text[0] + (f" Per group: {per_group}." if len(verdicts) > 1 else "")
        if "pooled" in results:
            estimates = results["pooled"]["estimates"]
            loadings = estimates.loc[estimates["op"] == "=~",
                                     ["lhs", "rhs", "est", "se", "pvalue", "std_all"]].reset_index(drop=True)
            out.tables.append(make_table("cfa_loadings", "CFA loadings (pooled)", loadings,
                                         note="std_all: completely standardised loading."))
        return out
