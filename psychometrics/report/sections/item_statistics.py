"""Item statistics by scale (pooled and per group) and the pooled response distributions."""

from __future__ import annotations

import pandas as pd

from ... import reliability
from .. import figures
from ..tables import apa_frame, make_table
from ._base import PerGroupSection, Rendered, answered, frame_of, n_range

__all__ = ["ItemStatisticsSection"]


def _response_shares(ctx, unit: str) -> pd.DataFrame | None:
    """Share of each answer per item (declared missing codes and blanks as 'missing'), Likert items only."""
    raw = ctx.subset(unit, ctx.data)
    items = ctx.items
    answers = raw[items].where(~raw[items].apply(lambda c: c.isin(ctx.missing_codes.get(c.name, []))))
    levels = sorted(pd.unique(answers.stack().dropna()))
    if not levels or len(levels) > 11:
        return None
    shares = pd.DataFrame({f"{level:g}": (answers == level).mean() for level in levels})
    shares["missing"] = answers.isna().mean()
    return shares


def _legend(ctx, opts, columns) -> dict:
    """Legend text of each answer: the spec's anchors (``anchors: {1: strongly disagree, ...}``) and what
    counts as missing (blank and the instrument's missing codes)."""
    anchors = {str(k): str(v) for k, v in (opts.get("anchors") or {}).items()}
    codes = [
        f"{code:g} {ctx.missing_labels.get(f'{code:g}', '')}".strip()
        for code in sorted({c for item in ctx.items for c in ctx.missing_codes.get(item, [])})
    ]
    missing = "missing (blank" + "".join(f", {c}" for c in codes) + ")"
    return {c: missing if c == "missing" else f"{c} {anchors[c]}" if c in anchors else c for c in columns}


class ItemStatisticsSection(PerGroupSection):
    type, title = "item_statistics", "Item statistics"

    def compute(self, ctx, opts, unit):
        data = ctx.subset(unit)
        stats = {scale: reliability.item_statistics(answered(data, items)) for scale, items in ctx.scales.items()}
        return {"items": stats, "response_shares": _response_shares(ctx, unit)}

    def render(self, ctx, opts, results):
        out = Rendered()
        reversed_note = " (R): reverse-keyed item, reversed before analysis." if ctx.reversed_items else ""
        for unit, payload in results.items():
            frame = pd.concat({s: frame_of(r) for s, r in payload["items"].items()}, names=["scale", "item"])
            shown = apa_frame(frame.reset_index(level="scale"), {"scale": ctx.label})
            shown.index = pd.Index([ctx.label(item) for _, item in frame.index], name="item")
            frame.index = [" | ".join(map(str, i)) for i in frame.index]
            suffix = "" if unit == "pooled" else f"_{unit}"
            n = n_range(frame["n"]) if "n" in frame else "n unknown"
            out.tables.append(
                make_table(
                    f"item_statistics{suffix}",
                    f"Item statistics ({unit})",
                    frame,
                    display=shown,
                    label=ctx.label,
                    collapsed=unit != "pooled",
                    note=f"{n} (respondents who answered the item). Item-rest r: "
                    f"correlation of the item with the sum of the other items of its "
                    f"scale.{reversed_note}",
                )
            )
            low = (
                [ctx.label(index.split(" | ")[1]) for index in frame.index[frame["r_drop"] < 0.3]]
                if "r_drop" in frame
                else []
            )
            if low:
                where = "pooled" if unit == "pooled" else f"at {unit}"
                out.text.append(f"Items with an item-rest correlation below .30 ({where}): {', '.join(low)}.")
        shares = results.get("pooled", {}).get("response_shares")
        if shares is not None:
            out.figures.append(
                (
                    "response_distributions",
                    "Item response distributions (pooled), answers as "
                    "given" + (" (reverse-keyed items (R) not reversed)" if ctx.reversed_items else ""),
                    figures.response_distributions(
                        shares,
                        "Item response distributions",
                        legend=_legend(ctx, opts, shares.columns),
                        names=ctx.label,
                    ),
                )
            )
        return out

    def methods(self, ctx, opts, results):
        return [
            "Item statistics (psych::alpha(items)$item.stats and $alpha.drop) were computed per scale from the "
            "respondents who answered at least one of its items, with pairwise-complete covariances."
        ]
