"""The report's sections. Each analysis type of a spec is one section class that

- lists its units (``"pooled"`` and, where the analysis runs per site, each group label),
- computes one unit from the checked :class:`~psychometrics.report.context.Context` through the public API
  (a pure function of its inputs: units run in any order, in other processes, with the same results),
- renders tables, figures and plain-word interpretations from the units that succeeded.

A unit may return ``{"errors": {...}}`` next to its results for parts that failed; the unit is then reported as
failed while its other numbers are kept.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from . import figures
from .formatting import fmt, fmt_bounded, fmt_ci, fmt_p, interpret_alpha, interpret_fit, interpret_icc, interpret_kmo
from .tables import Table, make_table

__all__ = ["SECTIONS", "Rendered", "api"]


class ModuleUnavailable(RuntimeError):
    """A section needs a public function that the installed package does not provide (yet)."""


def api(name: str):
    """The public function ``psychometrics.<name>``, or ModuleUnavailable saying which one is missing."""
    import psychometrics

    function = getattr(psychometrics, name, None)
    if not callable(function):  # absent, or still the placeholder module of the same name
        raise ModuleUnavailable(f"psychometrics.{name} is not available in this version of the package.")
    return function


@dataclasses.dataclass
class Rendered:
    """What a section shows: tables, figures (name, title, svg) and interpretation lines."""

    tables: list = dataclasses.field(default_factory=list)
    figures: list = dataclasses.field(default_factory=list)
    text: list = dataclasses.field(default_factory=list)
    summary: str = ""  # one line for the report's key findings (default: the first text line)

    @property
    def headline(self) -> str:
        return self.summary or (self.text[0] if self.text else "")


def _value(obj, name, default=None):
    """A field of a result object or a key of a mapping."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _frame_of(obj) -> pd.DataFrame | None:
    if isinstance(obj, pd.DataFrame):
        return obj
    if hasattr(obj, "to_frame"):
        frame = obj.to_frame()
        return frame if isinstance(frame, pd.DataFrame) else None
    return None


def _model_from_scales(scales: dict) -> str:
    """One factor per scale, lavaan syntax."""
    return "\n".join(f"{scale} =~ {' + '.join(items)}" for scale, items in scales.items())


def _model_columns(model: str, data: pd.DataFrame) -> list[str]:
    """The data columns a model names as observed variables, in data order (scale scores named like a latent
    variable are left out: cfa refuses a factor that shadows a column)."""
    latent = set(re.findall(r"([A-Za-z_.][A-Za-z0-9_.]*)\s*=~", model))
    tokens = set(re.findall(r"[A-Za-z_.][A-Za-z0-9_.]*", model)) - latent
    return [c for c in data.columns if str(c) in tokens]


class Section:
    """Base class: one unit ("pooled"), no output."""

    type = ""
    title = ""

    def units(self, ctx, opts) -> list[str]:
        return ["pooled"]

    def compute(self, ctx, opts, unit: str) -> dict:
        raise NotImplementedError

    def render(self, ctx, opts, results: dict) -> Rendered:
        return Rendered()


class PerGroupSection(Section):
    """A section computed pooled and, with ``per_group`` (default ``per_group_default``), for every group."""

    per_group_default = False

    def units(self, ctx, opts) -> list[str]:
        per_group = opts.get("per_group", self.per_group_default)
        return ["pooled", *ctx.groups] if per_group and ctx.group else ["pooled"]


class SampleSection(Section):
    type, title = "sample", "Sample"

    def compute(self, ctx, opts, unit):
        data = ctx.data
        columns = [c for c in dict.fromkeys([ctx.group, *ctx.group_columns]) if c and c in data.columns]
        counts = {
            column: pd.DataFrame({"n": data[column].astype(str).value_counts().sort_index()})
            .assign(percent=lambda f: 100 * f["n"] / len(data))
            for column in columns
        }
        items = ctx.items or [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
        declared = pd.Series({i: data[i].isin(ctx.missing_codes.get(i, [])).mean() for i in items}, dtype=float)
        missing = pd.DataFrame({"missing": ctx.scored[items].isna().mean(), "declared_missing_code": declared})
        return {"n": len(data), "counts": counts, "missing": missing}

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        out = Rendered()
        for column, frame in payload["counts"].items():
            out.tables.append(make_table(f"sample_by_{column}", f"Respondents by {column}", frame,
                                         formats={"percent": lambda v: fmt(v, 1)}))
        if ctx.group and ctx.group in payload["counts"]:
            sizes = payload["counts"][ctx.group]["n"]
            out.text.append(f"N = {payload['n']} respondents in {len(sizes)} groups of {ctx.group} "
                            f"({sizes.min()} to {sizes.max()} per group).")
        else:
            out.text.append(f"N = {payload['n']} rows.")
        missing = payload["missing"]
        out.tables.append(make_table("missing_by_item", "Share of missing answers by item", missing,
                                     formats={c: lambda v: fmt(100 * v, 1) + "%" for c in missing.columns}))
        codes = " (declared missing codes such as not applicable included)" if ctx.missing_codes else ""
        out.text.append(f"Missing answers per item: {fmt(100 * missing['missing'].min(), 1)}% to "
                        f"{fmt(100 * missing['missing'].max(), 1)}%{codes}.")
        return out


def _answered(data: pd.DataFrame, items: list) -> pd.DataFrame:
    """The items of one scale, without the respondents who answered none of them (they say nothing about it)."""
    return data[items].dropna(how="all")


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
        item_statistics = api("item_statistics")
        data = ctx.subset(unit)
        stats = {scale: item_statistics(_answered(data, items)) for scale, items in ctx.scales.items()}
        return {"items": stats, "response_shares": _response_shares(ctx, unit)}

    def render(self, ctx, opts, results):
        out = Rendered()
        for unit, payload in results.items():
            frame = pd.concat({s: _frame_of(r) for s, r in payload["items"].items()}, names=["scale", "item"])
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


class ReliabilitySection(PerGroupSection):
    type, title = "reliability", "Reliability by scale and site"
    per_group_default = True

    def compute(self, ctx, opts, unit):
        cronbach_alpha = api("cronbach_alpha")
        data = ctx.subset(unit)
        payload, errors = {}, {}
        for scale, items in ctx.scales.items():
            payload[scale] = {"alpha": cronbach_alpha(_answered(data, items), ci=opts.get("ci", "feldt"),
                                                      confidence=opts.get("confidence", 0.95),
                                                      n_boot=opts.get("n_boot", 1000), seed=ctx.spec.seed)}
            if opts.get("omega", True):
                try:
                    payload[scale]["omega"] = api("omega")(_answered(data, items), n_factors=1)
                except Exception as exc:  # noqa: BLE001 - reported with the unit, alpha is kept
                    errors[f"{scale}.omega"] = f"{type(exc).__name__}: {exc}"
        return {"scales": payload, "errors": errors} if errors else {"scales": payload}

    def _long(self, results) -> pd.DataFrame:
        rows = []
        for unit, payload in results.items():
            for scale, entry in payload["scales"].items():
                alpha = entry["alpha"]
                low, high = alpha.ci if alpha.ci is not None else (np.nan, np.nan)
                omega = _value(entry.get("omega"), "omega_total", np.nan)
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


class IccSection(Section):
    type, title = "icc", "Intraclass correlations"

    def compute(self, ctx, opts, unit):
        columns = opts.get("columns") or [c for c in ctx.data.columns if pd.api.types.is_numeric_dtype(ctx.data[c])]
        return {"icc": api("icc")(ctx.scored[columns], confidence=opts.get("confidence", 0.95))}

    def render(self, ctx, opts, results):
        table = _frame_of(results["pooled"]["icc"])
        out = Rendered([make_table("icc", "Intraclass correlations (Shrout & Fleiss 1979)", table)])
        for form, row in table.iterrows():
            out.text.append(f"{form}: ICC {fmt_bounded(row['icc'])} {fmt_ci(row['ci_low'], row['ci_high'])}: "
                            f"{interpret_icc(row['icc'])} ({row.get('description', '')}).")
        return out


def _factor_input(ctx, opts):
    """(data or correlation matrix, n_obs) of the factor-analytic sections."""
    columns = opts.get("columns") or ctx.items or list(ctx.data.columns)
    if ctx.is_correlation_matrix:
        return ctx.data.loc[columns, columns], ctx.n_obs
    return ctx.scored[columns], None


class EfaSection(Section):
    type, title = "efa", "Exploratory factor analysis"

    def compute(self, ctx, opts, unit):
        data, n_obs = _factor_input(ctx, opts)
        payload = {"kmo": api("kmo")(data), "bartlett": api("bartlett_sphericity")(data, n_obs=n_obs)}
        wanted = opts.get("n_factors", "scales" if ctx.is_correlation_matrix else "parallel")
        if not ctx.is_correlation_matrix:
            payload["parallel"] = api("parallel_analysis")(data, n_iter=opts.get("n_iter", 100),
                                                           quantile=opts.get("quantile"), seed=ctx.spec.seed,
                                                           cor=opts.get("cor", "pearson"))
        if wanted == "parallel":
            n_factors = int(payload["parallel"].n_factors)
        elif wanted == "scales":
            n_factors = len(ctx.scales)
        else:
            n_factors = int(wanted)
        payload["efa"] = api("efa")(data, n_factors, method=opts.get("method", "minres"),
                                    rotation=opts.get("rotation", "oblimin"), n_obs=n_obs,
                                    cor=opts.get("cor", "pearson"))
        return payload

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        out = Rendered()
        kmo, bartlett = payload["kmo"], payload["bartlett"]
        out.text.append(f"KMO {fmt_bounded(kmo.overall)}: {interpret_kmo(kmo.overall)}; Bartlett's test "
                        f"chi2({fmt(bartlett.df, 0)}) = {fmt(bartlett.statistic)}, p {_p_phrase(bartlett.pvalue)}.")
        parallel = payload.get("parallel")
        if parallel is not None:
            out.text.append(f"Parallel analysis suggests {parallel.n_factors} factor(s) and "
                            f"{parallel.n_components} component(s).")
            eigen = parallel.eigenvalues
            out.tables.append(make_table("parallel_analysis", "Parallel analysis eigenvalues", eigen,
                                         formats={c: lambda v: fmt(v, 2) for c in eigen.columns}))
            out.figures.append(("scree", "Scree plot with parallel analysis",
                                figures.scree(eigen.select_dtypes("number"), "Scree plot with parallel analysis")))
        fit = payload["efa"]
        loadings = fit.loadings.copy()
        table = loadings.assign(h2=fit.communalities)
        out.tables.append(make_table("efa_loadings", f"Pattern loadings ({opts.get('method', 'minres')}, "
                                     f"{opts.get('rotation', 'oblimin')} rotation)", table,
                                     note="h2: communality."))
        if fit.phi is not None:
            out.tables.append(make_table("efa_factor_correlations", "Factor correlations", fit.phi))
        fit_frame = pd.DataFrame([pd.Series(fit.fit, dtype=float)], index=["fit"])
        shown = [c for c in ("chisq", "dof", "pvalue", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "bic",
                             "rms") if c in fit_frame]
        out.tables.append(make_table("efa_fit", "EFA fit (as psych::fa)", fit_frame,
                                     display=make_table("", "", fit_frame[shown]).display))
        out.text.extend(_loading_pattern(loadings))
        if ctx.scales and set(ctx.items) <= set(loadings.index):
            out.text.append(_factors_of_scales(loadings, ctx.scales))
        out.figures.append(("loadings", "Loading heatmap", figures.heatmap(loadings, "Pattern loadings")))
        return out


def _factors_of_scales(loadings: pd.DataFrame, scales: dict) -> str:
    """Which factor each scale's items load on most (their primary factor), and whether they all agree."""
    primary = loadings.abs().idxmax(axis=1)
    parts, split = [], []
    for scale, items in scales.items():
        factors = primary.loc[items]
        parts.append(f"{scale} {factors.mode().iloc[0]}")
        if factors.nunique() > 1:
            split.append(scale)
    verdict = ("each scale's items share one primary factor" if not split else
               f"the items of {', '.join(split)} load primarily on different factors")
    distinct = len({p.split()[-1] for p in parts}) == len(parts)
    return (f"Factors and scales: {'; '.join(parts)}: {verdict}"
            f"{' and every scale has its own factor' if distinct and not split else ''}.")


def _loading_pattern(loadings: pd.DataFrame, salient: float = 0.30, weak: float = 0.40) -> list[str]:
    """Items without a clear primary loading or with cross-loadings (|loading| >= .30 on several factors)."""
    lines = []
    for item, row in loadings.iterrows():
        high = row[row.abs() >= salient]
        if len(high) > 1:
            shown = ", ".join(f"{f} {fmt_bounded(v)}" for f, v in high.items())
            lines.append(f"{item} cross-loads (|loading| >= .30 on {shown}).")
        elif row.abs().max() < weak:
            lines.append(f"{item} has no loading of .40 or more (largest {fmt_bounded(row.abs().max())}).")
    if not lines:
        lines.append(f"Every item loads .40 or more on one factor and below .30 on the others "
                     f"({loadings.shape[1]} factors).")
    return lines


def _p_phrase(p) -> str:
    text = fmt_p(p)
    return text if text.startswith("<") else f"= {text}"


class OmegaSection(Section):
    type, title = "omega", "McDonald's omega (Schmid-Leiman)"

    def compute(self, ctx, opts, unit):
        data, n_obs = _factor_input(ctx, opts)
        return {"omega": api("omega")(data, n_factors=opts.get("n_factors", 3), n_obs=n_obs)}

    def render(self, ctx, opts, results):
        result = results["pooled"]["omega"]
        names = ["omega_total", "omega_hierarchical", "omega_asymptotic", "alpha", "ecv"]
        summary = pd.DataFrame({"value": [_value(result, n, np.nan) for n in names]}, index=names)
        out = Rendered([make_table("omega", "Omega coefficients", summary)])
        loadings = _frame_of(result)
        if loadings is not None:
            out.tables.append(make_table("omega_schmid_leiman", "Schmid-Leiman loadings (g: general factor)",
                                         loadings, note="h2: communality; u2: uniqueness; p2: share of h2 due "
                                                        "to g."))
        out.text.append(f"omega total {fmt_bounded(result.omega_total)}, omega hierarchical "
                        f"{fmt_bounded(result.omega_hierarchical)}: {interpret_alpha(result.omega_total)} "
                        f"total reliability, the general factor explains "
                        f"{fmt(100 * result.omega_hierarchical / result.omega_total, 0)}% of the reliable variance.")
        return out


_FIT_COLUMNS = ["npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
                "aic", "bic"]


# With estimator MLR the report shows the scaled chi-square and the robust indices (lavaan's "Robust" column).
_ROBUST = {"chisq": "chisq_scaled", "pvalue": "pvalue_scaled", "cfi": "cfi_robust", "tli": "tli_robust",
           "rmsea": "rmsea_robust", "rmsea_ci_lower": "rmsea_ci_lower_robust",
           "rmsea_ci_upper": "rmsea_ci_upper_robust"}
_ROBUST_NOTE = " With MLR: scaled chi-square, robust CFI, TLI and RMSEA (lavaan 0.6)."


def _estimation(opts) -> dict:
    """The cfa options a section passes on (lavaan's defaults, ML and listwise, when the spec names none)."""
    return {k: opts[k] for k in ("estimator", "missing") if k in opts}


def _robust(values) -> bool:
    return "chisq_scaled" in values


def _fit_row(fit_measures: dict, n_obs) -> dict:
    shown = {k: _ROBUST.get(k, k) if _robust(fit_measures) else k for k in _FIT_COLUMNS}
    row = {"n_obs": sum(n_obs.values()) if isinstance(n_obs, dict) else n_obs}
    row.update({k: fit_measures.get(name, np.nan) for k, name in shown.items()})
    return row


def _robust_table(table: pd.DataFrame) -> pd.DataFrame:
    """An invariance table with the robust fit in the plain columns when it has them."""
    if not _robust(table.columns):
        return table
    return table.assign(**{k: table[v] for k, v in _ROBUST.items() if v in table.columns})


def _fit_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Fit measures as APA: chi2(df), p, CFI, TLI, RMSEA [90% CI], SRMR, interpretation."""
    return pd.DataFrame({
        "N": frame["n_obs"].map(lambda v: fmt(int(v), 0) if pd.notna(v) else fmt(None)),
        "chi2 (df)": [f"{fmt(c)} ({fmt(int(d), 0) if pd.notna(d) else fmt(None)})"
                      for c, d in zip(frame["chisq"], frame["df"])],
        "p": frame["pvalue"].map(fmt_p),
        "CFI": frame["cfi"].map(lambda v: fmt_bounded(v, 3)),
        "TLI": frame["tli"].map(lambda v: fmt_bounded(v, 3)),
        "RMSEA [90% CI]": [f"{fmt_bounded(r, 3)} {fmt_ci(lo, hi, 3)}" for r, lo, hi in
                           zip(frame["rmsea"], frame["rmsea_ci_lower"], frame["rmsea_ci_upper"])],
        "SRMR": frame["srmr"].map(lambda v: fmt_bounded(v, 3)),
        "fit": [interpret_fit(c, r, s) for c, r, s in zip(frame["cfi"], frame["rmsea"], frame["srmr"])],
    }, index=frame.index)


def _cfa(ctx, opts, data):
    model = opts.get("model") or _model_from_scales(ctx.scales)
    return api("cfa")(model, data[_model_columns(model, data)], std_lv=opts.get("std_lv", False),
                      **_estimation(opts))


class CfaSection(PerGroupSection):
    type, title = "cfa", "Confirmatory factor analysis"

    def compute(self, ctx, opts, unit):
        fit = _cfa(ctx, opts, ctx.subset(unit))
        return {"fit_measures": dict(fit.fit_measures), "estimates": fit.estimates, "converged": fit.converged,
                "n_obs": fit.n_obs}

    def render(self, ctx, opts, results):
        out = Rendered()
        frame = pd.DataFrame({unit: _fit_row(p["fit_measures"], p["n_obs"]) for unit, p in results.items()}).T
        out.tables.append(make_table("cfa_fit", "CFA fit", frame, display=_fit_display(frame),
                                     note="Good fit: CFI >= .95, RMSEA <= .06, SRMR <= .08 (Hu & Bentler 1999)." +
                                          (_ROBUST_NOTE if any(_robust(p["fit_measures"]) for p in results.values())
                                           else "")))
        for unit, row in frame.iterrows():
            out.text.append(f"{unit}: chi2({fmt(int(row['df']), 0)}) = {fmt(row['chisq'])}, CFI "
                            f"{fmt_bounded(row['cfi'], 3)}, RMSEA {fmt_bounded(row['rmsea'], 3)}: "
                            f"{interpret_fit(row['cfi'], row['rmsea'], row['srmr'])} fit.")
        verdicts = [interpret_fit(r["cfi"], r["rmsea"], r["srmr"]) for _, r in frame.iterrows()]
        out.summary = out.text[0] + (f" Per group: {', '.join(f'{v} {verdicts[1:].count(v)}' for v in dict.fromkeys(verdicts[1:]))}."
                                     if len(verdicts) > 1 else "")
        if "pooled" in results:
            estimates = results["pooled"]["estimates"]
            loadings = estimates.loc[estimates["op"] == "=~",
                                     ["lhs", "rhs", "est", "se", "pvalue", "std_all"]].reset_index(drop=True)
            out.tables.append(make_table("cfa_loadings", "CFA loadings (pooled)", loadings,
                                         note="std_all: completely standardised loading."))
        return out


class InvarianceSection(Section):
    """The invariance ladder of the spec's model, or (``by_scale``) of each scale's one-factor model: scale by
    scale, listwise deletion keeps far more respondents per site than for the whole instrument."""

    type, title = "invariance", "Measurement invariance"

    def units(self, ctx, opts):
        return list(ctx.scales) if opts.get("by_scale") else ["pooled"]

    def compute(self, ctx, opts, unit):
        if unit == "pooled":
            model = opts.get("model") or _model_from_scales(ctx.scales)
        else:
            model = _model_from_scales({unit: ctx.scales[unit]})
        group = opts.get("group") or ctx.group
        data = ctx.scored[_model_columns(model, ctx.scored) + [group]]
        levels = tuple(opts.get("levels", ("configural", "metric", "scalar", "strict")))
        result = api("measurement_invariance")(model, data, group, levels=levels, **_estimation(opts))
        return {"table": result.table, "partial_suggestions": _partial_suggestions(result)}

    def render(self, ctx, opts, results):
        out = Rendered()
        tables = {unit: _robust_table(payload["table"]) for unit, payload in results.items()}
        robust = _ROBUST_NOTE if any(_robust(p["table"].columns) for p in results.values()) else ""
        combined = pd.concat(tables, names=["model", "level"])
        combined.index = [level if model == "pooled" else f"{model} | {level}" for model, level in combined.index]
        out.tables.append(make_table("invariance", "Measurement invariance across " + str(opts.get("group") or
                                     ctx.group), combined, display=_invariance_display(combined),
                                     note="Each level is compared with the one before; holds: chi-square "
                                          "difference test at .05 / Chen (2007) cut-offs (a drop in CFI of .010 "
                                          "or more together with a rise in RMSEA or SRMR past its cut-off)." + robust))
        out.summary = "; ".join(_highest_level("" if unit == "pooled" else f"{unit}: ", table)
                                for unit, table in tables.items())
        for unit, table in tables.items():
            out.text.extend(_invariance_text("" if unit == "pooled" else f"{unit}: ", table))
            out.text.extend(_release_text("" if unit == "pooled" else f"{unit}: ", results[unit]))
        found = {u: p["partial_suggestions"] for u, p in results.items()
                 if isinstance(p["partial_suggestions"], pd.DataFrame) and len(p["partial_suggestions"])}
        out.text.extend(f"Score tests for partial invariance: {p['partial_suggestions']}" for p in results.values()
                        if isinstance(p["partial_suggestions"], str))
        if found:
            suggestions = pd.concat(found, names=["model", "rank"])
            suggestions.index = [str(r + 1) if m == "pooled" else f"{m} | {r + 1}" for m, r in suggestions.index]
            out.tables.append(make_table("invariance_partial", "Constraints whose release would improve fit most "
                                         "(score tests)", suggestions,
                                         note="mi: univariate score test (chi-square, 1 df) of the equality "
                                              "constraint at the first level that does not hold (lavTestScore)."))
        out.figures.append(("invariance_ladder", "Invariance ladder",
                            figures.invariance_ladder(tables, "Fit at each level of invariance")))
        return out


def _holds(row, column: str) -> str:
    value = row.get(column, row.get("holds"))
    return "\u2014" if value is None or pd.isna(value) else ("yes" if bool(value) else "no")


def _invariance_display(table: pd.DataFrame) -> pd.DataFrame:
    """The ladder as APA: fit of each level and the change from the level before."""
    return pd.DataFrame({
        "chi2 (df)": [f"{fmt(c)} ({fmt(d, 0)})" for c, d in zip(table["chisq"], table["df"])],
        "CFI": table["cfi"].map(lambda v: fmt_bounded(v, 3)),
        "RMSEA": table["rmsea"].map(lambda v: fmt_bounded(v, 3)),
        "SRMR": table["srmr"].map(lambda v: fmt_bounded(v, 3)),
        "delta chi2 (df)": [fmt(None) if pd.isna(c) else f"{fmt(c)} ({fmt(d, 0)})"
                            for c, d in zip(table["delta_chisq"], table["delta_df"])],
        "p": table["delta_pvalue"].map(fmt_p),
        "delta CFI": table["delta_cfi"].map(lambda v: fmt_bounded(v, 3)),
        "delta RMSEA": table["delta_rmsea"].map(lambda v: fmt_bounded(v, 3)),
        "holds (chi2 / Chen)": [f"{_holds(r, 'holds_chisq')} / {_holds(r, 'holds_chen')}"
                                if pd.notna(r.get("delta_chisq")) else fmt(None) for _, r in table.iterrows()],
    }, index=table.index)


def _partial_suggestions(result):
    """The five constraints whose release helps most, or the reason why there are none (score tests are not
    available for every estimator, e.g. with FIML)."""
    from ..errors import PsychometricsError

    try:
        return result.partial_suggestions(top=5)
    except PsychometricsError as exc:
        return str(exc)


def _highest_level(where: str, table: pd.DataFrame) -> str:
    """The last level reached without a failing step, by Chen's cut-offs and by the chi-square test."""
    def reached(column: str) -> str:
        level = table.index[0]
        for name, row in table.iloc[1:].iterrows():
            if not bool(row.get(column, row.get("holds"))):
                break
            level = name
        return level

    return (f"{where}invariance up to the {reached('holds_chen')} level by Chen's cut-offs, up to the "
            f"{reached('holds_chisq')} level by the chi-square difference test")


def _release_text(where: str, payload: dict) -> list[str]:
    """The constraint whose release helps most, when the ladder breaks."""
    table, suggestions = payload["table"], payload["partial_suggestions"]
    if table["holds"].iloc[1:].astype(bool).all() or not isinstance(suggestions, pd.DataFrame) or suggestions.empty:
        return []
    top = suggestions.iloc[0]
    what = {"~1": "intercept", "=~": "loading", "~~": "variance"}.get(top["op"], top["op"])
    name = top["rhs"] if top["op"] == "=~" else top["lhs"]
    return [f"{where}largest misfit: the {what} of {name} in group {top['group']} (score test chi2(1) = "
            f"{fmt(top['mi'])}, p {_p_phrase(top['pvalue'])}, expected change {fmt(top['epc'])}); releasing it "
            f"is the first step towards partial invariance."]


def _invariance_text(where: str, table: pd.DataFrame) -> list[str]:
    lines, failed_before = [], False
    for level, row in table.iloc[1:].iterrows():
        caveat = " (compared with a level that did not hold)" if failed_before else ""
        lines.append(f"{where}{level} invariance: delta chi2({fmt(row['delta_df'], 0)}) = {fmt(row['delta_chisq'])}, "
                     f"p {_p_phrase(row['delta_pvalue'])}, delta CFI {fmt_bounded(row['delta_cfi'], 3)}, delta RMSEA "
                     f"{fmt_bounded(row['delta_rmsea'], 3)}: holds by the chi-square test: "
                     f"{_holds(row, 'holds_chisq')}, by Chen's cut-offs: {_holds(row, 'holds_chen')}{caveat}.")
        failed_before = failed_before or not bool(row.get("holds"))
    return lines


def _generic_tables(prefix: str, title: str, payload: dict) -> list[Table]:
    """Every table-like value of a payload as a report table."""
    tables = []
    for key, value in payload.items():
        frame = _frame_of(value)
        if frame is None and isinstance(value, pd.Series):
            frame = value.to_frame(key)
        if frame is not None:
            numbers = frame.select_dtypes(include=["number", "bool"]).astype(float)
            if numbers.shape[1]:
                tables.append(make_table(f"{prefix}_{key}", f"{title}: {key.replace('_', ' ')}", frame))
    return tables


class ValiditySection(Section):
    type, title = "validity", "Convergent and discriminant validity"

    def compute(self, ctx, opts, unit):
        model = opts.get("model") or _model_from_scales(ctx.scales)
        data = ctx.scored[_model_columns(model, ctx.scored)]
        fit = api("cfa")(model, data, **_estimation(opts))
        return {
            "htmt": api("htmt")(model if opts.get("model") else ctx.scales, data, htmt2=opts.get("htmt2", True)),
            "ave": api("ave")(fit),
            "composite_reliability": api("composite_reliability")(fit),
            "fornell_larcker": api("fornell_larcker")(fit),
        }

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        out = Rendered(_generic_tables("validity", "Validity", payload))
        htmt = _frame_of(payload["htmt"])
        if htmt is not None:
            values = htmt.to_numpy(dtype=float)
            upper = [(htmt.index[i], htmt.columns[j], values[i, j]) for i in range(len(htmt))
                     for j in range(len(htmt.columns)) if j > i and np.isfinite(values[i, j])]
            high = [f"{a}-{b} ({fmt_bounded(v)})" for a, b, v in upper if v >= 0.85]
            out.text.append("HTMT: every pair below .85: discriminant validity supported." if not high else
                            f"HTMT at or above .85 (discriminant validity questionable): {', '.join(high)}.")
            out.figures.append(("htmt", "HTMT heatmap", figures.heatmap(htmt, "HTMT", vmin=0, vmax=1)))
        return out


class MtmmSection(Section):
    type, title = "mtmm", "Multitrait-multimethod matrix (scale scores and global ratings)"

    def compute(self, ctx, opts, unit):
        if not ctx.global_items:
            raise ValueError("the MTMM section needs global ratings of the scales in the instrument.")
        scales = [s for s in ctx.scales if s in ctx.global_items]
        columns = scales + [ctx.global_items[s] for s in scales]
        traits = {**{s: s for s in scales}, **{ctx.global_items[s]: s for s in scales}}
        methods = {**{s: "multi_item" for s in scales}, **{ctx.global_items[s]: "global_rating" for s in scales}}
        return {"mtmm": api("mtmm")(ctx.scored[columns], traits, methods)}

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        result = payload["mtmm"]
        out = Rendered(_generic_tables("mtmm", "MTMM", {k: getattr(result, k, None) for k in
                                                         ("validity_diagonal", "summary", "campbell_fiske")}))
        corr = result.correlation
        half = len(corr) // 2
        out.figures.append(("mtmm", "MTMM correlation heatmap", figures.heatmap(corr, "MTMM correlations",
                                                                               blocks=[half])))
        criteria = _frame_of(getattr(result, "campbell_fiske", None))
        if criteria is not None and "proportion" in criteria:
            for name, row in criteria.iterrows():
                out.text.append(f"{str(name).replace('_', ' ')}: {fmt(row['satisfied'], 0)} of "
                                f"{fmt(row['total'], 0)} comparisons ({fmt(100 * row['proportion'], 0)}%).")
        return out


def _scores_against(ctx, column, what: str) -> tuple[pd.DataFrame, pd.Series]:
    """The scale scores and the column they are compared with (a criterion or a grouping)."""
    if column is None or column not in ctx.scored.columns:
        raise ValueError(f"{what}: the data have no column {column!r}; name one in the spec "
                         "(criterion: / by:) or in the instrument.")
    return ctx.scored[list(ctx.scales)], ctx.scored[column]


class CriterionSection(Section):
    type, title = "criterion", "Criterion validity"

    def compute(self, ctx, opts, unit):
        criterion = opts.get("criterion") or (ctx.criteria[0] if ctx.criteria else None)
        scores, values = _scores_against(ctx, criterion, "criterion validity")
        return {"criterion": criterion, "result": api("criterion_validity")(scores, values)}

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        table = _frame_of(payload["result"])
        out = Rendered([make_table("criterion", f"Correlations with {payload['criterion']}", table)])
        for scale, row in table.iterrows():
            out.text.append(f"{scale}: r = {fmt_bounded(row['r'])} {fmt_ci(row['ci_low'], row['ci_high'])} with "
                            f"{payload['criterion']}, p {_p_phrase(row['pvalue'])} (n = {fmt(row['n'], 0)}).")
        return out


class KnownGroupsSection(Section):
    type, title = "known_groups", "Known-groups validity"

    def compute(self, ctx, opts, unit):
        scores, groups = _scores_against(ctx, opts["by"], "known-groups comparison")
        return {"by": opts["by"], "result": api("known_groups")(scores, groups)}

    def render(self, ctx, opts, results):
        by, result = results["pooled"]["by"], results["pooled"]["result"]
        table = _frame_of(result)
        out = Rendered([make_table("known_groups", f"Scale scores by {by} ({result.test.replace('_', ' ')})",
                                   table)])
        descriptives = result.descriptives.pivot(index="scale", columns="group", values="mean")
        out.tables.append(make_table("known_groups_means", f"Mean scale scores by {by}",
                                     descriptives.loc[list(dict.fromkeys(result.descriptives["scale"])),
                                                      list(result.groups)]))
        differ = table.index[table["pvalue"] < 0.05].tolist()
        effect = "eta_squared" if "eta_squared" in table else "hedges_g"
        if differ:
            out.text.extend(f"{scale} differs by {by}: p {_p_phrase(table.loc[scale, 'pvalue'])}, "
                            f"{effect.replace('_', ' ')} {fmt_bounded(table.loc[scale, effect], 3)}."
                            for scale in differ)
        else:
            out.text.append(f"No scale score differs by {by} at p < .05.")
        return out


SECTIONS: dict[str, Section] = {
    section.type: section
    for section in (SampleSection(), ItemStatisticsSection(), ReliabilitySection(), IccSection(), EfaSection(),
                    OmegaSection(), CfaSection(), InvarianceSection(), ValiditySection(), MtmmSection(),
                    CriterionSection(), KnownGroupsSection())
}
