"""Cronbach's alpha with its confidence interval and omega total, by scale, pooled and per group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import reliability
from .. import figures
from ..formatting import fmt_bounded, fmt_ci, interpret_alpha
from ..tables import make_table
from ._base import PerGroupSection, Rendered, answered, value_of

__all__ = ["ReliabilitySection"]


class ReliabilitySection(PerGroupSection):
    type, title = "reliability", "Reliability by scale and site"
    per_group_default = True

    def compute(self, ctx, opts, unit):
        data = ctx.subset(unit)
        payload, errors = {}, {}
        for scale, items in ctx.scales.items():
            payload[scale] = {"alpha": reliability.cronbach_alpha(
                answered(data, items), ci=opts.get("ci", "feldt"), confidence=opts.get("confidence", 0.95),
                n_boot=opts.get("n_boot", 1000), seed=ctx.spec.seed)}
            if opts.get("omega", True):
                try:
                    payload[scale]["omega"] = reliability.omega(answered(data, items), n_factors=1)
                except Exception as exc:  # noqa: BLE001 - reported with the unit, alpha is kept
                    errors[f"{scale}.omega"] = f"{type(exc).__name__}: {exc}"
        return {"scales": payload, "errors": errors} if errors else {"scales": payload}

    def _long(self, results) -> pd.DataFrame:
        rows = []
        for unit, payload in results.items():
            for scale, entry in payload["scales"].items():
                alpha = entry["alpha"]
                low, high = alpha.ci if alpha.ci is not None else (np.nan, np.nan)
                omega = value_of(entry.get("omega"), "omega_total", np.nan)
                rows.append({"scale": scale, "unit": unit, "n_obs": alpha.n_obs, "n_items": alpha.n_items,
                             "alpha": alpha.alpha, "ci_low": low, "ci_high": high,
                             "std_alpha": alpha.std_alpha, "average_r": alpha.average_r, "omega_total": omega})
        return pd.DataFrame(rows)

    def render(self, ctx, opts, results):
        out = Rendered()
        long = self._long(results)
        level = int(round(100 * opts.get("confidence", 0.95)))
        cell = long.assign(text=[f"{fmt_bounded(a)} {fmt_ci(lo, hi)}" for a, lo, hi in
                                 zip(long["alpha"], long["ci_low"], long["ci_high"])])
        wide = cell.pivot(index="scale", columns="unit", values="text")
        order = [u for u in results if u in wide.columns]
        wide = wide.loc[list(dict.fromkeys(long["scale"])), order]
        out.tables.append(make_table("reliability", f"Cronbach's alpha [{level}% CI] by scale and site",
                                     long.set_index(["scale", "unit"]).reset_index(), display=wide,
                                     note=f"CI: {opts.get('ci', 'feldt')}."))
        for row in long.loc[long["unit"] == "pooled"].itertuples():
            omega = f"; omega {fmt_bounded(row.omega_total)}" if np.isfinite(row.omega_total) else ""
            out.text.append(f"{row.scale}: alpha {fmt_bounded(row.alpha)} {fmt_ci(row.ci_low, row.ci_high)}: "
                            f"{interpret_alpha(row.alpha)}{omega} (n = {row.n_obs}).")
        low = long.loc[(long["unit"] != "pooled") & (long["alpha"].round(2) < 0.7)]
        for row in low.itertuples():
            out.text.append(f"{row.scale} at {row.unit}: alpha {fmt_bounded(row.alpha)} "
                            f"{fmt_ci(row.ci_low, row.ci_high)}: {interpret_alpha(row.alpha)}.")
        if long["omega_total"].notna().any():
            omega = long.pivot(index="scale", columns="unit", values="omega_total").loc[wide.index, order]
            out.tables.append(make_table("omega_total", "McDonald's omega total (one factor) by scale and site",
                                         omega, note="As psych::omega(items, nfactors = 1)$omega.tot."))
        pooled = long.loc[long["unit"] == "pooled", "alpha"]
        out.summary = (f"pooled alpha {fmt_bounded(pooled.min())} to {fmt_bounded(pooled.max())} across "
                       f"{len(pooled)} scales; {len(low)} scale-site alpha(s) below .70.")
        forest = long.rename(columns={"alpha": "estimate", "ci_low": "low", "ci_high": "high"})
        out.figures.append(("reliability_by_site", "Cronbach's alpha by site with confidence intervals",
                            figures.forest(forest, "Cronbach's alpha by site", xlabel="alpha")))
        return out
