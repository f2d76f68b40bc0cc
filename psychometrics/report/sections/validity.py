"""Convergent and discriminant validity: HTMT, AVE, composite reliability and the Fornell-Larcker criterion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import sem, validity
from .. import figures
from ..formatting import fmt_bounded
from ._base import Rendered, Section, frame_of, generic_tables, value_of
from ._models import (
    estimation,
    estimation_words,
    fit_data,
    merges_of,
    model_columns,
    model_of,
    n_sentence,
    nesting_caveat,
)
from ._ordinal import merge_sentence

__all__ = ["ValiditySection", "HTMT_CUT", "AVE_CUT"]

HTMT_CUT = 0.85  # Henseler, Ringle & Sarstedt (2015), the conservative HTMT.85
AVE_CUT = 0.50  # Fornell & Larcker (1981)


class ValiditySection(Section):
    type, title = "validity", "Convergent and discriminant validity"
    cutoffs = (
        ("HTMT", f"< {fmt_bounded(HTMT_CUT)} for every pair of scales", "Henseler, Ringle & Sarstedt (2015)"),
        (
            "AVE",
            f">= {fmt_bounded(AVE_CUT)}; square root of AVE above the factor correlations",
            "Fornell & Larcker (1981)",
        ),
    )

    def compute(self, ctx, opts, unit):
        model = model_of(ctx, opts)
        data = fit_data(ctx, opts, model, ctx.scored)
        fit = sem.cfa(model, data, **estimation(opts, ctx))
        items = model_columns(model, ctx.scored)
        return {
            "htmt": validity.htmt(
                model if opts.get("model") else ctx.scales, ctx.scored[items], htmt2=opts.get("htmt2", True)
            ),
            "n_obs": fit.n_obs,
            "ave": validity.ave(fit),
            "composite_reliability": validity.composite_reliability(fit),
            "fornell_larcker": validity.fornell_larcker(fit),
        }

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        n = (
            f"HTMT: n = {value_of(payload['htmt'], 'n_obs', '?')} (respondents answering every item); AVE, "
            f"composite reliability, Fornell-Larcker: {_cfa_n(ctx, opts, payload)}."
        )
        out = Rendered(generic_tables("validity", "Validity", payload, label=ctx.label, note=n))
        htmt = frame_of(payload["htmt"])
        discriminant = []
        if htmt is not None:
            values = htmt.to_numpy(dtype=float)
            upper = [
                (htmt.index[i], htmt.columns[j], values[i, j])
                for i in range(len(htmt))
                for j in range(len(htmt.columns))
                if j > i and np.isfinite(values[i, j])
            ]
            high = [f"{ctx.label(a)} and {ctx.label(b)} ({fmt_bounded(v)})" for a, b, v in upper if v >= HTMT_CUT]
            discriminant.append(
                f"every HTMT below {fmt_bounded(HTMT_CUT)}"
                if not high
                else f"HTMT at or above {fmt_bounded(HTMT_CUT)} for {', '.join(high)}"
            )
            out.figures.append(
                (
                    "htmt",
                    "HTMT heatmap",
                    figures.heatmap(htmt.rename(index=ctx.label, columns=ctx.label), "HTMT", vmin=0, vmax=1),
                )
            )
        fornell = frame_of(payload["fornell_larcker"])
        failing = [ctx.label(s) for s, ok in fornell["pass"].items() if not ok] if fornell is not None else []
        if fornell is not None:
            discriminant.append(
                "every factor's square root of AVE above its correlations with the other factors (Fornell-Larcker)"
                if not failing
                else f"the Fornell-Larcker criterion not met by {', '.join(failing)}"
            )
        supported = not failing and all(d.startswith("every") for d in discriminant)
        out.text.append(
            f"Discriminant validity {'supported' if supported else 'questionable'}: {'; '.join(discriminant)}."
        )
        out.text.append(_convergent_text(payload["ave"], ctx.label, supported))
        return out

    def methods(self, ctx, opts, results):
        lines = [
            f"Validity: HTMT{'2 (geometric means)' if opts.get('htmt2', True) else ''} of the item "
            f"correlations (semTools::htmt), AVE and composite reliability (semTools::AVE, compRelSEM) of a "
            f"CFA of {'the spec' if opts.get('model') else 'one factor per scale'}, estimated by "
            f"{estimation_words(opts, ctx=ctx)}, and the Fornell-Larcker criterion (square root of AVE above "
            f"the factor correlations); HTMT n = {value_of(results['pooled']['htmt'], 'n_obs', '?')} "
            f"(complete cases), CFA {_cfa_n(ctx, opts, results['pooled'])}."
        ]
        lines.extend(merge_sentence(merges_of(ctx, opts, model_of(ctx, opts)), ctx))
        lines.extend(nesting_caveat(ctx, opts))
        return lines


def _cfa_n(ctx, opts, payload) -> str:
    """The respondents of the validity CFA, of those in the data."""
    return n_sentence(ctx, opts, int(payload["n_obs"]), model_of(ctx, opts))


def _convergent_text(ave, name, discriminant: bool) -> str:
    """Convergent validity from AVE: below .50 the factor explains less than half of its items' variance."""
    low = {scale: value for scale, value in pd.Series(ave).items() if value < AVE_CUT}
    if not low:
        return f"Convergent validity supported: every AVE is {fmt_bounded(AVE_CUT)} or more (Fornell & Larcker 1981)."
    shown = ", ".join(f"{name(scale)} ({fmt_bounded(value, 3)})" for scale, value in low.items())
    despite = " although discriminant validity is supported" if discriminant else ""
    return (
        f"Caveat: AVE below {fmt_bounded(AVE_CUT)} for {shown}: their factors explain less than half of "
        f"their items' variance, so convergent validity is weak for these scales{despite} (Fornell & Larcker "
        f"1981)."
    )
