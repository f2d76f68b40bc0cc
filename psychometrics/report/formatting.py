"""APA-style numbers and plain-word interpretations for report tables.

APA (7th ed., 6.36): no leading zero for statistics that cannot exceed 1 (correlations, reliabilities, loadings,
fit indices, p-values); two decimals for correlations and reliabilities, three for p-values ("< .001" below).
"""

from __future__ import annotations

import math

__all__ = [
    "fmt",
    "fmt_bounded",
    "fmt_p",
    "p_phrase",
    "fmt_ci",
    "interpret_alpha",
    "interpret_kmo",
    "interpret_fit",
    "interpret_icc",
    "label",
    "yes_no",
    "sentence",
]

# Identifiers of results.json as the reader sees them (tables, text); anything else: underscores become spaces.
LABELS = {
    "n": "n",
    "n_obs": "n",
    "n_items": "items",
    "sd": "SD",
    "se": "SE",
    "est": "estimate",
    "std_all": "standardised",
    "r": "r",
    "r_cor": "item-total r (corrected for overlap)",
    "r_drop": "item-rest r",
    "alpha_if_deleted": "alpha if item deleted",
    "std_alpha_if_deleted": "standardised alpha if item deleted",
    "alpha": "alpha",
    "std_alpha": "standardised alpha",
    "average_r": "mean inter-item r",
    "ci_low": "CI lower",
    "ci_high": "CI upper",
    "pvalue": "p",
    "p_value": "p",
    "omega_total": "omega total",
    "omega_hierarchical": "omega hierarchical",
    "omega_asymptotic": "omega asymptotic",
    "ecv": "ECV",
    "missing": "missing (any reason)",
    "declared_missing_code": "declared missing code (e.g. not applicable)",
    "percent": "%",
    "h2": "h2 (communality)",
    "u2": "u2 (uniqueness)",
    "p2": "p2 (share of h2 due to g)",
    "ave": "AVE",
    "htmt": "HTMT",
    "composite_reliability": "composite reliability",
    "fornell_larcker": "Fornell-Larcker criterion",
    "max_abs_correlation": "largest |r| with another factor",
    "pass": "criterion met",
    "eta_squared": "eta squared",
    "hedges_g": "Hedges' g",
    "f": "F",
    "t": "t",
    "welch_anova": "Welch's ANOVA",
    "welch_t": "Welch's t-test",
    "anova": "ANOVA",
    "kruskal": "Kruskal-Wallis test",
    "icc": "ICC",
    "mi": "score test chi2(1)",
    "epc": "expected change",
    "lhs": "left",
    "op": "operator",
    "rhs": "right",
    "chisq": "chi2",
    "dof": "df",
    "tli": "TLI",
    "rmsea": "RMSEA",
    "srmr": "SRMR",
    "cfi": "CFI",
    "bic": "BIC",
    "aic": "AIC",
    "rms": "RMSR",
    "rmsea_ci_lower": "RMSEA CI lower",
    "rmsea_ci_upper": "RMSEA CI upper",
    "number": "number",
    "observed_pc": "observed (components)",
    "observed_fa": "observed (factors)",
    "simulated_pc": "simulated (components)",
    "simulated_fa": "simulated (factors)",
    "resampled_pc": "resampled (components)",
    "resampled_fa": "resampled (factors)",
    "validity_gt_heterotrait_heteromethod": "validity correlations above the heterotrait-heteromethod ones",
    "validity_gt_heterotrait_monomethod": "validity correlations above the heterotrait-monomethod ones",
    "pattern_agreement": "same pattern of trait correlations in every block",
    "heterotrait_monomethod": "heterotrait-monomethod",
    "heterotrait_heteromethod": "heterotrait-heteromethod",
    "multi_item": "multi-item score",
    "global_rating": "global rating",
    "satisfied": "met",
    "total": "comparisons",
    "proportion": "share met",
    "campbell_fiske": "Campbell-Fiske criteria",
    "validity_diagonal": "validity diagonal",
    "x": "first",
    "y": "second",
    "kind": "correlations",
    "count": "count",
}


def label(name, labels: dict | None = None) -> str:
    """``name`` in words: from ``labels`` (e.g. a scale's label), from :data:`LABELS`, or with spaces for
    underscores."""
    text = str(name)
    if labels and text in labels:
        return labels[text]
    return LABELS.get(text, text.replace("_", " "))


def yes_no(value) -> str:
    """True/False as yes/no (an em dash when missing)."""
    return "\u2014" if _missing(value) or value is None else ("yes" if bool(value) else "no")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def fmt(value, decimals: int = 2) -> str:
    """A number with fixed decimals; an em dash when missing."""
    if _missing(value):
        return "\u2014"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    text = f"{float(value):.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def fmt_bounded(value, decimals: int = 2) -> str:
    """A statistic bounded by 1 (r, alpha, loading, CFI): no leading zero, e.g. .82, -.05, 1.00."""
    text = fmt(value, decimals)
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def fmt_p(p) -> str:
    """p-value as APA: '< .001' or three decimals without the leading zero."""
    if _missing(p):
        return "\u2014"
    return "< .001" if p < 0.001 else fmt_bounded(p, 3)


def p_phrase(p) -> str:
    """A p-value in a sentence: 'p < .001' or 'p = .023' without the 'p'."""
    text = fmt_p(p)
    return text if text.startswith("<") else f"= {text}"


def fmt_ci(low, high, decimals: int = 2, bounded: bool = True) -> str:
    """A confidence interval in brackets, e.g. [.78, .85]."""
    show = fmt_bounded if bounded else fmt
    return f"[{show(low, decimals)}, {show(high, decimals)}]"


def _label(value, cuts: list[tuple[float, str]], last: str) -> str:
    """The word of the first cut the value (as shown, two decimals) reaches."""
    if _missing(value):
        return "not available"
    value = round(float(value), 2)
    for cut, word in cuts:
        if value >= cut:
            return word
    return last


def interpret_alpha(alpha) -> str:
    """George & Mallery (2003) labels: excellent >= .9, good >= .8, acceptable >= .7, questionable >= .6,
    poor >= .5, unacceptable below."""
    return _label(
        alpha,
        [(0.9, "excellent"), (0.8, "good"), (0.7, "acceptable"), (0.6, "questionable"), (0.5, "poor")],
        "unacceptable",
    )


def interpret_icc(icc) -> str:
    """Koo & Li (2016): excellent >= .9, good >= .75, moderate >= .5, poor below."""
    return _label(icc, [(0.9, "excellent"), (0.75, "good"), (0.5, "moderate")], "poor")


def interpret_kmo(kmo) -> str:
    """Kaiser (1974): marvelous >= .9, meritorious >= .8, middling >= .7, mediocre >= .6, miserable >= .5."""
    return _label(
        kmo,
        [(0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling"), (0.6, "mediocre"), (0.5, "miserable")],
        "unacceptable",
    )


def interpret_fit(cfi, rmsea, srmr) -> str:
    """Hu & Bentler (1999): good when CFI >= .95, RMSEA <= .06 and SRMR <= .08; acceptable when CFI >= .90 and
    RMSEA <= .08 (Browne & Cudeck 1993); poor otherwise."""
    if any(_missing(v) for v in (cfi, rmsea)):
        return "not available"
    if cfi >= 0.95 and rmsea <= 0.06 and (_missing(srmr) or srmr <= 0.08):
        return "good"
    if cfi >= 0.90 and rmsea <= 0.08:
        return "acceptable"
    return "poor"


def sentence(text: str) -> str:
    """``text`` with its first letter in upper case (the rest unchanged, unlike str.capitalize)."""
    return text[:1].upper() + text[1:]
