"""McDonald's omega with a Schmid-Leiman general factor."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import reliability
from ..formatting import fmt, fmt_bounded, interpret_alpha
from ..tables import make_table
from ._base import Rendered, Section, factor_input, frame_of, value_of

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
        out = Rendered([make_table("omega", "Omega coefficients", summary)])
        loadings = frame_of(result)
        if loadings is not None:
            out.tables.append(make_table("omega_schmid_leiman", "Schmid-Leiman loadings (g: general factor)",
                                         loadings, note="h2: communality; u2: uniqueness; p2: share of h2 due "
                                                        "to g."))
        out.text.append(f"omega total {fmt_bounded(result.omega_total)}, omega hierarchical "
                        f"{fmt_bounded(result.omega_hierarchical)}: {interpret_alpha(result.omega_total)} "
                        f"total reliability, the general factor explains "
                        f"{fmt(100 * result.omega_hierarchical / result.omega_total, 0)}% of the reliable variance.")
        return out
