"""Known-groups validity: do the scale scores differ between the groups of a column, as hypothesised."""

from __future__ import annotations

import pandas as pd

from ... import validity
from ..formatting import fmt_bounded, label, p_phrase
from ..tables import apa_frame, make_table
from ._base import Rendered, Section, frame_of, n_range, scores_against

__all__ = ["KnownGroupsSection"]


class KnownGroupsSection(Section):
    type, title = "known_groups", "Known-groups validity"
    cutoffs = (
        ("Known-groups difference", "p < .05 (Welch's test), in the hypothesised direction", "Cronbach & Meehl (1955)"),
    )

    def compute(self, ctx, opts, unit):
        scores, groups = scores_against(ctx, opts["by"], "known-groups comparison")
        return {"by": opts["by"], "result": validity.known_groups(scores, groups)}

    def render(self, ctx, opts, results):
        by, result = results["pooled"]["by"], results["pooled"]["result"]
        table = frame_of(result)
        means = result.descriptives.pivot(index="scale", columns="group", values="mean")
        means = means.loc[list(dict.fromkeys(result.descriptives["scale"])), list(result.groups)]
        verdicts = pd.Series(
            {scale: _verdict(opts, table.loc[scale, "pvalue"], means.loc[scale]) for scale in table.index}
        )
        display = apa_frame(table).assign(verdict=verdicts.map(lambda v: "supported" if v else "not supported"))
        n = f"{n_range(result.descriptives['n'])} per group."
        out = Rendered(
            [
                make_table(
                    "known_groups",
                    f"Scale scores by {ctx.label(by)} ({label(result.test)})",
                    table,
                    display=display,
                    label=ctx.label,
                    note=f"Hypothesis: {_hypothesis(ctx, opts)}. {n}",
                ),
                make_table(
                    "known_groups_means", f"Mean scale scores by {ctx.label(by)}", means, label=ctx.label, note=n
                ),
            ]
        )
        effect = "eta_squared" if "eta_squared" in table else "hedges_g"
        out.text.append(
            f"Hypothesis: {_hypothesis(ctx, opts)}. Verdict: supported for {int(verdicts.sum())} of "
            f"{len(verdicts)} scales."
        )
        out.text.extend(
            f"{ctx.label(scale)}: p {p_phrase(table.loc[scale, 'pvalue'])}, {label(effect)} "
            f"{fmt_bounded(table.loc[scale, effect], 3)}: "
            f"{'supported' if verdicts[scale] else 'not supported'}."
            for scale in table.index
        )
        out.summary = out.text[0]
        return out

    def methods(self, ctx, opts, results):
        result = results["pooled"]["result"]
        return [
            f"Known-groups validity: scale scores compared between the groups of {ctx.label(opts['by'])} "
            f"by {label(result.test)} (stats::oneway.test(var.equal = FALSE) / t.test), with the hypothesis "
            f"stated in advance: {_hypothesis(ctx, opts)}."
        ]


def _hypothesis(ctx, opts) -> str:
    """The spec's hypothesis in words (default: the scores differ between the groups)."""
    if opts.get("hypothesis"):
        return str(opts["hypothesis"]).rstrip(".")
    by = ctx.label(opts["by"])
    if opts.get("expect") == "no_difference":
        return f"the scale scores do not differ by {by}"
    highest = f", highest for {ctx.label(opts['highest'])}" if opts.get("highest") else ""
    return f"the scale scores differ by {by}{highest}"


def _verdict(opts, pvalue: float, means: pd.Series) -> bool:
    """Whether one scale bears the hypothesis out (p < .05 and the expected group highest, or p >= .05 when
    no difference is expected; a non-significant test is no proof of equality)."""
    if opts.get("expect") == "no_difference":
        return bool(pvalue >= 0.05)
    highest = opts.get("highest")
    return bool(pvalue < 0.05 and (highest is None or str(means.idxmax()) == str(highest)))
