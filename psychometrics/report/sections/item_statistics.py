"""Item statistics by scale (pooled and per group) and the pooled response distributions."""

from __future__ import annotations

import pandas as pd

from ... import reliability
from .. import figures
from ..tables import make_table
from ._base import PerGroupSection, Rendered, answered, frame_of

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


class ItemStatisticsSection(PerGroupSection):
    type, title = "item_statistics", "Item statistics"

    def compute(self, ctx, opts, unit):
        data = ctx.subset(unit)
        stats = {scale: reliability.item_statistics(answered(data, items)) for scale, items in ctx.scales.items()}
        return {"items": stats, "response_shares": _response_shares(ctx, unit)}

    def render(self, ctx, opts, results):
        out = Rendered()
        for unit, payload in results.items():
            frame = pd.concat({s: frame_of(r) for s, r in payload["items"].items()}, names=["scale", "item"])
            frame.index = [" | ".join(map(str, i)) for i in frame.index]
            suffix = "" if unit == "pooled" else f"_{unit}"
            out.tables.append(make_table(f"item_statistics{suffix}", f"Item statistics ({unit})", frame,
                                         note="r_drop: corrected item-total correlation; reverse-keyed items "
                                              "reversed before analysis."))
            low = frame.index[frame["r_drop"] < 0.3].tolist() if "r_drop" in frame else []
            if low:
                out.text.append(f"{unit}: items with a corrected item-total correlation below .30: {', '.join(low)}.")
        shares = results.get("pooled", {}).get("response_shares")
        if shares is not None:
            out.figures.append(("response_distributions", "Item response distributions (pooled)",
                                figures.response_distributions(shares, "Item response distributions")))
        return out
