"""Which fit measures a fit table shows and how: with a robust estimator the scaled chi-square and the robust
indices (lavaan's "Robust" column), as APA (chi2 (df), p, CFI, TLI, RMSEA [90% CI], SRMR, verdict)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...sem.cfa._fitmeasures import MAIN_FIT_MEASURES
from ..formatting import fmt, fmt_bounded, fmt_ci, fmt_p, interpret_fit

__all__ = [
    "FIT_COLUMNS",
    "ROBUST_NOTE",
    "ORDINAL_NOTE",
    "robust_note",
    "is_robust",
    "fit_row",
    "robust_table",
    "fit_display",
]

FIT_COLUMNS = list(MAIN_FIT_MEASURES)

# With estimator MLR the report shows the scaled chi-square and the robust indices (lavaan's "Robust" column).
_ROBUST = {
    "chisq": "chisq_scaled",
    "pvalue": "pvalue_scaled",
    "cfi": "cfi_robust",
    "tli": "tli_robust",
    "rmsea": "rmsea_robust",
    "rmsea_ci_lower": "rmsea_ci_lower_robust",
    "rmsea_ci_upper": "rmsea_ci_upper_robust",
}
# An ordinal invariance ladder has the scaled CFI, TLI and RMSEA its Chen rule uses (no robust ones).
_SCALED = {
    "chisq": "chisq_scaled",
    "pvalue": "pvalue_scaled",
    "cfi": "cfi_scaled",
    "tli": "tli_scaled",
    "rmsea": "rmsea_scaled",
}
ROBUST_NOTE = " With MLR: scaled chi-square, robust CFI, TLI and RMSEA (lavaan 0.6)."
ORDINAL_NOTE = (
    " With WLSMV (ordered items): scaled-shifted chi-square, robust CFI, TLI and RMSEA (Savalei 2021; lavaan 0.6-14)."
)


def robust_note(opts) -> str:
    """The note naming the robust fit a table shows (ordered items or a robust ML estimator)."""
    return ORDINAL_NOTE if opts.get("ordered") else ROBUST_NOTE


def is_robust(values) -> bool:
    """Whether fit measures (or a table's columns) include the scaled test of a robust estimator."""
    return "chisq_scaled" in values


def fit_row(fit_measures: dict, n_obs) -> dict:
    """The fit measures of one model a fit table shows, under their results.json names (the scaled and robust
    ones too where the estimator gives them), with its n."""
    row = {"n_obs": sum(n_obs.values()) if isinstance(n_obs, dict) else n_obs}
    row.update({k: fit_measures.get(k, np.nan) for k in FIT_COLUMNS})
    row.update({name: fit_measures[name] for name in _ROBUST.values() if name in fit_measures})
    return row


def robust_table(table: pd.DataFrame) -> pd.DataFrame:
    """What the reader is shown: a fit table with the robust fit in the plain columns when it has them (for
    display and verdicts only; files keep every name with its own meaning)."""
    if not is_robust(table.columns):
        return table
    names = _ROBUST if "cfi_robust" in table.columns else _SCALED
    return table.assign(**{k: table[v] for k, v in names.items() if v in table.columns})


def fit_display(frame: pd.DataFrame, robust: bool = False) -> pd.DataFrame:
    """Fit measures as APA: chi2(df), p, CFI, TLI, RMSEA [90% CI], SRMR, interpretation (robust ones where the
    frame has them)."""
    frame = robust_table(frame)
    return pd.DataFrame(
        {
            "N": frame["n_obs"].map(lambda v: fmt(int(v), 0) if pd.notna(v) else fmt(None)),
            "scaled chi2 (df)" if robust else "chi2 (df)": [
                f"{fmt(c)} ({fmt(int(d), 0) if pd.notna(d) else fmt(None)})"
                for c, d in zip(frame["chisq"], frame["df"])
            ],
            "p": frame["pvalue"].map(fmt_p),
            "CFI": frame["cfi"].map(lambda v: fmt_bounded(v, 3)),
            "TLI": frame["tli"].map(lambda v: fmt_bounded(v, 3)),
            "RMSEA [90% CI]": [
                f"{fmt_bounded(r, 3)} {fmt_ci(lo, hi, 3)}"
                for r, lo, hi in zip(frame["rmsea"], frame["rmsea_ci_lower"], frame["rmsea_ci_upper"])
            ],
            "SRMR": frame["srmr"].map(lambda v: fmt_bounded(v, 3)),
            "fit": [interpret_fit(c, r, s) for c, r, s in zip(frame["cfi"], frame["rmsea"], frame["srmr"])],
        },
        index=frame.index,
    )
