"""Known-groups validity: do the scale scores differ between the groups of a column."""

from __future__ import annotations

from ... import validity
from ..formatting import fmt_bounded, p_phrase
from ..tables import make_table
from ._base import Rendered, Section, frame_of, scores_against

__all__ = ["KnownGroupsSection"]


class KnownGroupsSection(Section):
    type, title = "known_groups", "Known-groups validity"

    def compute(self, ctx, opts, unit):
        scores, groups = scores_against(ctx, opts["by"], "known-groups comparison")
        return {"by": opts["by"], "result": validity.known_groups(scores, groups)}

    def render(self, ctx, opts, results):
        by, result = results["pooled"]["by"], results["pooled"]["result"]
        table = frame_of(result)
        out = Rendered([make_table("known_groups", f"Scale scores by {by} ({result.test.replace('_', ' ')})",
                                   table)])
        descriptives = result.descriptives.pivot(index="scale", columns="group", values="mean")
        out.tables.append(make_table("known_groups_means", f"Mean scale scores by {by}",
                                     descriptives.loc[list(dict.fromkeys(result.descriptives["scale"])),
                                                      list(result.groups)]))
        differ = table.index[table["pvalue"] < 0.05].tolist()
        effect = "eta_squared" if "eta_squared" in table else "hedges_g"
        if differ:
            out.text.extend(f"{scale} differs by {by}: p {p_phrase(table.loc[scale, 'pvalue'])}, "
                            f"{effect.replace('_', ' ')} {fmt_bounded(table.loc[scale, effect], 3)}."
                            for scale in differ)
        else:
            out.text.append(f"No scale score differs by {by} at p < .05.")
        return out
