"""Cronbach's alpha with its confidence interval and omega total, by scale, pooled and per group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import reliability
from .. import figures
from ..formatting import fmt_bounded, fmt_ci, interpret_alpha, sentence
from ..tables import make_table
from ._base import PerGroupSection, Rendered, answered, n_range, value_of

__all__ = ["ReliabilitySection"]


class ReliabilitySection(PerGroupSection):
    type, title = "reliability", "Reliability by scale and site"
    per_group_default = True
    cutoffs = (("Cronbach's alpha, omega", ">= .90 excellent, >= .80 good, >= .70 acceptable, >= .60 questionable, "
                ">= .50 poor", "George & Mallery (2003)"),)

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
        n_note = _n_note(long)
        out.tables.append(make_table("reliability", f"Cronbach's alpha [{level}% CI] by scale and site",
                                     long.set_index(["scale", "unit"]).reset_index(), display=wide, label=ctx.label,
                                     note=f"CI: {_CI_NAMES.get(opts.get('ci', 'feldt'), opts.get('ci'))}. "
                                          f"{sentence(n_note)}."))
        for row in long.loc[long["unit"] == "pooled"].itertuples():
            omega = f"; omega {fmt_bounded(row.omega_total)}" if np.isfinite(row.omega_total) else ""
            out.text.append(f"{ctx.label(row.scale)}: alpha {fmt_bounded(row.alpha)} "
                            f"{fmt_ci(row.ci_low, row.ci_high)}: {interpret_alpha(row.alpha)}{omega} "
                            f"(n = {row.n_obs}).")
        low = long.loc[(long["unit"] != "pooled") & (long["alpha"].round(2) < 0.7)]
        for row in low.itertuples():
            out.text.append(f"{ctx.label(row.scale)} at {row.unit}: alpha {fmt_bounded(row.alpha)} "
                            f"{fmt_ci(row.ci_low, row.ci_high)}: {interpret_alpha(row.alpha)} (n = {row.n_obs}).")
        if long["omega_total"].notna().any():
            omega = long.pivot(index="scale", columns="unit", values="omega_total").loc[wide.index, order]
            out.tables.append(make_table("omega_total", "McDonald's omega total (one factor) by scale and site",
                                         omega, label=ctx.label,
                                         note=f"As psych::omega(items, nfactors = 1)$omega.tot. {sentence(n_note)}."))
        pooled = long.loc[long["unit"] == "pooled", "alpha"]
        out.summary = (f"pooled alpha {fmt_bounded(pooled.min())} to {fmt_bounded(pooled.max())} across "
                       f"{len(pooled)} scales; {len(low)} scale-site alpha(s) below .70.")
        forest = long.rename(columns={"alpha": "estimate", "ci_low": "low", "ci_high": "high"})
        forest["scale"] = forest["scale"].map(ctx.label)
        out.figures.append(("reliability_by_site", "Cronbach's alpha by site with confidence intervals",
                            figures.forest(forest, "Cronbach's alpha by site", xlabel="alpha")))
        return out

    def methods(self, ctx, opts, results):
        ci = _CI_NAMES.get(opts.get("ci", "feldt"), opts.get("ci"))
        where = f" pooled and in every group by {ctx.label(ctx.group)}" if len(results) > 1 else ""
        omega = (" and McDonald's omega total of a one-factor model (psych::omega(items, nfactors = 1))"
                 if opts.get("omega", True) else "")
        return [f"Reliability: Cronbach's alpha with its {int(round(100 * opts.get('confidence', 0.95)))}% "
                f"confidence interval (psych::alpha; {ci}){omega}{where}, from the respondents who answered at "
                f"least one item of the scale, with pairwise-complete covariances ({_n_note(self._long(results))})."]


_CI_NAMES = {"feldt": "Feldt, Woodruff & Salih (1987)", "duhachek": "Duhachek & Iacobucci (2004)",
             "bootstrap": "bootstrap percentile"}


def _n_note(long: pd.DataFrame) -> str:
    """The respondents each alpha rests on, pooled and per site."""
    pooled = long.loc[long["unit"] == "pooled", "n_obs"]
    sites = long.loc[long["unit"] != "pooled", "n_obs"]
    return f"pooled {n_range(pooled)}" + (f"; per site {n_range(sites)}" if len(sites) else "")
