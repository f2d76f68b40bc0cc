"""Measurement invariance: the ladder configural, metric, scalar, strict across the groups, for the whole model
or (``by_scale``) for each scale's one-factor model."""

from __future__ import annotations

import pandas as pd

from ... import sem
from ...errors import PsychometricsError
from ...sem.invariance import (
    CHEN_CFI,
    CHEN_RMSEA,
    CHEN_SRMR,
    CHEN_SRMR_DEFAULT,
    DEFAULT_LEVELS,
    LEVEL_CONSTRAINTS,
    ORDINAL_LEVELS,
)
from .. import figures
from ..formatting import fmt, fmt_bounded, fmt_p, p_phrase
from ..tables import apa_frame, make_table
from ._base import Rendered, Section, n_range
from ._fit import is_robust, robust_note, robust_table
from ._models import (
    estimation,
    estimation_words,
    fit_data,
    merges_of,
    missing_of,
    model_columns,
    model_from_scales,
    model_of,
    nesting_caveat,
)
from ._ordinal import check_categories, merge_sentence

__all__ = ["InvarianceSection"]


class InvarianceSection(Section):
    """The invariance ladder of the spec's model, or (``by_scale``) of each scale's one-factor model: scale by
    scale, listwise deletion keeps far more respondents per site than for the whole instrument."""

    type, title = "invariance", "Measurement invariance"
    cutoffs = (
        (
            "Invariance (Chen's rule)",
            f"rejected when delta CFI <= {fmt_bounded(CHEN_CFI, 3)} and (delta "
            f"RMSEA >= {fmt_bounded(CHEN_RMSEA, 3)} or delta SRMR >= {fmt_bounded(CHEN_SRMR['metric'], 3)} "
            f"for loadings, >= {fmt_bounded(CHEN_SRMR_DEFAULT, 3)} for intercepts and residuals)",
            "Chen (2007)",
        ),
        ("Invariance (chi-square)", "difference test p >= .05", "Satorra & Bentler (2001) with MLR"),
    )

    def units(self, ctx, opts):
        return list(ctx.scales) if opts.get("by_scale") else ["pooled"]

    def compute(self, ctx, opts, unit):
        if unit == "pooled":
            model = model_of(ctx, opts)
        else:
            model = model_from_scales({unit: ctx.scales[unit]})
        group = opts.get("group") or ctx.group
        data = fit_data(ctx, opts, model, ctx.scored, group)
        if opts.get("ordered"):
            check_categories(data, model_columns(model, data), group, self.title)
        result = sem.measurement_invariance(model, data, group, levels=_levels(opts), **estimation(opts, ctx))
        partial = _NO_SCORE_TESTS if opts.get("ordered") else _partial_suggestions(result)
        n_obs = next(iter(result.fits.values())).n_obs
        return {
            "table": result.table,
            "partial_suggestions": partial,
            "n_obs": dict(n_obs) if isinstance(n_obs, dict) else n_obs,
        }

    def render(self, ctx, opts, results):
        out = Rendered()
        raw = {unit: payload["table"] for unit, payload in results.items()}
        tables = {unit: robust_table(table) for unit, table in raw.items()}
        robust = any(is_robust(table.columns) for table in raw.values())
        combined = _stacked(raw, ctx)
        group = opts.get("group") or ctx.group
        out.tables.append(
            make_table(
                "invariance",
                f"Measurement invariance across {ctx.label(group)}",
                combined,
                display=_invariance_display(_stacked(tables, ctx), robust),
                label=ctx.label,
                note=_table_note(robust, opts) + " " + _n_note(ctx, opts, results),
            )
        )
        out.summary = "; ".join(_highest_level(_where(ctx, unit), table) for unit, table in tables.items())
        for unit, table in tables.items():
            out.text.extend(_invariance_text(_where(ctx, unit), table, robust))
            out.text.extend(_release_text(_where(ctx, unit), results[unit]))
        found = {
            u: p["partial_suggestions"]
            for u, p in results.items()
            if isinstance(p["partial_suggestions"], pd.DataFrame) and len(p["partial_suggestions"])
        }
        out.text.extend(
            f"Score tests for partial invariance: {p['partial_suggestions']}"
            for p in results.values()
            if isinstance(p["partial_suggestions"], str)
        )
        if found:
            suggestions = pd.concat(found, names=["model", "rank"])
            suggestions.index = [
                str(r + 1) if m == "pooled" else f"{ctx.label(m)} | {r + 1}" for m, r in suggestions.index
            ]
            shown = apa_frame(
                suggestions, {"op": lambda op: _PARAMETERS.get(op, op), "lhs": ctx.label, "rhs": ctx.label}
            )
            out.tables.append(
                make_table(
                    "invariance_partial",
                    "Constraints whose release would improve fit most (score tests)",
                    suggestions,
                    display=shown,
                    label=ctx.label,
                    note="Score test chi2(1): univariate score test of the equality constraint "
                    "at the first level that does not hold (lavTestScore). " + _n_note(ctx, opts, results),
                )
            )
        out.figures.append(
            (
                "invariance_ladder",
                "Invariance ladder",
                figures.invariance_ladder(
                    {_where(ctx, u).rstrip(": ") or u: t for u, t in tables.items()}, "Fit at each level of invariance"
                ),
            )
        )
        return out

    def methods(self, ctx, opts, results):
        group = ctx.label(opts.get("group") or ctx.group)
        levels = ", ".join(_levels(opts))
        model = (
            "each scale's one-factor model"
            if opts.get("by_scale")
            else ("the spec's model" if opts.get("model") else "the model with one factor per scale")
        )
        lines = [
            f"Measurement invariance across {group}: multi-group models of {model} at the levels {levels} "
            f"({_STEPS[bool(opts.get('ordered'))]}; lavaan group.equal), each compared "
            f"with the level before by the chi-square difference test (lavTestLRT{_difference_words(opts)}) and "
            f"by Chen's (2007) cut-offs; estimated by {estimation_words(opts, _lavaan_groups(opts, ctx), ctx)}; "
            f"{_n_note(ctx, opts, results)}"
        ]
        model_text = model_of(ctx, opts)
        lines.extend(merge_sentence(merges_of(ctx, opts, model_text), ctx))
        lines.extend(nesting_caveat(ctx, opts))
        return lines


def _lavaan_groups(opts, ctx) -> str:
    """The multi-group arguments of lavaan's call for the last level of the ladder."""
    equal = [c for level in _levels(opts) for c in LEVEL_CONSTRAINTS[level]]
    quoted = ", ".join(f'"{e}"' for e in equal)
    constraints = f", group.equal = c({quoted})" if equal else ""
    return f', group = "{opts.get("group") or ctx.group}"{constraints}'


_PARAMETERS = {"~1": "intercept", "=~": "loading", "~~": "variance"}
_NO_SCORE_TESTS = (
    "not available for ordered items (lavaan's lavTestScore needs a maximum-likelihood fit); the "
    "table shows where the ladder breaks."
)
_STEPS = {
    False: "equal loadings, then intercepts, then residual variances",
    True: "for ordered items as Wu & Estabrook (2016): equal thresholds, then loadings, then intercepts",
}


def _levels(opts) -> tuple:
    """The levels of the ladder: the spec's, else configural to strict (ordered items: Wu & Estabrook's
    configural, thresholds, metric, scalar)."""
    default = ORDINAL_LEVELS if opts.get("ordered") else DEFAULT_LEVELS
    return tuple(opts.get("levels", default))


def _difference_words(opts) -> str:
    if opts.get("ordered"):
        return ", Satorra 2000 scaled-shifted difference"
    return ", Satorra-Bentler 2001 scaled difference" if opts.get("estimator") == "MLR" else ""


def _where(ctx, unit: str) -> str:
    return "" if unit == "pooled" else f"{ctx.label(unit)}: "


def _stacked(tables: dict, ctx) -> pd.DataFrame:
    """The ladders of every model in one table (rows "level" or "scale | level")."""
    combined = pd.concat(tables, names=["model", "level"])
    combined.index = [
        level if model == "pooled" else f"{ctx.label(model)} | {level}" for model, level in combined.index
    ]
    return combined


def _table_note(robust: bool, opts) -> str:
    note = (
        f"Each level is compared with the one before. Holds by Chen (2007): not rejected, where a level is "
        f"rejected when CFI drops by {fmt_bounded(-CHEN_CFI, 3)} or more together with a rise in RMSEA of "
        f"{fmt_bounded(CHEN_RMSEA, 3)} or more or in SRMR of {fmt_bounded(CHEN_SRMR['metric'], 3)} or more "
        f"(loadings; {fmt_bounded(CHEN_SRMR_DEFAULT, 3)} for intercepts and residuals). Holds by chi2: "
        f"difference test p >= .05."
    )
    if robust and opts.get("ordered"):
        note += (
            " With WLSMV (ordered items): scaled-shifted chi-square, scaled CFI, TLI and RMSEA (as lavaan's "
            "\"scaled\" column; Chen's rule uses them). The delta chi2 is Satorra's (2000) scaled-shifted "
            "difference test (lavTestLRT): it differs from the difference of the scaled chi-squares shown."
        )
    elif robust:
        note += (
            robust_note(opts) + " The delta chi2 is the Satorra-Bentler (2001) scaled difference test (lavTestLRT), "
            "computed from the unscaled chi-squares and the scaling factors: it differs from the difference "
            "of the scaled chi-squares shown."
        )
    return note


def _n_note(ctx, opts, results: dict) -> str:
    """The respondents per group the ladders rest on, of those in the data."""
    group = opts.get("group") or ctx.group
    sizes: list[int] = []
    used: list[int] = []
    for payload in results.values():
        n_obs = payload.get("n_obs")
        if isinstance(n_obs, dict):
            sizes.extend(n_obs.values())
            used.append(sum(n_obs.values()))
    total = int(ctx.scored[group].notna().sum())
    left = "listwise deletion" if missing_of(opts) == "listwise" else "no answer on the model's items"
    dropped = [total - n for n in used]
    kept = (
        (
            f"; {n_range(used).replace('n = ', '')} of {total} respondents"
            + (f" ({n_range(dropped).replace('n = ', '')} left out: {left})" if any(dropped) else "")
        )
        if used
        else ""
    )
    return f"{n_range(sizes)} per group{kept}."


def _holds(row, column: str) -> str:
    value = row.get(column, row.get("holds"))
    return "\u2014" if value is None or pd.isna(value) else ("yes" if bool(value) else "no")


def _invariance_display(table: pd.DataFrame, robust: bool = False) -> pd.DataFrame:
    """The ladder as APA: fit of each level and the change from the level before (``robust``: the scaled
    chi-square and the scaled difference test)."""
    scaled = "scaled " if robust else ""
    return pd.DataFrame(
        {
            f"{scaled}chi2 (df)": [f"{fmt(c)} ({fmt(d, 0)})" for c, d in zip(table["chisq"], table["df"])],
            "CFI": table["cfi"].map(lambda v: fmt_bounded(v, 3)),
            "RMSEA": table["rmsea"].map(lambda v: fmt_bounded(v, 3)),
            "SRMR": table["srmr"].map(lambda v: fmt_bounded(v, 3)),
            f"{scaled}delta chi2 (df)": [
                fmt(None) if pd.isna(c) else f"{fmt(c)} ({fmt(d, 0)})"
                for c, d in zip(table["delta_chisq"], table["delta_df"])
            ],
            "p": table["delta_pvalue"].map(fmt_p),
            "delta CFI": table["delta_cfi"].map(lambda v: fmt_bounded(v, 3)),
            "delta RMSEA": table["delta_rmsea"].map(lambda v: fmt_bounded(v, 3)),
            "delta SRMR": table["delta_srmr"].map(lambda v: fmt_bounded(v, 3)),
            "holds (Chen / chi2)": [
                f"{_holds(r, 'holds_chen')} / {_holds(r, 'holds_chisq')}"
                if pd.notna(r.get("delta_chisq"))
                else fmt(None)
                for _, r in table.iterrows()
            ],
        },
        index=table.index,
    )


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

    return (
        f"{where}invariance up to the {reached('holds_chen')} level by Chen's cut-offs, up to the "
        f"{reached('holds_chisq')} level by the chi-square difference test"
    )


def _release_text(where: str, payload: dict) -> list[str]:
    """The constraint whose release helps most, when the ladder breaks."""
    table, suggestions = payload["table"], payload["partial_suggestions"]
    if table["holds"].iloc[1:].astype(bool).all() or not isinstance(suggestions, pd.DataFrame) or suggestions.empty:
        return []
    top = suggestions.iloc[0]
    what = _PARAMETERS.get(top["op"], top["op"])
    name = top["rhs"] if top["op"] == "=~" else top["lhs"]
    largest = "largest" if where else "Largest"
    return [
        f"{where}{largest} misfit: the {what} of {name} in group {top['group']} (score test chi2(1) = "
        f"{fmt(top['mi'])}, p {p_phrase(top['pvalue'])}, expected change {fmt(top['epc'])}); releasing it "
        f"is the first step towards partial invariance."
    ]


def _invariance_text(where: str, table: pd.DataFrame, robust: bool = False) -> list[str]:
    """Each step of the ladder: whether it holds by Chen's rule and why, and by the chi-square test."""
    lines, failed_before = [], False
    chi2 = "scaled delta chi2" if robust else "delta chi2"
    for level, row in table.iloc[1:].iterrows():
        caveat = " (compared with a level that did not hold)" if failed_before else ""
        test = "holds" if row["delta_pvalue"] >= 0.05 else "does not hold"
        step = f"{where}{level}" if where else level.capitalize()
        lines.append(
            f"{step} invariance {_chen_reason(level, row)}; by the chi-square difference test it "
            f"{test} ({chi2}({fmt(row['delta_df'], 0)}) = {fmt(row['delta_chisq'])}, "
            f"p {p_phrase(row['delta_pvalue'])}){caveat}."
        )
        failed_before = failed_before or not bool(row.get("holds"))
    return lines


def _chen_reason(level: str, row) -> str:
    """Chen's (2007) verdict on one step with the changes it rests on."""
    srmr_cut = CHEN_SRMR.get(level, CHEN_SRMR_DEFAULT)
    d_cfi, d_rmsea, d_srmr = (fmt_bounded(row[k], 3) for k in ("delta_cfi", "delta_rmsea", "delta_srmr"))
    cut = fmt_bounded(-CHEN_CFI, 3)
    if row["delta_cfi"] > CHEN_CFI:
        return f"holds by Chen's cut-offs: CFI drops by less than {cut} (delta CFI {d_cfi})"
    if row["delta_rmsea"] < CHEN_RMSEA and row["delta_srmr"] < srmr_cut:
        return (
            f"holds by Chen's cut-offs: delta CFI {d_cfi} reaches the {cut} cut-off, but neither RMSEA "
            f"(delta {d_rmsea}, cut-off {fmt_bounded(CHEN_RMSEA, 3)}) nor SRMR (delta {d_srmr}, cut-off "
            f"{fmt_bounded(srmr_cut, 3)}) rises past its cut-off, and Chen's rule rejects a level only when "
            f"both happen"
        )
    return (
        f"does not hold by Chen's cut-offs: delta CFI {d_cfi} with delta RMSEA {d_rmsea} and delta SRMR "
        f"{d_srmr} (cut-offs {cut}, {fmt_bounded(CHEN_RMSEA, 3)}, {fmt_bounded(srmr_cut, 3)})"
    )
