"""Criterion validity: correlations of the scale scores with a criterion column."""

from __future__ import annotations

from ... import validity
from ..formatting import fmt, fmt_bounded, fmt_ci, p_phrase
from ..tables import make_table
from ._base import Rendered, Section, frame_of, n_range, scores_against

__all__ = ["CriterionSection"]


class CriterionSection(Section):
    type, title = "criterion", "Criterion validity"

    def compute(self, ctx, opts, unit):
        criterion = opts.get("criterion") or (ctx.criteria[0] if ctx.criteria else None)
        scores, values = scores_against(ctx, criterion, "criterion validity")
        return {"criterion": criterion, "result": validity.criterion_validity(scores, values)}

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        table = frame_of(payload["result"])
        out = Rendered(
            [
                make_table(
                    "criterion",
                    f"Correlations with {ctx.label(payload['criterion'])}",
                    table,
                    label=ctx.label,
                    note=f"{n_range(table['n'])} (pairwise complete).",
                )
            ]
        )
        for scale, row in table.iterrows():
            interval = fmt_ci(row["ci_low"], row["ci_high"])
            out.text.append(
                f"{ctx.label(scale)}: r = {fmt_bounded(row['r'])} {interval} with "
                f"{ctx.label(payload['criterion'])}, p {p_phrase(row['pvalue'])} (n = {fmt(row['n'], 0)})."
            )
        return out

    def methods(self, ctx, opts, results):
        return [
            f"Criterion validity: Pearson correlations of the scale scores with "
            f"{ctx.label(results['pooled']['criterion'])}, Fisher-z confidence intervals (stats::cor.test), "
            "pairwise complete."
        ]
