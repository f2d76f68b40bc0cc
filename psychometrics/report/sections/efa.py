"""Exploratory factor analysis: KMO, Bartlett, parallel analysis, rotated loadings and their reading."""

from __future__ import annotations

import pandas as pd

from ... import factor
from .. import figures
from ..formatting import fmt, fmt_bounded, interpret_kmo, p_phrase
from ..tables import make_table
from ._base import Rendered, Section, factor_input, factor_n

__all__ = ["EfaSection"]


class EfaSection(Section):
    type, title = "efa", "Exploratory factor analysis"
    cutoffs = (
        (
            "KMO",
            ">= .90 marvelous, >= .80 meritorious, >= .70 middling, >= .60 mediocre, >= .50 miserable",
            "Kaiser (1974)",
        ),
        (
            "Pattern loading",
            "primary >= .40; cross-loading >= .30 on another factor",
            "Stevens (2002); Tabachnick & Fidell (2013)",
        ),
        ("Number of factors", "parallel analysis: observed eigenvalue above the simulated one", "Horn (1965)"),
    )

    def compute(self, ctx, opts, unit):
        data, n_obs = factor_input(ctx, opts)
        payload = {"kmo": factor.kmo(data), "bartlett": factor.bartlett_sphericity(data, n_obs=n_obs)}
        wanted = opts.get("n_factors", "scales" if ctx.is_correlation_matrix else "parallel")
        if not ctx.is_correlation_matrix:
            payload["parallel"] = factor.parallel_analysis(
                data,
                n_iter=opts.get("n_iter", 100),
                quantile=opts.get("quantile"),
                seed=ctx.spec.seed,
                cor=opts.get("cor", "pearson"),
            )
        if wanted == "parallel":
            n_factors = int(payload["parallel"].n_factors)
        elif wanted == "scales":
            n_factors = len(ctx.scales)
        else:
            n_factors = int(wanted)
        payload["efa"] = factor.efa(
            data,
            n_factors,
            method=opts.get("method", "minres"),
            rotation=opts.get("rotation", "oblimin"),
            n_obs=n_obs,
            cor=opts.get("cor", "pearson"),
        )
        return payload

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        out = Rendered()
        n = f"n = {factor_n(ctx, opts)}" + ("" if ctx.is_correlation_matrix else " (pairwise-complete correlations)")
        kmo, bartlett = payload["kmo"], payload["bartlett"]
        out.text.append(
            f"KMO {fmt_bounded(kmo.overall)}: {interpret_kmo(kmo.overall)}; Bartlett's test "
            f"chi2({fmt(bartlett.df, 0)}) = {fmt(bartlett.statistic)}, p {p_phrase(bartlett.pvalue)}."
        )
        parallel = payload.get("parallel")
        if parallel is not None:
            out.text.append(
                f"Parallel analysis suggests {parallel.n_factors} factor(s) and {parallel.n_components} component(s)."
            )
            eigen = parallel.eigenvalues
            out.tables.append(
                make_table(
                    "parallel_analysis",
                    "Parallel analysis eigenvalues",
                    eigen,
                    formats={c: lambda v: fmt(v, 2) for c in eigen.columns},
                    note=f"{n}.",
                )
            )
            out.figures.append(
                (
                    "scree",
                    "Scree plot with parallel analysis",
                    figures.scree(eigen.select_dtypes("number"), "Scree plot with parallel analysis"),
                )
            )
        fit = payload["efa"]
        loadings = fit.loadings.copy()
        table = loadings.assign(h2=fit.communalities)
        out.tables.append(
            make_table(
                "efa_loadings",
                f"Pattern loadings ({opts.get('method', 'minres')}, {opts.get('rotation', 'oblimin')} rotation)",
                table,
                label=ctx.label,
                note=f"{n}.",
            )
        )
        if fit.phi is not None:
            out.tables.append(make_table("efa_factor_correlations", "Factor correlations", fit.phi, note=f"{n}."))
        fit_frame = pd.DataFrame([pd.Series(fit.fit, dtype=float)], index=["fit"])
        shown = [
            c
            for c in ("chisq", "df", "pvalue", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "bic", "rms")
            if c in fit_frame
        ]
        out.tables.append(
            make_table(
                "efa_fit",
                "EFA fit (as psych::fa)",
                fit_frame,
                display=make_table("", "", fit_frame[shown]).display,
                note=f"{n}.",
            )
        )
        out.text.extend(_loading_pattern(loadings, ctx.label))
        if ctx.scales and set(ctx.items) <= set(loadings.index):
            out.text.append(_factors_of_scales(loadings, ctx.scales, ctx.label))
        out.figures.append(
            ("loadings", "Loading heatmap", figures.heatmap(loadings.rename(index=ctx.label), "Pattern loadings"))
        )
        return out

    def methods(self, ctx, opts, results):
        wanted = opts.get("n_factors", "scales" if ctx.is_correlation_matrix else "parallel")
        how = {
            "parallel": f"the number suggested by parallel analysis ({opts.get('n_iter', 100)} simulated and "
            "resampled data sets, psych::fa.parallel)",
            "scales": "one factor per scale",
        }.get(wanted, f"{wanted} factors as the spec sets")
        cor = "polychoric" if opts.get("cor") == "polychoric" else "Pearson"
        return [
            f"Exploratory factor analysis: {opts.get('method', 'minres')} extraction with "
            f"{opts.get('rotation', 'oblimin')} rotation of {cor} correlations (psych::fa), with {how}; "
            f"sampling adequacy by KMO and Bartlett's test of sphericity (psych::KMO, psych::cortest.bartlett); "
            f"n = {factor_n(ctx, opts)}."
        ]


def _factors_of_scales(loadings: pd.DataFrame, scales: dict, name=str) -> str:
    """Which factor each scale's items load on most (their primary factor), and whether they all agree."""
    primary = loadings.abs().idxmax(axis=1)
    parts, split = [], []
    for scale, items in scales.items():
        factors = primary.loc[items]
        parts.append(f"{name(scale)} {factors.mode().iloc[0]}")
        if factors.nunique() > 1:
            split.append(name(scale))
    verdict = (
        "each scale's items share one primary factor"
        if not split
        else f"the items of {', '.join(split)} load primarily on different factors"
    )
    distinct = len({p.split()[-1] for p in parts}) == len(parts)
    return (
        f"Factors and scales: {'; '.join(parts)}: {verdict}"
        f"{' and every scale has its own factor' if distinct and not split else ''}."
    )


def _loading_pattern(loadings: pd.DataFrame, name=str, salient: float = 0.30, weak: float = 0.40) -> list[str]:
    """Items without a clear primary loading or with cross-loadings (|loading| >= .30 on several factors)."""
    lines = []
    for item, row in loadings.iterrows():
        high = row[row.abs() >= salient]
        if len(high) > 1:
            shown = ", ".join(f"{f} {fmt_bounded(v)}" for f, v in high.items())
            lines.append(f"{name(item)} cross-loads (|loading| >= .30 on {shown}).")
        elif row.abs().max() < weak:
            lines.append(f"{name(item)} has no loading of .40 or more (largest {fmt_bounded(row.abs().max())}).")
    if not lines:
        lines.append(
            f"Every item loads .40 or more on one factor and below .30 on the others ({loadings.shape[1]} factors)."
        )
    return lines
