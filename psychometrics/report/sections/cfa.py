"""Confirmatory factor analysis of the spec's model (default: one factor per scale), pooled and per group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import sem
from ..formatting import fmt, fmt_bounded, interpret_fit, sentence
from ..tables import apa_frame, make_table
from ._base import PerGroupSection, Rendered, n_range
from ._ordinal import merge_sentence
from ._fit import fit_display, fit_row, is_robust, robust_note, robust_table
from ._models import estimation, estimation_words, fit_data, merges_of, model_of, n_sentence, nesting_caveat

__all__ = ["CfaSection", "MIN_N_PER_PARAMETER"]

MIN_N_PER_PARAMETER = 5  # Bentler & Chou (1987): at least 5 respondents per free parameter


class CfaSection(PerGroupSection):
    type, title = "cfa", "Confirmatory factor analysis"
    cutoffs = (
        (
            "CFA fit",
            "good: CFI >= .95, RMSEA <= .06, SRMR <= .08; acceptable: CFI >= .90, RMSEA <= .08",
            "Hu & Bentler (1999); Browne & Cudeck (1993)",
        ),
        ("Sample size of a CFA", f">= {MIN_N_PER_PARAMETER} respondents per free parameter", "Bentler & Chou (1987)"),
    )

    def compute(self, ctx, opts, unit):
        model = model_of(ctx, opts)
        data = fit_data(ctx, opts, model, ctx.subset(unit))
        fit = sem.cfa(model, data, std_lv=opts.get("std_lv", False), **estimation(opts, ctx))
        return {
            "fit_measures": dict(fit.fit_measures),
            "estimates": fit.estimates,
            "converged": fit.converged,
            "n_obs": fit.n_obs,
            "n_dropped": len(data) - fit.n_obs,
        }

    def render(self, ctx, opts, results):
        out = Rendered()
        frame = pd.DataFrame({unit: fit_row(p["fit_measures"], p["n_obs"]) for unit, p in results.items()}).T
        shown = robust_table(frame)
        robust = robust_note(opts) if any(is_robust(p["fit_measures"]) for p in results.values()) else ""
        out.tables.append(
            make_table(
                "cfa_fit",
                "CFA fit",
                frame,
                display=fit_display(frame, robust=bool(robust)),
                label=ctx.label,
                note="Good fit: CFI >= .95, RMSEA <= .06, SRMR <= .08 (Hu & Bentler 1999)."
                + robust
                + " "
                + sentence(_n_note(ctx, opts, frame)),
            )
        )
        chi2 = "scaled chi2" if robust else "chi2"
        for unit, row in shown.iterrows():
            fit = (
                f"CFI {fmt_bounded(row['cfi'], 3)}, RMSEA {fmt_bounded(row['rmsea'], 3)}: "
                f"{interpret_fit(row['cfi'], row['rmsea'], row['srmr'])} fit"
                if pd.notna(row["cfi"])
                else "robust CFI and RMSEA undefined (see the caveat)"
            )
            out.text.append(
                f"{sentence(unit)}: {chi2}({fmt(int(row['df']), 0)}) = {fmt(row['chisq'])}, {fit} "
                f"(n = {fmt(row['n_obs'], 0)})."
            )
        out.text.extend(c for c in (_parameters_caveat(frame), _undefined_caveat(frame, results)) if c)
        verdicts = [interpret_fit(r["cfi"], r["rmsea"], r["srmr"]) for _, r in shown.iterrows()]
        per_group = ", ".join(f"{v} {verdicts[1:].count(v)}" for v in dict.fromkeys(verdicts[1:]))
        out.summary = out.text[0] + (f" Per group: {per_group}." if len(verdicts) > 1 else "")
        if "pooled" in results:
            estimates = results["pooled"]["estimates"]
            loadings = estimates.loc[
                estimates["op"] == "=~", ["lhs", "rhs", "est", "se", "pvalue", "std_all"]
            ].reset_index(drop=True)
            display = apa_frame(loadings, {"lhs": ctx.label, "rhs": ctx.label})
            display.columns = ["factor", "item", *display.columns[2:]]
            note = (
                f"Standardised: completely standardised loading (std.all). n = {fmt(frame.loc['pooled', 'n_obs'], 0)}."
            )
            out.tables.append(
                make_table(
                    "cfa_loadings", "CFA loadings (pooled)", loadings, display=display, label=ctx.label, note=note
                )
            )
        return out

    def methods(self, ctx, opts, results):
        frame = pd.DataFrame({unit: fit_row(p["fit_measures"], p["n_obs"]) for unit, p in results.items()}).T
        model = "the spec's model" if opts.get("model") else "one factor per scale, items loading only on their scale"
        where = f", pooled and in every group by {ctx.label(ctx.group)}" if len(results) > 1 else ""
        scale = "latent variances fixed at 1" if opts.get("std_lv") else "each factor scaled by its first loading"
        lines = [
            f"Confirmatory factor analysis{where}: {model} ({scale}), estimated by "
            f"{estimation_words(opts, ctx=ctx)}; {_n_note(ctx, opts, frame)}"
        ]
        lines.extend(merge_sentence(merges_of(ctx, opts, model_of(ctx, opts)), ctx))
        lines.extend(nesting_caveat(ctx, opts))
        return lines


def _n_note(ctx, opts, frame: pd.DataFrame) -> str:
    """The respondents each model used, of those in the data, and how many were left out."""
    parts = (
        [f"pooled {n_sentence(ctx, opts, int(frame.loc['pooled', 'n_obs']), model_of(ctx, opts))}"]
        if "pooled" in frame.index
        else []
    )
    sites = frame.drop(index="pooled", errors="ignore")["n_obs"]
    if len(sites):
        sizes = ctx.scored[ctx.group].astype(str).value_counts()
        left_out = [int(sizes[site] - n) for site, n in sites.items()]
        parts.append(
            f"per site {n_range(sites)}"
            + (
                f" ({n_range(left_out).replace('n = ', '')} left out per site)"
                if any(left_out)
                else " (every respondent of each site)"
            )
        )
    return "; ".join(parts) + "."


def _undefined_caveat(frame: pd.DataFrame, results: dict) -> str:
    """Ordinal fits whose robust CFI/RMSEA are undefined (lavaan 0.6-14 gives NA when a polychoric correlation
    matrix is not positive definite): say so and give the scaled indices instead."""
    undefined = [
        u
        for u in frame.index
        if "cfi_robust" in frame.columns
        and pd.isna(frame.loc[u, "cfi_robust"])
        and pd.notna(results[u]["fit_measures"].get("cfi_scaled", np.nan))
    ]
    if not undefined:
        return ""
    scaled = "; ".join(
        f"{u}: CFI {fmt_bounded(results[u]['fit_measures']['cfi_scaled'], 3)}, RMSEA "
        f"{fmt_bounded(results[u]['fit_measures']['rmsea_scaled'], 3)}"
        for u in undefined
    )
    return (
        f"Caveat: the robust CFI, TLI and RMSEA of {', '.join(undefined)} are undefined (lavaan 0.6-14 gives NA: "
        f"the polychoric correlation matrix is not positive definite, e.g. with few respondents per category); "
        f"the scaled indices, which tend to overstate the fit of ordinal models (Savalei 2021), are {scaled}."
    )


def _parameters_caveat(frame: pd.DataFrame) -> str:
    """Models with fewer than 5 respondents per free parameter (Bentler & Chou 1987): unstable estimates."""
    thin = frame.loc[frame["n_obs"] < MIN_N_PER_PARAMETER * frame["npar"]]
    if thin.empty:
        return ""
    where = ", ".join(str(u) for u in thin.index)
    return (
        f"Caveat: {where}: {n_range(thin['npar']).replace('n = ', '')} free parameters estimated from "
        f"{n_range(thin['n_obs'])} respondents, fewer than {MIN_N_PER_PARAMETER} respondents per parameter "
        f"(Bentler & Chou 1987): fit indices and estimates of these models are unstable; read them as "
        f"descriptive."
    )
