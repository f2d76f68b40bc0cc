"""Measurement invariance: the ladder configural, metric, scalar, strict across the groups, for the whole model
or (``by_scale``) for each scale's one-factor model."""

from __future__ import annotations

import pandas as pd

from ... import sem
from ...errors import PsychometricsError
from .. import figures
from ..formatting import fmt, fmt_bounded, fmt_p, p_phrase
from ..tables import make_table
from ._base import Rendered, Section
from ._fit import ROBUST_NOTE, is_robust, robust_table
from ._models import estimation, model_columns, model_from_scales, model_of

__all__ = ["InvarianceSection"]


class InvarianceSection(Section):
    """The invariance ladder of the spec's model, or (``by_scale``) of each scale's one-factor model: scale by
    scale, listwise deletion keeps far more respondents per site than for the whole instrument."""

    type, title = "invariance", "Measurement invariance"

    def units(self, ctx, opts):
        return list(ctx.scales) if opts.get("by_scale") else ["pooled"]

    def compute(self, ctx, opts, unit):
        if unit == "pooled":
            model = model_of(ctx, opts)
        else:
            model = model_from_scales({unit: ctx.scales[unit]})
        group = opts.get("group") or ctx.group
        data = ctx.scored[model_columns(model, ctx.scored) + [group]]
        levels = tuple(opts.get("levels", ("configural", "metric", "scalar", "strict")))
        result = sem.measurement_invariance(model, data, group, levels=levels, **estimation(opts))
        return {"table": result.table, "partial_suggestions": _partial_suggestions(result)}

    def render(self, ctx, opts, results):
        out = Rendered()
        tables = {unit: robust_table(payload["table"]) for unit, payload in results.items()}
        robust = ROBUST_NOTE if any(is_robust(p["table"].columns) for p in results.values()) else ""
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
            f"{fmt(top['mi'])}, p {p_phrase(top['pvalue'])}, expected change {fmt(top['epc'])}); releasing it "
            f"is the first step towards partial invariance."]


def _invariance_text(where: str, table: pd.DataFrame) -> list[str]:
    lines, failed_before = [], False
    for level, row in table.iloc[1:].iterrows():
        caveat = " (compared with a level that did not hold)" if failed_before else ""
        lines.append(f"{where}{level} invariance: delta chi2({fmt(row['delta_df'], 0)}) = {fmt(row['delta_chisq'])}, "
                     f"p {p_phrase(row['delta_pvalue'])}, delta CFI {fmt_bounded(row['delta_cfi'], 3)}, delta RMSEA "
                     f"{fmt_bounded(row['delta_rmsea'], 3)}: holds by the chi-square test: "
                     f"{_holds(row, 'holds_chisq')}, by Chen's cut-offs: {_holds(row, 'holds_chen')}{caveat}.")
        failed_before = failed_before or not bool(row.get("holds"))
    return lines
