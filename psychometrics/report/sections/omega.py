"""McDonald's omega with a Schmid-Leiman general factor."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import reliability
from ..formatting import fmt, fmt_bounded, interpret_alpha
from ..tables import make_table
from ._base import Rendered, Section, factor_input, factor_n, frame_of, value_of

__all__ = ["OmegaSection"]


class OmegaSection(Section):
    type, title = "omega", "McDonald's omega (Schmid-Leiman)"

    def compute(self, ctx, opts, unit):
        data, n_obs = factor_input(ctx, opts)
        return {"omega": reliability.omega(data, n_factors=opts.get("n_factors", 3), n_obs=n_obs)}

    def render(self, ctx, opts, results):
        result = results["pooled"]["omega"]
        names = ["omega_total", "omega_hierarchical", "omega_asymptotic", "alpha", "ecv"]
        summary = pd.DataFrame({"value": [value_of(result, n, np.nan) for n in names]}, index=names)
        n = f"n = {factor_n(ctx, opts)}."
        out = Rendered([make_table("omega", "Omega coefficients", summary, note=n, label=ctx.label)])
        loadings = frame_of(result)
        if loadings is not None:
            out.tables.append(
                make_table(
                    "omega_schmid_leiman",
                    "Schmid-Leiman loadings (g: general factor)",
                    loadings,
                    label=ctx.label,
                    note=n,
                )
            )
        out.text.append(
            f"omega total {fmt_bounded(result.omega_total)}, omega hierarchical "
            f"{fmt_bounded(result.omega_hierarchical)}: {interpret_alpha(result.omega_total)} "
            f"total reliability, the general factor explains "
            f"{fmt(100 * result.omega_hierarchical / result.omega_total, 0)}% of the reliable variance."
        )
        return out

    def methods(self, ctx, opts, results):
        return [
            f"Omega: McDonald's omega total and hierarchical from a Schmid-Leiman transformation of "
            f"{opts.get('n_factors', 3)} oblique (oblimin) minres factors (psych::omega, nfactors = "
            f"{opts.get('n_factors', 3)}); n = {factor_n(ctx, opts)}."
        ]
