"""The multitrait-multimethod matrix of scale scores and global ratings (Campbell & Fiske 1959)."""

from __future__ import annotations

from ... import validity
from .. import figures
from ..formatting import fmt, label, sentence
from ._base import Rendered, Section, frame_of, generic_tables

__all__ = ["MtmmSection"]


class MtmmSection(Section):
    type, title = "mtmm", "Multitrait-multimethod matrix (scale scores and global ratings)"

    def compute(self, ctx, opts, unit):
        if not ctx.global_items:
            raise ValueError("the MTMM section needs global ratings of the scales in the instrument.")
        scales = [s for s in ctx.scales if s in ctx.global_items]
        columns = scales + [ctx.global_items[s] for s in scales]
        traits = {**{s: s for s in scales}, **{ctx.global_items[s]: s for s in scales}}
        methods = {**{s: "multi_item" for s in scales}, **{ctx.global_items[s]: "global_rating" for s in scales}}
        return {"mtmm": validity.mtmm(ctx.scored[columns], traits, methods)}

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        result = payload["mtmm"]
        n = f"n = {len(ctx.scored)} respondents (pairwise-complete correlations)."
        out = Rendered(
            generic_tables(
                "mtmm",
                "MTMM",
                {k: getattr(result, k, None) for k in ("validity_diagonal", "summary", "campbell_fiske")},
                label=ctx.label,
                note=n,
            )
        )
        corr = result.correlation
        half = len(corr) // 2
        out.figures.append(
            (
                "mtmm",
                "MTMM correlation heatmap",
                figures.heatmap(corr.rename(index=ctx.label, columns=ctx.label), "MTMM correlations", blocks=[half]),
            )
        )
        criteria = frame_of(getattr(result, "campbell_fiske", None))
        if criteria is not None and "proportion" in criteria:
            for name, row in criteria.iterrows():
                out.text.append(
                    f"{sentence(label(name))}: {fmt(row['satisfied'], 0)} of "
                    f"{fmt(row['total'], 0)} comparisons ({fmt(100 * row['proportion'], 0)}%)."
                )
        return out

    def methods(self, ctx, opts, results):
        return [
            "Multitrait-multimethod matrix: each scale's multi-item score and its global rating as two methods "
            "of one trait, judged by Campbell & Fiske's (1959) criteria (psych has no single equivalent; the "
            'correlations are stats::cor(use = "pairwise")).'
        ]
