"""Differential item functioning (IRT likelihood-ratio tests) of every scale across sites, languages or another
grouping."""

from __future__ import annotations

import re
from typing import cast

import pandas as pd

from ... import sem
from ..formatting import sentence
from ..tables import make_table
from ._base import Rendered, Section, frame_of, n_range

__all__ = ["DifSection"]

_MODELS = {
    "grm": "graded response model (Samejima 1969)",
    "2pl": "two-parameter logistic model",
    "1pl": "one-parameter logistic model",
    "rasch": "Rasch model",
}


class DifSection(Section):
    """One unit per grouping column (``by``); each scale is tested on its own (one factor per scale)."""

    type, title = "dif", "Differential item functioning across sites and languages"
    cutoffs = (
        (
            "DIF (likelihood-ratio test per item)",
            "adjusted p < .05 (false discovery rate)",
            "Benjamini & Hochberg (1995)",
        ),
    )

    def units(self, ctx, opts) -> list[str]:
        return list(_groupings(ctx, opts))

    def compute(self, ctx, opts, unit):
        payload, n_obs, errors = {}, {}, {}
        for scale, items in ctx.scales.items():
            # ctx.scored holds the instrument's missing codes (e.g. 9 = not applicable) as missing already
            answers = ctx.scored[items].dropna(how="all")
            groups = ctx.scored.loc[answers.index, unit]
            kept = groups.notna()
            n_obs[scale] = int(kept.sum())
            try:
                payload[scale] = sem.dif(
                    answers.loc[kept],
                    groups.loc[kept].astype(str),
                    model=opts.get("model", "grm"),
                    p_adjust=opts.get("p_adjust", "fdr_bh"),
                )
            except Exception as exc:  # noqa: BLE001 - reported with the unit, the other scales are kept
                errors[scale] = f"{type(exc).__name__}: {exc}"
        out = {"scales": payload, "n_obs": n_obs}
        return {**out, "errors": errors} if errors else out

    def render(self, ctx, opts, results):
        out = Rendered()
        flagged_total = 0
        for unit, payload in results.items():
            long = _long(payload)
            if not len(long):
                continue
            reference = _reference(payload)
            esd = [c for c in long.columns if c.startswith("esd_")]
            shown = _display(ctx, long, esd)
            out.tables.append(
                make_table(
                    f"dif_{unit}",
                    f"Differential item functioning by {ctx.label(unit)}",
                    long,
                    display=shown,
                    label=ctx.label,
                    note=f"Likelihood-ratio test of each item's parameters free across groups against the all-equal "
                    f"model ({_MODELS.get(opts.get('model', 'grm'), opts.get('model'))}, one factor per scale); "
                    f"p adjusted by {_P_ADJUST_WORDS[opts.get('p_adjust', 'fdr_bh')]}. ESD: expected item score "
                    f"of the group minus that of {reference} (item-score points). "
                    f"{sentence(n_range(long['n_obs']))}.",
                )
            )
            flagged = long.loc[long["p_adjusted"] < 0.05]
            flagged_total += len(flagged)
            out.text.extend(_text(ctx, unit, long, flagged))
        out.summary = (
            f"{flagged_total} item(s) with DIF (adjusted p < .05) by {', '.join(ctx.label(u) for u in results)}."
        )
        return out

    def methods(self, ctx, opts, results):
        model = _MODELS.get(opts.get("model", "grm"), opts.get("model"))
        by = " and ".join(ctx.label(u) for u in results)
        return [
            f"Differential item functioning by {by}: for each scale on its own (a single factor across all "
            f"scales would be misspecified), a multiple-group {model} with all item parameters equal across "
            "groups (group means and variances free) is compared with the model that frees one item's "
            "parameters, item by item (likelihood-ratio test, as mirt::DIF(scheme = 'drop') on "
            "multipleGroup(invariance = c('free_means', 'free_var', <all items>)); Chalmers 2012), with "
            f"p-values adjusted by {_P_ADJUST_WORDS[opts.get('p_adjust', 'fdr_bh')]}; the effect size is the "
            "expected item-score difference of each group against the reference group (Meade 2010). Missing "
            "codes count as missing; respondents with no answer to a scale are left out of its test."
        ]


_P_ADJUST_WORDS = {
    "fdr_bh": "the false discovery rate (Benjamini & Hochberg 1995)",
    "holm": "Holm (1979)",
    "bonferroni": "Bonferroni",
    "none": "nothing (unadjusted)",
}


def _groupings(ctx, opts) -> tuple:
    by = opts.get("by") or ([ctx.group] if ctx.group else [])
    return tuple([by] if isinstance(by, str) else by)


def _reference(payload) -> str:
    return next((str(r.reference_group) for r in payload["scales"].values()), "the reference group")


def _long(payload) -> pd.DataFrame:
    """One row per scale and item of a grouping's DIF tests, with the n each test rests on."""
    frames = []
    for scale, result in payload["scales"].items():
        frame = cast(pd.DataFrame, frame_of(result)).rename_axis("item").reset_index()  # a DIFResult: a table
        frames.append(frame.assign(scale=scale, n_obs=payload["n_obs"][scale]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _display(ctx, long, esd) -> pd.DataFrame:
    """The table as the reader sees it: scale and item labels, rounded numbers, the notes in words."""

    def number(value, digits=2):
        return "" if pd.isna(value) else f"{value:.{digits}f}"

    shown = pd.DataFrame(
        {
            "scale": long["scale"].map(ctx.label),
            "item": long["item"].map(ctx.label),
            "chi-square": long["chisq"].map(number),
            "df": long["df"].map(lambda v: "" if pd.isna(v) else f"{int(v)}"),
            "p": long["pvalue"].map(lambda v: number(v, 3)),
            "p adjusted": long["p_adjusted"].map(lambda v: number(v, 3)),
            "largest |ESD|": long["max_abs_esd"].map(number),
            **{f"ESD {c[4:]}": long[c].map(number) for c in esd},
            "note": long["note"].map(_short_note),
        }
    )
    return shown.set_index("scale")


_UNUSED_CATEGORY = re.compile(
    r"item '(?P<item>[^']+)' never takes the value (?P<value>\S+) in group '(?P<group>[^']+)'"
)


def _short_note(note) -> str:
    """The table's note: why an item was not tested, in a few words (the full sentence is in the text)."""
    if not isinstance(note, str) or not note:
        return ""
    unused = _UNUSED_CATEGORY.search(note)
    return f"not tested: answer {unused['value']} unused in {unused['group']}" if unused else "not tested (see text)"


def _note_in_words(note) -> str:
    """Why an item was not tested, in words (the library's message names the item and group as identifiers)."""
    if not isinstance(note, str) or not note:
        return ""
    unused = _UNUSED_CATEGORY.search(note)
    if unused:
        return (
            f"no respondent in {unused['group']} chose answer {unused['value']}, so the item's parameters "
            "cannot be estimated there; merging that answer with its neighbour, or holding the item equal "
            "across groups as an anchor, would allow a test"
        )
    return note


def _text(ctx, unit, long, flagged) -> list[str]:
    lines: list[str] = []
    if len(flagged):
        lines.extend(
            f"{ctx.label(row.scale)}, item {ctx.label(row.item)} differs by {ctx.label(unit)} "
            f"(chi-square({int(row.df)}) = {row.chisq:.2f}, adjusted p = {row.p_adjusted:.3f}; largest "
            f"expected score difference {row.max_abs_esd:.2f} points)."
            for row in flagged.itertuples()
        )
    else:
        tested = long["chisq"].notna().sum()
        lines.append(
            f"By {ctx.label(unit)}: none of the {tested} tested items shows DIF (adjusted p < .05); the "
            f"largest expected score difference is {long['max_abs_esd'].max():.2f} points."
        )
    untested = long.loc[long["chisq"].isna()]
    lines.extend(
        f"{ctx.label(row.scale)}, item {ctx.label(row.item)} by {ctx.label(unit)}: not tested: "
        f"{_note_in_words(row.note)}."
        for row in untested.itertuples()
    )
    return lines
