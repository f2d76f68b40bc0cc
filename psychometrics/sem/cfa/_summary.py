"""A text summary laid out like lavaan 0.6-14's summary(fit, fit.measures = TRUE, standardized = TRUE), and the
HTML shown for a fit in a notebook.

The text has lavaan's sections (estimator and observations; the user and baseline model tests; CFI/TLI;
log-likelihood and information criteria; RMSEA; SRMR; then per group the parameter tables Latent Variables,
Regressions, Covariances, Intercepts, Thresholds, Variances, Scales y*, and Defined Parameters) and its columns
(Estimate, Std.Err, z-value, P(>|z|), Std.lv, Std.all; three decimals; a residual (co)variance or intercept of an
observed variable is marked with a leading dot; labels shown in parentheses). A robust fit (MLR, WLSMV) shows
lavaan's Standard and Scaled/Robust columns for the tests and indices.
"""

from __future__ import annotations

import functools
import html

import numpy as np
import pandas as pd

from ._fitmeasures import MAIN_FIT_MEASURES

WIDTH = 54  # lavaan's header block: label left, value right-aligned to column 54
SECTIONS = (
    ("Latent Variables", lambda t: t["op"] == "=~"),
    ("Regressions", lambda t: t["op"] == "~"),
    ("Covariances", lambda t: (t["op"] == "~~") & (t["lhs"] != t["rhs"])),
    ("Intercepts", lambda t: t["op"] == "~1"),
    ("Thresholds", lambda t: t["op"] == "|"),
    ("Variances", lambda t: (t["op"] == "~~") & (t["lhs"] == t["rhs"])),
    ("Scales y*", lambda t: t["op"] == "~*~"),
)
_HEADER = f"{'':18}{'Estimate':>9}{'Std.Err':>9}{'z-value':>9}{'P(>|z|)':>9}{'Std.lv':>9}{'Std.all':>9}"


def _number(value, decimals: int = 3) -> str:
    if isinstance(value, str):
        return value
    if value is None or not np.isfinite(value):
        return ""
    if float(value).is_integer() and decimals == 0:
        return str(int(value))
    return f"{value:.{decimals}f}"


def _line(label: str, *values, decimals: int = 3) -> str:
    """``  label ....... value [value]`` with the last value ending at column 54 (a second one 16 further)."""
    text = [_number(v, decimals) for v in values]
    if len(text) == 1:
        return f"  {label:<{WIDTH - 2 - 12}}{text[0]:>12}"
    return f"  {label:<{WIDTH - 2 - 12}}{text[0]:>12}{text[1]:>16}"


def _values(fm: dict, robust: bool, key: str) -> tuple:
    """A fit measure, and beside it its scaled version for a robust fit (lavaan's Standard and Scaled columns)."""
    return (fm.get(key, np.nan), fm.get(key + "_scaled", np.nan)) if robust else (fm[key],)


def _counts(result) -> list[str]:
    """Estimator, parameters (lavaan counts every free row; shared ones are its equality constraints), N."""
    rows = int(result.estimates["free"].sum())
    lines = [_line("Estimator", result.estimator), _line("Number of model parameters", rows, decimals=0)]
    if rows > result.fit_measures["npar"]:
        lines.append(_line("Number of equality constraints", rows - result.fit_measures["npar"], decimals=0))
    lines.append("")
    if isinstance(result.n_obs, dict):
        lines.append("  Number of observations per group:")
        lines += [_line(f"  {label}", n, decimals=0) for label, n in result.n_obs.items()]
    else:
        lines.append(_line("Number of observations", result.n_obs, decimals=0))
    return lines


def _tests(result) -> list[str]:
    fm, robust = result.fit_measures, "chisq_scaled" in result.fit_measures
    pick = functools.partial(_values, fm, robust)
    lines = ["", "Model Test User Model:"]
    if robust:
        lines.append(f"  {'':<{WIDTH - 14}}{'Standard':>12}{'Scaled':>16}")
    lines += [
        _line("Test statistic", *pick("chisq")),
        _line("Degrees of freedom", *pick("df"), decimals=0),
        _line("P-value (Chi-square)", *pick("pvalue")),
    ]
    if robust:
        lines.append(_line("Scaling correction factor", "", fm["chisq_scaling_factor"]))
    if len(result.groups) > 1:
        lines.append("  Test statistic for each group:")
        lines += [_line(f"  {label}", value) for label, value in result.chisq_by_group.items()]
    lines += [
        "",
        "Model Test Baseline Model:",
        "",
        _line("Test statistic", *pick("baseline_chisq")),
        _line("Degrees of freedom", *pick("baseline_df"), decimals=0),
        _line("P-value", *pick("baseline_pvalue")),
    ]
    return lines


def _indices(result) -> list[str]:
    fm, robust = result.fit_measures, "chisq_scaled" in result.fit_measures
    both = functools.partial(_values, fm, robust)
    lines = [
        "",
        "User Model versus Baseline Model:",
        "",
        _line("Comparative Fit Index (CFI)", *both("cfi")),
        _line("Tucker-Lewis Index (TLI)", *both("tli")),
    ]
    if "cfi_robust" in fm:
        lines += [
            "",
            _line("Robust Comparative Fit Index (CFI)", "", fm["cfi_robust"]),
            _line("Robust Tucker-Lewis Index (TLI)", "", fm["tli_robust"]),
        ]
    if np.isfinite(fm.get("logl", np.nan)):
        lines += [
            "",
            "Loglikelihood and Information Criteria:",
            "",
            _line("Loglikelihood user model (H0)", fm["logl"]),
            _line("Loglikelihood unrestricted model (H1)", fm["unrestricted_logl"]),
            "",
            _line("Akaike (AIC)", fm["aic"]),
            _line("Bayesian (BIC)", fm["bic"]),
            _line("Sample-size adjusted Bayesian (SABIC)", fm["bic2"]),
        ]
    lines += [
        "",
        "Root Mean Square Error of Approximation:",
        "",
        _line("RMSEA", *both("rmsea")),
        _line("90 Percent confidence interval - lower", *both("rmsea_ci_lower")),
        _line("90 Percent confidence interval - upper", *both("rmsea_ci_upper")),
        _line("P-value H_0: RMSEA <= 0.050", *both("rmsea_pvalue")),
    ]
    if "rmsea_robust" in fm:
        lines += [
            "",
            _line("Robust RMSEA", "", fm["rmsea_robust"]),
            _line("90 Percent confidence interval - lower", "", fm["rmsea_ci_lower_robust"]),
            _line("90 Percent confidence interval - upper", "", fm["rmsea_ci_upper_robust"]),
        ]
    lines += ["", "Standardized Root Mean Square Residual:", "", _line("SRMR", fm["srmr"])]
    return lines


def _endogenous(result) -> set:
    """Variables whose (co)variances and intercepts are residual ones, which lavaan marks with a dot: observed
    variables other than exogenous covariates, and latent variables that are regressed or are indicators."""
    variables = result._options["variables"]
    table = result.estimates
    dependent = set(table.loc[table["op"] == "~", "lhs"]) | set(table.loc[table["op"] == "=~", "rhs"])
    return (set(result.observed_variables) - set(variables.ov_x)) | (set(result.latent_variables) & dependent)


def _abbreviate(label: str, length: int = 4) -> str:
    """R's abbreviate(label, 4), as lavaan prints labels: drop lower-case vowels, then lower-case letters, from the
    right (never the first character), then truncate."""
    chars = list(label)
    for pool in ("aeiou", "abcdefghijklmnopqrstuvwxyz"):
        k = len(chars) - 1
        while len(chars) > length and k > 0:
            if chars[k] in pool:
                del chars[k]
            k -= 1
    return "".join(chars[:length])


def _display_labels(table: pd.DataFrame) -> np.ndarray:
    """User labels, or lavaan's ".pN." (N: the parameter table row) for parameters equal by group_equal."""
    labels = table["label"].to_numpy(object).copy()
    x = table["x"].to_numpy(int)
    first: dict[int, int] = {}
    for k, index in enumerate(x.tolist()):
        first.setdefault(index, k)
    shared = pd.Series(x).map(pd.Series(x).value_counts()).to_numpy() > 1
    for k in np.flatnonzero(shared & (x >= 0)).tolist():
        if not labels[k]:
            labels[k] = f".p{first[int(x[k])] + 1}."
    return labels


def _label_field(name: str, label: str) -> str:
    """The 18-character name column: the name, and the label in parentheses right-aligned (as lavaan)."""
    if not label:
        return f"{name:<18}"
    tag = f"({_abbreviate(label)})"
    return f"{name}{tag:>{18 - len(name)}}" if len(name) + len(tag) < 18 else f"{name} {tag}"


def _row(row, name: str) -> str:
    values = [row["est"]] + ([row["se"], row["z"], row["pvalue"]] if row["free"] else ["", "", ""])
    values += [row["std_lv"], row["std_all"]]
    return _label_field(name, row["label"]) + "".join(f"{_number(v):>9}" for v in values)


def _marked(name: str, dotted: set, indent: int) -> str:
    return " " * (indent - 1) + "." + name if name in dotted else " " * indent + name


def _section(title: str, rows: pd.DataFrame, dotted: set) -> list[str]:
    lines = ["", f"{title}:", _HEADER]
    grouped = title in ("Latent Variables", "Regressions", "Covariances")
    previous = None
    for _, row in rows.iterrows():
        op = row["op"]
        if grouped and row["lhs"] != previous:
            head = _marked(row["lhs"], dotted if op == "~~" else set(), 2)
            lines.append(f"{head} {op}".ljust(len(_HEADER)))
            previous = row["lhs"]
        if op == "|":
            name = f"    {row['lhs']}|{row['rhs']}"
        elif grouped:
            name = _marked(row["rhs"], dotted if op == "~~" else set(), 4)
        else:
            name = _marked(row["lhs"], dotted if op in ("~~", "~1") else set(), 4)
        lines.append(_row(row, name))
    return lines


def _free_index(result) -> np.ndarray:
    """The free-parameter index of each estimates row (-1: fixed or defined)."""
    index = np.full(len(result.estimates), -1)
    x = np.asarray(result._problem.model.columns["x"], dtype=int)
    index[: len(x)] = x
    return index


def _se_lines(result) -> list[str]:
    """How the standard errors were computed (lavaan's "Standard errors" and "Information" lines)."""
    fiml = type(result._problem).__name__.startswith("FIML")
    kind, information = {"MLR": ("Sandwich", "Observed"), "WLSMV": ("Robust.sem", "Expected")}.get(
        result.estimator, ("Standard", "Observed" if fiml else "Expected")
    )
    return [_line("Standard errors", kind), _line("Information", information)]


def _parameters(result) -> list[str]:
    table = result.estimates
    dotted = _endogenous(result)
    table = table.assign(label=_display_labels(table.assign(x=_free_index(result))))
    lines = ["", "Parameter Estimates:", ""] + _se_lines(result)
    for g, label in enumerate(result.groups):
        rows = table[(table["group"] == label) & (table["op"] != ":=")]
        if len(result.groups) > 1:
            lines += ["", "", f"Group {g + 1} [{label}]:"]
        for title, pick in SECTIONS:
            chosen = rows[pick(rows)]
            if len(chosen):
                lines += _section(title, chosen, dotted)
    defined = table[table["op"] == ":="]
    if len(defined):
        lines += ["", "Defined Parameters:", _HEADER]
        for _, row in defined.iterrows():
            values = [row["est"], row["se"], row["z"], row["pvalue"], row["std_lv"], row["std_all"]]
            lines.append(f"{'    ' + row['lhs']:<18}" + "".join(f"{_number(v):>9}" for v in values))
    return lines


def summary_text(result) -> str:
    """The full text summary (see the module docstring)."""
    status = "converged" if result.converged else "did NOT converge"
    lines = [f"psychometrics CFA/SEM ({status} after {result.iterations} iterations)", ""]
    lines += _counts(result) + _tests(result) + _indices(result) + _parameters(result)
    return "\n".join(lines) + "\n"


def summary_html(result) -> str:
    """Tables for a notebook: the main fit measures and the parameter estimates (three decimals)."""
    fit = pd.DataFrame(
        {"value": [result.fit_measures[k] for k in MAIN_FIT_MEASURES if k in result.fit_measures]},
        index=[k for k in MAIN_FIT_MEASURES if k in result.fit_measures],
    )
    shown = (
        ["lhs", "op", "rhs"]
        + (["group"] if len(result.groups) > 1 else [])
        + ["label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all"]
    )
    title = html.escape(
        f"CFAResult: {result.estimator}, N = {result.n_obs}, {'converged' if result.converged else 'not converged'}"
    )
    return (
        f"<div><h4>{title}</h4><h5>Fit measures</h5>{fit.round(3).to_html()}"
        f"<h5>Parameter estimates</h5>{result.estimates[shown].round(3).to_html(index=False, na_rep='')}</div>"
    )
