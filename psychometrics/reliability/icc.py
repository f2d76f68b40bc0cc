"""Intraclass correlations: the six Shrout & Fleiss (1979) forms with F tests and confidence intervals.

Mean squares from the two-way ANOVA of a complete targets x raters table; ICCs, F tests and intervals with the
formulas of ``psych::ICC`` (psych 2.2.9, which follows Shrout & Fleiss 1979 and McGraw & Wong 1996). Written
here rather than taken from pingouin because pingouin's ``intraclass_corr`` needs long data, fixes the intervals
at 95% and rounds them to two decimals; the tests cross-check both.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import special

from .._checks import check_confidence, numeric_cells
from .._results import TableResult
from ..errors import DataError

__all__ = ["ICCResult", "icc", "icc_long"]

_FORMS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
_DESCRIPTIONS = {
    "ICC1": "Single rater, one-way random, absolute agreement: ICC(1) (McGraw & Wong ICC(1))",
    "ICC2": "Single rater, two-way random, absolute agreement: ICC(2,1) (McGraw & Wong ICC(A,1))",
    "ICC3": "Single rater, two-way mixed, consistency: ICC(3,1) (McGraw & Wong ICC(C,1))",
    "ICC1k": "Mean of k raters, one-way random, absolute agreement: ICC(1,k) (McGraw & Wong ICC(k))",
    "ICC2k": "Mean of k raters, two-way random, absolute agreement: ICC(2,k) (McGraw & Wong ICC(A,k))",
    "ICC3k": "Mean of k raters, two-way mixed, consistency: ICC(3,k) (McGraw & Wong ICC(C,k))",
}


@dataclasses.dataclass(frozen=True, repr=False)
class ICCResult(TableResult):
    """Six intraclass correlations; ``table`` is indexed ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k with columns
    icc, f, df1, df2, pvalue, ci_low, ci_high, description (also reachable directly: ``res.loc["ICC2", "icc"]``).
    ``mean_squares`` holds the ANOVA mean squares (between targets, within targets, raters, residual)."""

    n_targets: int
    n_raters: int
    confidence: float
    mean_squares: dict

    def value(self, form: str) -> float:
        """The ICC of one form, e.g. ``value("ICC2")``."""
        if form not in _FORMS:
            raise DataError(f"unknown ICC form {form!r}; choose one of {', '.join(_FORMS)}.")
        return float(self.table.loc[form, "icc"])


def _check_ratings(ratings_wide) -> np.ndarray:
    """Float array of a complete targets x raters table; errors name missing or non-numeric cells."""
    if not isinstance(ratings_wide, pd.DataFrame):
        ratings_wide = pd.DataFrame(np.asarray(ratings_wide))
    if ratings_wide.shape[1] < 2:
        raise DataError(f"ratings_wide has {ratings_wide.shape[1]} rater column(s); an ICC needs at least 2 raters.")
    values = numeric_cells(ratings_wide, "ratings_wide")
    incomplete = np.isnan(values).any(axis=1)
    if incomplete.any():
        rows = list(ratings_wide.index[incomplete][:10])
        raise DataError(
            f"ratings_wide has missing ratings in {int(incomplete.sum())} row(s) (targets {rows}); the ICC "
            "ANOVA needs every target rated by every rater. Drop those targets or collect the ratings."
        )
    if len(values) < 3:
        raise DataError(f"ratings_wide has {len(values)} target(s); an ICC needs at least 3 targets.")
    if np.ptp(values) == 0:
        raise DataError("every rating is the same value; the ICC is undefined without variance.")
    return values


def _mean_squares(x: np.ndarray) -> dict:
    """Two-way ANOVA mean squares of a complete n x k table (Shrout & Fleiss 1979, Table 2)."""
    n, k = x.shape
    grand = x.mean()
    ss_total = ((x - grand) ** 2).sum()
    ss_between = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_raters = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = ss_total - ss_between - ss_raters
    return {
        "between_targets": ss_between / (n - 1),
        "within_targets": (ss_total - ss_between) / (n * (k - 1)),
        "raters": ss_raters / (k - 1),
        "residual": ss_error / ((n - 1) * (k - 1)),
    }


def _f_quantile(p: float, df1: float, df2: float) -> float:
    """F quantile; scipy.special.fdtri is what scipy.stats.f.ppf calls, without its 0.3 ms of argument handling."""
    return special.fdtri(df1, df2, p)


def _icc_table(ms: dict, n: int, k: int, confidence: float) -> pd.DataFrame:
    """ICCs, F tests and intervals as psych::ICC (Shrout & Fleiss 1979 eq. 2-4; McGraw & Wong 1996 Table 7)."""
    msb, msw, msj, mse = ms["between_targets"], ms["within_targets"], ms["raters"], ms["residual"]
    tail = (1 - confidence) / 2
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    f1, df1_one, df2_one = msb / msw, n - 1, n * (k - 1)
    f3, df1_two, df2_two = msb / mse, n - 1, (n - 1) * (k - 1)
    # one-way and consistency intervals: exact F bounds (Shrout & Fleiss eq. 6, 13)
    f1_low = f1 / _f_quantile(1 - tail, df1_one, df2_one)
    f1_high = f1 * _f_quantile(1 - tail, df2_one, df1_one)
    f3_low = f3 / _f_quantile(1 - tail, df1_two, df2_two)
    f3_high = f3 * _f_quantile(1 - tail, df2_two, df1_two)
    icc2_low, icc2_high = _icc2_interval(icc2, msb, msj, mse, n, k, tail)
    p1 = special.fdtrc(df1_one, df2_one, f1)  # upper tail, as scipy.stats.f.sf
    p3 = special.fdtrc(df1_two, df2_two, f3)
    rows = {
        "ICC1": (icc1, f1, df1_one, df2_one, p1, (f1_low - 1) / (f1_low + k - 1), (f1_high - 1) / (f1_high + k - 1)),
        "ICC2": (icc2, f3, df1_two, df2_two, p3, icc2_low, icc2_high),
        "ICC3": (icc3, f3, df1_two, df2_two, p3, (f3_low - 1) / (f3_low + k - 1), (f3_high - 1) / (f3_high + k - 1)),
        "ICC1k": ((msb - msw) / msb, f1, df1_one, df2_one, p1, 1 - 1 / f1_low, 1 - 1 / f1_high),
        "ICC2k": (
            (msb - mse) / (msb + (msj - mse) / n), f3, df1_two, df2_two, p3,
            _spearman_brown_k(icc2_low, k), _spearman_brown_k(icc2_high, k),
        ),
        "ICC3k": ((msb - mse) / msb, f3, df1_two, df2_two, p3, 1 - 1 / f3_low, 1 - 1 / f3_high),
    }
    numbers = np.array([rows[form] for form in _FORMS], dtype=float).T
    columns = dict(zip(["icc", "f", "df1", "df2", "pvalue", "ci_low", "ci_high"], numbers))
    return pd.DataFrame({**columns, "description": [_DESCRIPTIONS[form] for form in _FORMS]}, index=list(_FORMS))


def _spearman_brown_k(rho: float, k: int) -> float:
    return rho * k / (1 + rho * (k - 1))


def _icc2_interval(icc2, msb, msj, mse, n, k, tail) -> tuple[float, float]:
    """ICC(2,1) interval with Satterthwaite's approximate df (Shrout & Fleiss 1979 eq. 10-12, as psych::ICC)."""
    fj = msj / mse
    a = n * (1 + (k - 1) * icc2) - k * icc2
    v = (k - 1) * (n - 1) * (k * icc2 * fj + a) ** 2 / ((n - 1) * k**2 * icc2**2 * fj**2 + a**2)
    f_upper = _f_quantile(1 - tail, n - 1, v)
    f_lower = _f_quantile(1 - tail, v, n - 1)
    base = k * msj + (k * n - k - n) * mse
    low = n * (msb - f_upper * mse) / (f_upper * base + n * msb)
    high = n * (f_lower * msb - mse) / (base + n * f_lower * msb)
    return low, high


def icc(ratings_wide, confidence: float = 0.95) -> ICCResult:
    """The six Shrout & Fleiss (1979) intraclass correlations of a complete targets x raters table.

    ICC1 = (MSB - MSW) / (MSB + (k - 1) MSW); ICC2 = (MSB - MSE) / (MSB + (k - 1) MSE + k (MSJ - MSE) / n);
    ICC3 = (MSB - MSE) / (MSB + (k - 1) MSE); ICC1k, ICC2k, ICC3k are the reliabilities of the mean of the k
    raters. F tests, p-values and intervals as ``psych::ICC`` (ICC2's interval with Satterthwaite df).

    Parameters
    ----------
    ratings_wide : DataFrame
        One row per target, one column per rater; every cell rated (a missing rating raises a DataError
        naming the targets).
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    ICCResult
        ``to_frame()`` gives the table indexed ICC1 .. ICC3k with columns icc, f, df1, df2, pvalue, ci_low,
        ci_high, description (the McGraw & Wong 1996 names).

    Notes
    -----
    R: ``psych::ICC(ratings_wide, lmer = FALSE, alpha = 1 - confidence)$results`` (with complete data
    lmer = TRUE gives the same mean squares unless a variance component is negative).

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater reliability. Psychological Bulletin, 86, 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation coefficients. Psychological Methods, 1, 30-46.

    Examples
    --------
    >>> import psychometrics as pm
    >>> res = pm.icc(pm.datasets.load("shrout_fleiss"))
    >>> res.loc["ICC2", ["icc", "ci_low", "ci_high"]].round(4).tolist()
    [0.2898, 0.0188, 0.7611]
    """
    confidence = check_confidence(confidence)
    values = _check_ratings(ratings_wide)
    n, k = values.shape
    ms = _mean_squares(values)
    return ICCResult(
        table=_icc_table(ms, n, k, confidence),
        n_targets=n,
        n_raters=k,
        confidence=float(confidence),
        mean_squares={name: float(v) for name, v in ms.items()},
    )


def icc_long(data: pd.DataFrame, targets: str, raters: str, ratings: str, confidence: float = 0.95) -> ICCResult:
    """ICCs of long data (one row per target x rater) with columns ``targets``, ``raters``, ``ratings``.

    The data are pivoted to targets x raters and passed to :func:`icc`; a target rated twice by a rater or a
    missing target x rater combination raises a DataError naming them.
    R: ``psych::ICC(tidyr::pivot_wider(...))``; Python: ``pingouin.intraclass_corr(data, targets, raters, ratings)``.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater reliability. Psychological Bulletin, 86, 420-428.

    Examples
    --------
    >>> import psychometrics as pm
    >>> wide = pm.datasets.load("shrout_fleiss")
    >>> long = wide.rename_axis("target").reset_index().melt("target", var_name="rater", value_name="rating")
    >>> round(float(pm.icc_long(long, "target", "rater", "rating").loc["ICC2", "icc"]), 4)
    0.2898
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"icc_long needs a pandas DataFrame; got {type(data).__name__}.")
    missing_columns = [c for c in (targets, raters, ratings) if c not in data.columns]
    if missing_columns:
        raise DataError(f"columns {missing_columns} are not in the data; the columns are {list(data.columns)}.")
    duplicated = data.duplicated(subset=[targets, raters], keep=False)
    if duplicated.any():
        pairs = list(data.loc[duplicated, [targets, raters]].drop_duplicates().itertuples(index=False, name=None))
        raise DataError(
            f"target x rater combinations {pairs[:10]} appear more than once; each rater rates each target once."
        )
    wide = data.pivot(index=targets, columns=raters, values=ratings)
    return icc(wide, confidence=confidence)
