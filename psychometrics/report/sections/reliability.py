"""Cronbach's alpha with its confidence interval, omega total (ordinal, with a bootstrap interval, when the spec
says the items are ordinal) and floor and ceiling effects, by scale, pooled and per group."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from ... import reliability
from .. import figures
from ..formatting import fmt_bounded, fmt_ci, interpret_alpha, sentence
from ..tables import make_table
from ._base import PerGroupSection, Rendered, answered, frame_of, n_range, value_of

__all__ = ["ReliabilitySection"]


class ReliabilitySection(PerGroupSection):
    type, title = "reliability", "Reliability by scale and site"
    per_group_default = True
    cutoffs = (
        (
            "Cronbach's alpha, omega",
            ">= .90 excellent, >= .80 good, >= .70 acceptable, >= .60 questionable, >= .50 poor",
            "George & Mallery (2003)",
        ),
        (
            "Floor / ceiling effect",
            "> 15% of respondents at the lowest / highest possible score",
            "Terwee et al. (2007)",
        ),
    )

    def compute(self, ctx, opts, unit):
        data = ctx.subset(unit)
        payload, errors = {}, {}
        for scale, items in ctx.scales.items():
            payload[scale] = {
                "alpha": reliability.cronbach_alpha(
                    answered(data, items),
                    ci=opts.get("ci", "feldt"),
                    confidence=opts.get("confidence", 0.95),
                    n_boot=opts.get("n_boot", 1000),
                    seed=ctx.spec.seed,
                )
            }
            if opts.get("omega", True):
                options = _omega_options(ctx, opts, unit)
                try:
                    payload[scale]["omega"] = reliability.omega(
                        _omega_input(data, items, options), n_factors=1, **options
                    )
                except Exception as exc:  # noqa: BLE001 - reported with the unit, alpha is kept
                    errors[f"{scale}.omega"] = f"{type(exc).__name__}: {exc}"
        out = {"scales": payload}
        ranges = _score_ranges(ctx, opts)
        if ranges:
            scores = data[list(ranges)]
            out["floor_ceiling"] = reliability.floor_ceiling(
                scores, {s: r[0] for s, r in ranges.items()}, {s: r[1] for s, r in ranges.items()}
            )
        return {**out, "errors": errors} if errors else out

    def _long(self, results) -> pd.DataFrame:
        rows = []
        for unit, payload in results.items():
            for scale, entry in payload["scales"].items():
                alpha = entry["alpha"]
                low, high = alpha.ci if alpha.ci is not None else (np.nan, np.nan)
                omega = value_of(entry.get("omega"), "omega_total", np.nan)
                omega_low, omega_high = value_of(entry.get("omega"), "omega_total_ci", None) or (np.nan, np.nan)
                rows.append(
                    {
                        "scale": scale,
                        "unit": unit,
                        "n_obs": alpha.n_obs,
                        "n_items": alpha.n_items,
                        "alpha": alpha.alpha,
                        "ci_low": low,
                        "ci_high": high,
                        "std_alpha": alpha.std_alpha,
                        "average_r": alpha.average_r,
                        "omega_total": omega,
                        "omega_ci_low": omega_low,
                        "omega_ci_high": omega_high,
                    }
                )
        return pd.DataFrame(rows)

    def render(self, ctx, opts, results):
        out = Rendered()
        long = self._long(results)
        level = int(round(100 * opts.get("confidence", 0.95)))
        cell = long.assign(
            text=[
                f"{fmt_bounded(a)} {fmt_ci(lo, hi)}"
                for a, lo, hi in zip(long["alpha"], long["ci_low"], long["ci_high"])
            ]
        )
        wide = cell.pivot(index="scale", columns="unit", values="text")
        order = [u for u in results if u in wide.columns]
        wide = wide.loc[list(dict.fromkeys(long["scale"])), order]
        n_note = _n_note(long)
        out.tables.append(
            make_table(
                "reliability",
                f"Cronbach's alpha [{level}% CI] by scale and site",
                long.set_index(["scale", "unit"]).reset_index(),
                display=wide,
                label=ctx.label,
                note=f"CI: {_CI_NAMES.get(opts.get('ci', 'feldt'), opts.get('ci'))}. {sentence(n_note)}.",
            )
        )
        for row in long.loc[long["unit"] == "pooled"].itertuples():
            omega = f"; omega {fmt_bounded(row.omega_total)}" if np.isfinite(row.omega_total) else ""
            out.text.append(
                f"{ctx.label(row.scale)}: alpha {fmt_bounded(row.alpha)} "
                f"{fmt_ci(row.ci_low, row.ci_high)}: {interpret_alpha(row.alpha)}{omega} "
                f"(n = {row.n_obs})."
            )
        low = long.loc[(long["unit"] != "pooled") & (long["alpha"].round(2) < 0.7)]
        for row in low.itertuples():
            out.text.append(
                f"{ctx.label(row.scale)} at {row.unit}: alpha {fmt_bounded(row.alpha)} "
                f"{fmt_ci(row.ci_low, row.ci_high)}: {interpret_alpha(row.alpha)} (n = {row.n_obs})."
            )
        if long["omega_total"].notna().any():
            out.tables.append(self._omega_table(ctx, opts, long, wide.index, order, n_note))
        floor_ceiling = _floor_ceiling_long(results)
        if len(floor_ceiling):
            out.tables.append(_floor_ceiling_table(ctx, floor_ceiling, wide.index, order))
            out.text.extend(_floor_ceiling_text(ctx, floor_ceiling))
        pooled = long.loc[long["unit"] == "pooled", "alpha"]
        out.summary = (
            f"pooled alpha {fmt_bounded(pooled.min())} to {fmt_bounded(pooled.max())} across "
            f"{len(pooled)} scales; {len(low)} scale-site alpha(s) below .70."
        )
        forest = long.rename(columns={"alpha": "estimate", "ci_low": "low", "ci_high": "high"})
        forest["scale"] = forest["scale"].map(ctx.label)
        out.figures.append(
            (
                "reliability_by_site",
                "Cronbach's alpha by site with confidence intervals",
                figures.forest(forest, "Cronbach's alpha by site", xlabel="alpha"),
            )
        )
        return out

    @staticmethod
    def _omega_table(ctx, opts, long, scales, order, n_note):
        """Omega total by scale and site; ordinal omega with its bootstrap interval when the items are ordinal."""
        if not opts.get("ordinal", False):
            omega = long.pivot(index="scale", columns="unit", values="omega_total").loc[scales, order]
            return make_table(
                "omega_total",
                "McDonald's omega total (one factor) by scale and site",
                omega,
                label=ctx.label,
                note=f"As psych::omega(items, nfactors = 1)$omega.tot. {sentence(n_note)}.",
            )
        cell = long.assign(
            text=[
                f"{fmt_bounded(o)} {fmt_ci(lo, hi)}" if np.isfinite(lo) else fmt_bounded(o)
                for o, lo, hi in zip(long["omega_total"], long["omega_ci_low"], long["omega_ci_high"])
            ]
        )
        shown = cell.pivot(index="scale", columns="unit", values="text").loc[scales, order]
        numbers = long[["scale", "unit", "omega_total", "omega_ci_low", "omega_ci_high"]]
        level = int(round(100 * opts.get("confidence", 0.95)))
        return make_table(
            "omega_total",
            f"Ordinal omega total (one factor, polychoric) [{level}% CI] by scale and site",
            numbers,
            display=shown,
            label=ctx.label,
            note=f"As psych::omega(items, nfactors = 1, poly = TRUE)$omega.tot; CI: "
            f"{_omega_ci_words(ctx, opts)}. {sentence(n_note)}.",
        )

    def methods(self, ctx, opts, results):
        ci = _CI_NAMES.get(opts.get("ci", "feldt"), opts.get("ci"))
        where = f" pooled and in every group by {ctx.label(ctx.group)}" if len(results) > 1 else ""
        omega = (
            " and McDonald's omega total of a one-factor model (psych::omega(items, nfactors = 1))"
            if opts.get("omega", True)
            else ""
        )
        if opts.get("omega", True) and opts.get("ordinal", False):
            omega = (
                " and, the items being ordinal, McDonald's omega total of a one-factor model of the polychoric "
                "correlations (ordinal omega; Zumbo, Gadermann & Zeisser 2007; psych::omega(items, nfactors = "
                f"1, poly = TRUE)) with a {int(round(100 * opts.get('confidence', 0.95)))}% confidence "
                f"interval ({_omega_ci_words(ctx, opts)})"
            )
        lines = [
            f"Reliability: Cronbach's alpha with its {int(round(100 * opts.get('confidence', 0.95)))}% "
            f"confidence interval (psych::alpha; {ci}){omega}{where}, from the respondents who answered at "
            f"least one item of the scale, with pairwise-complete covariances ({_n_note(self._long(results))})."
        ]
        if ctx.spec.cluster and opts.get("omega", True) and opts.get("ordinal", False):
            lines.extend(_cluster_bootstrap_lines(ctx, results))
        if _floor_ceiling_long(results).size:
            lines.append(
                "Floor and ceiling effects: the share of respondents with the lowest and with the highest "
                "possible scale score (from the items' response range), flagged above 15% (McHorney & "
                "Tarlov 1995; Terwee et al. 2007)."
            )
        return lines


_CI_NAMES = {
    "feldt": "Feldt, Woodruff & Salih (1987)",
    "duhachek": "Duhachek & Iacobucci (2004)",
    "bootstrap": "bootstrap percentile",
}


def _n_note(long: pd.DataFrame) -> str:
    """The respondents each alpha rests on, pooled and per site."""
    pooled = long.loc[long["unit"] == "pooled", "n_obs"]
    sites = long.loc[long["unit"] != "pooled", "n_obs"]
    return f"pooled {n_range(pooled)}" + (f"; per site {n_range(sites)}" if len(sites) else "")


def _omega_options(ctx, opts, unit) -> dict:
    """Ordinal omega (polychoric) with a seeded bootstrap interval when the spec says the items are ordinal
    (the interval pooled only with ``omega_ci_per_group: false``)."""
    if not opts.get("ordinal", False):
        return {}
    if unit != "pooled" and not opts.get("omega_ci_per_group", True):
        return {"cor": "polychoric"}
    return {
        "cor": "polychoric",
        "ci": opts.get("omega_ci", "percentile"),
        "confidence": opts.get("confidence", 0.95),
        "n_boot": opts.get("omega_n_boot", 1000),
        "seed": ctx.spec.seed,
        **_cluster_options(ctx, unit),
    }


def _cluster_options(ctx, unit) -> dict:
    """The bootstrap resamples whole clusters, those of the pooled sample within each group (the groups, e.g.
    sites, are strata of the design: every resample keeps each group's number of clusters)."""
    if not ctx.spec.cluster:
        return {}
    strata = {"strata": ctx.group} if unit == "pooled" and ctx.group else {}
    return {"cluster": ctx.spec.cluster, **strata}


def _omega_input(data: pd.DataFrame, items: list, options: dict) -> pd.DataFrame:
    """The scale's items without the respondents who answered none, and the cluster (and strata) columns when the
    bootstrap resamples clusters (omega leaves them out of the items)."""
    design = [options[key] for key in ("cluster", "strata") if key in options]
    if not design:
        return answered(data, items)
    return data.loc[data[items].notna().any(axis=1), items + design]


def _omega_ci_words(ctx, opts) -> str:
    method = {"percentile": "bootstrap percentile", "bca": "bias-corrected and accelerated (BCa) bootstrap"}
    clusters = f" of whole {ctx.spec.cluster}s" if ctx.spec.cluster else ""
    where = "" if opts.get("omega_ci_per_group", True) else "; the interval pooled only"
    return f"{method[opts.get('omega_ci', 'percentile')]}, {opts.get('omega_n_boot', 1000)} resamples{clusters}{where}"


def _cluster_bootstrap_lines(ctx, results) -> list[str]:
    """How the bootstrap of ordinal omega resampled the clusters, with a caveat where a group has few of them."""
    cluster = ctx.spec.cluster
    counts = [
        (unit, value_of(entry.get("omega"), "n_clusters"))
        for unit, payload in results.items()
        for entry in payload["scales"].values()
    ]
    pooled = [n for unit, n in counts if unit == "pooled" and n]
    per_group = [n for unit, n in counts if unit != "pooled" and n]
    within = (
        f", drawn within each {ctx.label(ctx.group)} (stratified: every resample keeps each "
        f"{ctx.label(ctx.group)}'s number of {cluster}s)"
        if ctx.group
        else ""
    )
    lines = [
        f"The bootstrap of ordinal omega resamples whole {cluster}s with replacement and keeps every respondent "
        f"of each {cluster} drawn (one-stage cluster bootstrap; Davison & Hinkley 1997, sec. 3.8; Field & Welsh "
        f"2007), so its interval allows for answers within a {cluster} being alike"
        + (f"; pooled: {_count_range(pooled)} {cluster}s{within}." if pooled else ".")
    ]
    if per_group:
        lines.append(
            f"Caveat: the interval of each {ctx.label(ctx.group)} rests on that {ctx.label(ctx.group)}'s "
            f"{_count_range(per_group)} {cluster}s only: a cluster bootstrap with few clusters gives a rough "
            "interval."
        )
    return lines


def _count_range(counts: list[int]) -> str:
    return f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)} to {max(counts)}"


def _score_ranges(ctx, opts) -> dict:
    """Scale -> (lowest, highest) possible score: the spec's response_range (scales scored as item means) or the
    instrument's item ranges; empty (no floor/ceiling table) without either or for a correlation matrix."""
    if not opts.get("floor_ceiling", True) or ctx.is_correlation_matrix:
        return {}
    if "response_range" in opts:
        low, high = opts["response_range"]
        return {scale: (low, high) for scale in ctx.scales if scale in ctx.scored.columns}
    return {scale: r for scale, r in ctx.score_ranges.items() if scale in ctx.scored.columns}


def _floor_ceiling_long(results) -> pd.DataFrame:
    """One row per unit and scale: n and the shares at the floor and the ceiling, with their flags."""
    # each payload's floor_ceiling is a FloorCeilingResult: a table
    frames = [
        cast(pd.DataFrame, frame_of(payload["floor_ceiling"])).assign(unit=unit)
        for unit, payload in results.items()
        if "floor_ceiling" in payload
    ]
    return pd.concat(frames).rename_axis("scale").reset_index() if frames else pd.DataFrame()


def _floor_ceiling_table(ctx, long, scales, order):
    def cell(row):
        flags = "".join(mark for mark, flagged in (("F", row.floor_effect), ("C", row.ceiling_effect)) if flagged)
        return f"{100 * row.floor_share:.1f}% / {100 * row.ceiling_share:.1f}%" + (f" ({flags})" if flags else "")

    shown = (
        long.assign(text=[cell(row) for row in long.itertuples()])
        .pivot(index="scale", columns="unit", values="text")
        .loc[[s for s in scales if s in set(long["scale"])], order]
    )
    numbers = long[
        ["scale", "unit", "n", "minimum", "maximum", "floor_share", "ceiling_share", "floor_effect", "ceiling_effect"]
    ]
    ranges = "; ".join(dict.fromkeys(f"{row.minimum:g} to {row.maximum:g}" for row in long.itertuples()))
    return make_table(
        "floor_ceiling",
        "Floor and ceiling effects: share at the lowest / highest possible score",
        numbers,
        display=shown,
        label=ctx.label,
        note=f"Possible scores {ranges}. F, C: floor or ceiling effect (more than 15% of the "
        f"respondents; Terwee et al. 2007). {sentence(n_range(long['n']))}.",
    )


def _floor_ceiling_text(ctx, long) -> list[str]:
    flagged = long.loc[long["floor_effect"] | long["ceiling_effect"]]
    if not len(flagged):
        pooled = long.loc[long["unit"] == "pooled"]
        worst = max(pooled["floor_share"].max(), pooled["ceiling_share"].max()) if len(pooled) else np.nan
        return [
            f"No floor or ceiling effect: at most {100 * worst:.1f}% of the respondents (pooled) have the "
            "lowest or the highest possible score of a scale (flagged above 15%)."
        ]
    return [
        f"{ctx.label(row.scale)} at {row.unit}: "
        + " and ".join(
            f"{what} effect ({100 * share:.1f}% at the {end} score)"
            for what, share, end, flagged in (
                ("floor", row.floor_share, "lowest", row.floor_effect),
                ("ceiling", row.ceiling_share, "highest", row.ceiling_effect),
            )
            if flagged
        )
        + "."
        for row in flagged.itertuples()
    ]
