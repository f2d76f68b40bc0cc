"""Fit measures exactly as lavaan 0.6-14's fitMeasures(), computed once from the test records of the model and of
its baseline (``_tests.TestStatistic``).

Sources (lavaan 0.6-14, R/lav_fit_*.R): CFI and TLI (Bentler 1990; Tucker & Lewis 1973) with lavaan's guards and,
for the robust versions, the scaling factors ``c_hat`` of the model and the baseline (lav_fit_cfi: ``X2 - c df``
in place of ``X2 - df``; Brosseau-Liang & Savalei 2018, 2019); NFI, RFI, IFI, RNI, PNFI (Bentler & Bonett 1980;
Bollen 1986, 1989; James, Mulaik & Brett 1982); RMSEA ``sqrt(max(X2/N/df - c/N, 0)) sqrt(G)`` (Steiger 1990) with
the CI by inverting the non-central chi-square and the tests of close (<= .05) and not-close (>= .08) fit;
McDonald's MFI, ECVI, Hoelter's critical N; information criteria from the log-likelihood. ``N`` is the total
sample size for ML and ``N - G`` for the least-squares estimators (lav_utils_get_ntotal).

Which variants exist follows lavaan: ``*_scaled`` with a scaled test; ``*_robust`` with a satorra.bentler,
yuan.bentler.mplus or scaled.shifted test, with FIML (Zhang & Savalei's corrected indices) or ordered items.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from ._tests import TestStatistic

RMSEA_CI_LEVEL = 0.90
RMSEA_CLOSE_H0 = 0.05
RMSEA_NOTCLOSE_H0 = 0.08
ROBUST_TESTS = ("satorra.bentler", "yuan.bentler.mplus", "scaled.shifted")
# the fit measures a summary table shows (the notebook view of a fit, the report's fit tables)
MAIN_FIT_MEASURES = (
    "npar",
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "srmr",
    "aic",
    "bic",
)


def _pchisq(x: float, df: float, ncp: float) -> float:
    """Non-central chi-square CDF (scipy.special.chndtr: the ufunc, without scipy.stats' per-call overhead)."""
    return float(special.chdtr(df, x) if ncp <= 0 else special.chndtr(x, df, ncp))


def _uses(c_hat: float, c_hat_null: float, df: float) -> bool:
    """lav_fit_cfi/tli/rni use the scaling factors only when both differ from 1 (and df > 0)."""
    return df > 0 and c_hat != 1 and c_hat_null != 1


def _near_zero(value: float) -> bool:
    """R's isTRUE(all.equal(value, 0)): |value| below the tolerance 1.5e-8."""
    return abs(value) < 1.5e-8


def _any_nan(*values) -> bool:
    """Whether any value is NaN (NaN is the one float unequal to itself; a plain loop is the cheapest test)."""
    for value in values:
        if value != value:
            return True
    return False


def cfi(x2, df, x2_null, df_null, c_hat=1.0, c_hat_null=1.0) -> float:
    """lavaan's lav_fit_cfi; with ``c_hat``/``c_hat_null`` the robust CFI."""
    if _any_nan(x2, df, x2_null, df_null, c_hat, c_hat_null):
        return np.nan
    c, c0 = (c_hat, c_hat_null) if _uses(c_hat, c_hat_null, df) else (1.0, 1.0)
    t1 = max(x2 - c * df, 0.0)
    t2 = max(x2 - c * df, x2_null - c0 * df_null, 0.0)
    return 1.0 if _near_zero(t1) and _near_zero(t2) else 1.0 - t1 / t2


def tli(x2, df, x2_null, df_null, c_hat=1.0, c_hat_null=1.0) -> float:
    """lavaan's lav_fit_tli (= NNFI); with ``c_hat``/``c_hat_null`` the robust TLI."""
    if _any_nan(x2, df, x2_null, df_null, c_hat, c_hat_null):
        return np.nan
    c, c0 = (c_hat, c_hat_null) if _uses(c_hat, c_hat_null, df) else (1.0, 1.0)
    t1 = (x2 - c * df) * df_null
    t2 = (x2_null - c0 * df_null) * df
    if df > 0 and abs(t2) > 0:
        return 1.0 - t1 / t2
    return np.nan if not (np.isfinite(t1) and np.isfinite(t2)) else 1.0


def rni(x2, df, x2_null, df_null, c_hat=1.0, c_hat_null=1.0) -> float:
    """Relative noncentrality index (lav_fit_rni)."""
    if _any_nan(x2, df, x2_null, df_null, c_hat, c_hat_null):
        return np.nan
    c, c0 = (c_hat, c_hat_null) if _uses(c_hat, c_hat_null, df) else (1.0, 1.0)
    t1, t2 = x2 - c * df, x2_null - c0 * df_null
    if _near_zero(t2) or not (np.isfinite(t1) and np.isfinite(t2)):
        return np.nan
    return 1.0 - t1 / t2


def nfi(x2, df, x2_null, df_null) -> float:
    """Normed fit index (lav_fit_nfi)."""
    if _any_nan(x2, df, x2_null, df_null) or df > df_null or _near_zero(x2_null):
        return np.nan
    return (x2_null - x2) / x2_null if df > 0 else 1.0


def pnfi(x2, df, x2_null, df_null) -> float:
    """Parsimony normed fit index (lav_fit_pnfi)."""
    if _any_nan(x2, df, x2_null, df_null) or not (df_null > 0 and x2_null > 0):
        return np.nan
    return df / df_null * (x2_null - x2) / x2_null


def rfi(x2, df, x2_null, df_null) -> float:
    """Relative fit index (lav_fit_rfi)."""
    if _any_nan(x2, df, x2_null, df_null) or df > df_null:
        return np.nan
    if not (df > 0 and df_null > 0):
        return 1.0
    t1, t2 = x2_null / df_null - x2 / df, x2_null / df_null
    if not (np.isfinite(t1) and np.isfinite(t2)):
        return np.nan
    return 1.0 if t1 < 0 or t2 < 0 else t1 / t2


def ifi(x2, df, x2_null, df_null) -> float:
    """Incremental fit index (lav_fit_ifi)."""
    if _any_nan(x2, df, x2_null, df_null):
        return np.nan
    t1, t2 = x2_null - x2, x2_null - df
    if not (np.isfinite(t1) and np.isfinite(t2)):
        return np.nan
    if t2 < 0:
        return 1.0
    return np.nan if _near_zero(t2) else t1 / t2


def rmsea(x2: float, df: float, n: float, groups: int, c_hat: float = 1.0) -> float:
    """lavaan's lav_fit_rmsea; with ``c_hat`` the robust RMSEA."""
    if _any_nan(x2, df):
        return np.nan
    if df <= 0:
        return 0.0
    return float(np.sqrt(max(x2 / n / df - c_hat / n, 0.0)) * np.sqrt(groups)) if np.isfinite(c_hat) else np.nan


def rmsea_ci(
    x2: float, df: float, n: float, groups: int, c_hat: float = 1.0, level: float = RMSEA_CI_LEVEL
) -> tuple[float, float]:
    """lavaan's lav_fit_rmsea_ci: roots lambda of pchisq(X2, df, ncp = lambda) = (1 + level)/2 and (1 - level)/2,
    as ``sqrt(c lambda / (N df)) sqrt(G)``."""
    if _any_nan(x2, df, n) or not np.isfinite(x2):
        return np.nan, np.nan
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2
    scale = lambda lam: np.sqrt(c_hat * lam / (n * df)) * np.sqrt(groups)  # noqa: E731 - one-line conversion
    lower = 0.0
    if df >= 1 and _pchisq(x2, df, 0.0) - upper_p >= 0:
        lower = scale(optimize.brentq(lambda lam: _pchisq(x2, df, lam) - upper_p, 0.0, x2, xtol=1e-12))
    n_rmsea = max(n, 4 * x2)
    upper = 0.0
    if df >= 1 and not (_pchisq(x2, df, n_rmsea) - lower_p > 0 or _pchisq(x2, df, 0.0) - lower_p < 0):
        upper = scale(optimize.brentq(lambda lam: _pchisq(x2, df, lam) - lower_p, 0.0, n_rmsea, xtol=1e-12))
    return float(lower), float(upper)


def rmsea_pvalue(
    x2: float, df: float, n: float, groups: int, c_hat: float = 1.0, h0: float = RMSEA_CLOSE_H0, close: bool = True
) -> float:
    """Test of close fit, p(RMSEA <= h0) (lav_fit_rmsea_closefit), or with ``close=False`` of not-close fit,
    p(RMSEA >= h0) (lav_fit_rmsea_notclosefit)."""
    if _any_nan(x2, df, n, c_hat) or df <= 0:
        return np.nan
    p = _pchisq(x2, df, n * df / c_hat * h0**2 / groups)
    return 1.0 - p if close else p


def mfi(x2, df, n) -> float:
    """McDonald's (1989) fit index exp(-(X2 - df) / (2N)) (lav_fit_mfi)."""
    return float(np.exp(-0.5 * (x2 - df) / n))


def ecvi(x2, npar, n) -> float:
    """Expected cross-validation index X2/N + 2 npar/N (lav_fit_ecvi)."""
    return float(x2 / n + 2 * npar / n)


def critical_n(x2, df, n, alpha) -> float:
    """Hoelter's critical N (lav_fit_cn)."""
    if df == 0 and x2 < np.finfo(float).eps:
        return np.nan
    quantile = special.chdtri(df, alpha) if df > 0 else 0.0  # qchisq(1 - alpha, df)
    return float(quantile / (x2 / n) + 1)


def _rmsea_block(suffix, x2, df, n, groups, c_hat=1.0, x2_ci=None, c_hat_ci=None) -> dict:
    """rmsea (with ``suffix``) and its CI, close-fit and not-close-fit p-values."""
    x2_ci = x2 if x2_ci is None else x2_ci
    c_hat_ci = c_hat if c_hat_ci is None else c_hat_ci
    lower, upper = rmsea_ci(x2_ci, df, n, groups, c_hat_ci)
    return {
        f"rmsea{suffix}": rmsea(x2, df, n, groups, c_hat),
        f"rmsea_ci_lower{suffix}": lower,
        f"rmsea_ci_upper{suffix}": upper,
        f"rmsea_pvalue{suffix}": rmsea_pvalue(x2_ci, df, n, groups, c_hat_ci),
        f"rmsea_notclose_pvalue{suffix}": rmsea_pvalue(x2_ci, df, n, groups, c_hat_ci, RMSEA_NOTCLOSE_H0, False),
    }


def _shifted_c_hat(test: TestStatistic) -> float:
    """c of a scaled-shifted test in the robust indices: a (df - b) / df (lav_fit_cfi_lavobject)."""
    return test.scaling_factor * (test.df - test.shift) / test.df if test.df > 0 else np.nan


def robust_inputs(scaled: TestStatistic, base_scaled: TestStatistic) -> dict:
    """The robust indices' inputs from the scaled tests (complete continuous data): the unscaled statistics with
    the scaling factors (lav_fit_cfi_lavobject, lav_fit_rmsea_lavobject)."""
    shifted = scaled.test == "scaled.shifted"
    return {
        "xx3": scaled.standard,
        "df3": scaled.df,
        "xx3_scaled": scaled.statistic,
        "c_hat": _shifted_c_hat(scaled) if shifted else scaled.scaling_factor,
        "c_hat_rmsea_ci": scaled.scaling_factor,
        "xx3_null": base_scaled.standard,
        "df3_null": base_scaled.df,
        "c_hat_null": _shifted_c_hat(base_scaled) if shifted else base_scaled.scaling_factor,
    }


def fit_measures(
    *,
    npar: int,
    fmin: float,
    n_rmsea: float,
    groups: int,
    tests: list[TestStatistic],
    baseline: list[TestStatistic],
    robust: dict | None = None,
    logl: dict | None = None,
    residual_measures: dict | None = None,
    other: dict | None = None,
    robust_keys: bool = False,
) -> dict[str, float]:
    """fitMeasures() from the records: ``tests`` (standard first, then the scaled one if any) of the model,
    ``baseline`` those of the independence model; ``robust`` the robust indices' inputs (:func:`robust_inputs`,
    or the FIML/categorical corrections) when lavaan gives them; ``robust_keys``: whether lavaan lists the robust
    keys (then NaN without ``robust``); ``logl`` (logl, unrestricted_logl, aic, bic, ntotal, bic2 and the
    Yuan-Bentler h0/h1 factors) for ML; ``residual_measures`` the RMR/SRMR family; ``other`` GFI and friends."""
    standard, base = tests[0], baseline[0]
    scaled = tests[1] if len(tests) > 1 else None
    base_scaled = baseline[1] if len(baseline) > 1 else None
    x2, df, x2b, dfb = standard.statistic, standard.df, base.statistic, base.df
    out = {"npar": npar, "fmin": fmin, "chisq": x2, "df": df, "pvalue": standard.pvalue}
    if scaled is not None:
        out.update(
            chisq_scaled=scaled.statistic,
            df_scaled=scaled.df,
            pvalue_scaled=scaled.pvalue,
            chisq_scaling_factor=scaled.scaling_factor,
        )
        if scaled.test == "scaled.shifted":
            out["chisq_shift_parameter"] = scaled.shift
    out.update(baseline_chisq=x2b, baseline_df=dfb, baseline_pvalue=base.pvalue)
    if scaled is not None and base_scaled is not None:  # the baseline is scaled with the model
        out.update(
            baseline_chisq_scaled=base_scaled.statistic,
            baseline_df_scaled=base_scaled.df,
            baseline_pvalue_scaled=base_scaled.pvalue,
            baseline_chisq_scaling_factor=base_scaled.scaling_factor,
        )
    out.update(cfi=cfi(x2, df, x2b, dfb), tli=tli(x2, df, x2b, dfb))
    if scaled is not None and base_scaled is not None:
        args = (scaled.statistic, scaled.df, base_scaled.statistic, base_scaled.df)
        out.update(cfi_scaled=cfi(*args), tli_scaled=tli(*args))
    r = robust
    if r is not None:  # ordered items: the CFI/TLI use the model's degrees of freedom (lav_fit_cfi_lavobject)
        robust_args = (
            r["xx3"],
            r.get("cfi_df", r["df3"]),
            r["xx3_null"],
            r.get("cfi_df_null", r["df3_null"]),
            r["c_hat"],
            r["c_hat_null"],
        )
        out.update(cfi_robust=cfi(*robust_args), tli_robust=tli(*robust_args))
    elif robust_keys:
        out.update(cfi_robust=np.nan, tli_robust=np.nan)
    out.update(
        nnfi=tli(x2, df, x2b, dfb),
        rfi=rfi(x2, df, x2b, dfb),
        nfi=nfi(x2, df, x2b, dfb),
        pnfi=pnfi(x2, df, x2b, dfb),
        ifi=ifi(x2, df, x2b, dfb),
        rni=rni(x2, df, x2b, dfb),
    )
    if scaled is not None and base_scaled is not None:
        args = (scaled.statistic, scaled.df, base_scaled.statistic, base_scaled.df)
        out.update(
            nnfi_scaled=tli(*args),
            rfi_scaled=rfi(*args),
            nfi_scaled=nfi(*args),
            pnfi_scaled=pnfi(*args),
            ifi_scaled=ifi(*args),
            rni_scaled=rni(*args),
        )
    if r is not None:
        out.update(nnfi_robust=tli(*robust_args), rni_robust=rni(*robust_args))
    elif robust_keys:
        out.update(nnfi_robust=np.nan, rni_robust=np.nan)
    out.update(logl or {})
    out.update(_rmsea_block("", x2, df, n_rmsea, groups))
    out["rmsea_ci_level"], out["rmsea_close_h0"], out["rmsea_notclose_h0"] = (
        RMSEA_CI_LEVEL,
        RMSEA_CLOSE_H0,
        RMSEA_NOTCLOSE_H0,
    )
    if scaled is not None:
        # lav_fit_rmsea_lavobject: the scaled-shifted statistic on df, else X2 on tr(U Gamma) degrees of freedom
        shifted = scaled.test == "scaled.shifted"
        x2_scaled = scaled.statistic if shifted else x2
        df_scaled = df if shifted else (scaled.trace if np.isfinite(scaled.trace) and scaled.trace != 0 else np.nan)
        out.update(_rmsea_block("_scaled", x2_scaled, df_scaled, n_rmsea, groups))
    if r is not None:
        out.update(
            _rmsea_block(
                "_robust",
                r["xx3"],
                r["df3"],
                n_rmsea,
                groups,
                r.get("c_hat3", r["c_hat"]),
                x2_ci=r["xx3_scaled"],
                c_hat_ci=r.get("c_hat_rmsea_ci", r["c_hat"]),
            )
        )
    elif robust_keys:
        out.update({f"rmsea{k}_robust": np.nan for k in ("", "_ci_lower", "_ci_upper", "_pvalue", "_notclose_pvalue")})
    out.update(residual_measures or {})
    out.update(cn_05=critical_n(x2, df, n_rmsea, 0.05), cn_01=critical_n(x2, df, n_rmsea, 0.01))
    out.update(other or {})
    out.update(mfi=mfi(x2, df, n_rmsea))
    return out
