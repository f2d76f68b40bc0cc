"""Intraclass correlations: the six Shrout & Fleiss (1979) forms with F tests and confidence intervals.

Mean squares from the two-way ANOVA of a complete targets x raters table, or, with missing ratings, from the
variance components of the crossed targets x raters random-effects model estimated by REML (psych's default
``lmer = TRUE``); ICCs, F tests and intervals with the formulas of ``psych::ICC`` (psych 2.2.9, which follows
Shrout & Fleiss 1979 and McGraw & Wong 1996). Written
here rather than taken from pingouin because pingouin's ``intraclass_corr`` needs long data, fixes the intervals
at 95% and rounds them to two decimals; the tests cross-check both.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import optimize, special

from .._checks import check_choice, check_column_labels, check_confidence, check_label, label_position, numeric_cells
from .._results import TableResult
from .._typing import ItemData
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
# The table's labels and descriptions, built once: making pandas' (arrow) string arrays for them costs more than
# computing the ICCs. pd.concat shares the description column copy-on-write, so a result's table is its own.
_COLUMNS = pd.Index(["icc", "f", "df1", "df2", "pvalue", "ci_low", "ci_high"])
_DESCRIPTION_COLUMN = pd.DataFrame({"description": [_DESCRIPTIONS[form] for form in _FORMS]}, index=list(_FORMS))


@dataclasses.dataclass(frozen=True, repr=False)
class ICCResult(TableResult):
    """Six intraclass correlations; ``table`` is indexed ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k with columns
    icc, f, df1, df2, pvalue, ci_low, ci_high, description (also reachable directly: ``res.loc["ICC2", "icc"]``).
    ``mean_squares`` holds the mean squares (between targets, within targets, raters, residual): from the ANOVA
    (``method="anova"``) or built from the REML variance components ``variance_components`` (targets, raters,
    residual; ``method="reml"``) as psych does; ``n_dropped`` counts targets without any rating (left out)."""

    n_targets: int
    n_raters: int
    confidence: float
    mean_squares: dict
    method: str
    variance_components: dict | None
    n_dropped: int

    def value(self, form: str) -> float:
        """The ICC of one form, e.g. ``value("ICC2")``."""
        if form not in _FORMS:
            raise DataError(f"unknown ICC form {form!r}; choose one of {', '.join(_FORMS)}.")
        return float(self.table.loc[form, "icc"])


def _check_ratings(ratings_wide: ItemData, method: str | None) -> tuple[np.ndarray, str, int]:
    """Float array of the targets x raters table without unrated targets, the method and the targets dropped.

    Errors name non-numeric cells, a rater without ratings and, for the ANOVA, missing ratings.
    """
    if not isinstance(ratings_wide, pd.DataFrame):
        ratings_wide = pd.DataFrame(np.asarray(ratings_wide))
    if ratings_wide.shape[1] < 2:
        raise DataError(f"ratings_wide has {ratings_wide.shape[1]} rater column(s); an ICC needs at least 2 raters.")
    values = numeric_cells(ratings_wide, "ratings_wide")
    missing = np.isnan(values)
    n_dropped = 0
    if missing.any() or not len(values):
        values, method, n_dropped = _rated_targets(values, missing, ratings_wide, method)
    else:  # complete, the usual case: no row to drop; C order, as values[rated] gives, keeps every sum bit for bit
        values, method = np.ascontiguousarray(values), method or "anova"
    if len(values) < 3:
        raise DataError(f"ratings_wide has {len(values)} target(s); an ICC needs at least 3 targets.")
    if np.ptp(values) == 0:
        raise DataError("every rating is the same value; the ICC is undefined without variance.")
    return values, method, n_dropped


def _rated_targets(
    values: np.ndarray, missing: np.ndarray, ratings_wide: pd.DataFrame, method: str | None
) -> tuple[np.ndarray, str, int]:
    """The rows of targets with at least one rating, the method and the targets dropped; errors name a rater
    without ratings and, for the ANOVA, the targets with missing ratings."""
    unrated = missing.all(axis=0)
    if unrated.any():
        raise DataError(
            f"ratings_wide column {ratings_wide.columns[unrated.argmax()]!r} has no ratings; drop the rater."
        )
    rated = ~missing.all(axis=1)
    values, incomplete = values[rated], missing[rated].any(axis=1)
    method = method or ("reml" if incomplete.any() else "anova")
    if incomplete.any() and method == "anova":
        rows = list(ratings_wide.index[rated][incomplete][:10])
        raise DataError(
            f"ratings_wide has missing ratings in {int(incomplete.sum())} row(s) (targets {rows}); the ICC "
            "ANOVA needs every target rated by every rater. Use method='reml' (psych's lmer = TRUE) or drop "
            "those targets."
        )
    return values, method, int((~rated).sum())


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


def _reml_deviance(log_theta: np.ndarray, design: dict) -> tuple[float, float]:
    """Profiled REML deviance of y = mu + a_target + b_rater + e at relative SDs theta = exp(log_theta), and r2.

    With Z = [targets | raters] indicators and Lambda = diag(theta_a, theta_b) per column, H = I + Z Lambda^2 Z',
    M = I + Lambda Z'Z Lambda (Woodbury: u'H^-1 v = u'v - (Lambda Z'u)' M^-1 (Lambda Z'v), log|H| = log|M|),
    the deviance is log|M| + log(1'H^-1 1) + (N - 1) (1 + log(2 pi r2 / (N - 1))), r2 the GLS residual sum of
    squares (Bates et al. 2015, lme4, eq. 34-41 for one fixed effect). M's target block is diagonal, so it is
    eliminated (Schur complement on the k x k rater block): O(n k^2) per evaluation.
    """
    theta_a, theta_b = np.exp(log_theta)
    counts_a, counts_b, incidence = design["counts_a"], design["counts_b"], design["incidence"]
    d_a = 1 + theta_a**2 * counts_a
    cross = theta_a * theta_b * incidence
    schur = np.diag(1 + theta_b**2 * counts_b) - cross.T @ (cross / d_a[:, None])
    chol = np.linalg.cholesky(schur)
    # Lambda Z'u for u = 1 (columns 0) and u = y (column 1), target and rater parts
    w_a = theta_a * design["zt_a"]
    w_b = theta_b * design["zt_b"]
    reduced = np.linalg.solve(chol, w_b - cross.T @ (w_a / d_a[:, None]))
    quadratic = w_a.T @ (w_a / d_a[:, None]) + reduced.T @ reduced  # (Lambda Z'u)' M^-1 (Lambda Z'v), 2 x 2
    gram = design["gram"] - quadratic  # [[1'H1, 1'Hy], [y'H1, y'Hy]] with H^-1
    r2 = gram[1, 1] - gram[0, 1] ** 2 / gram[0, 0]
    n_obs = design["n_obs"]
    log_det = np.log(d_a).sum() + 2 * np.log(np.diag(chol)).sum()
    return float(log_det + np.log(gram[0, 0]) + (n_obs - 1) * (1 + np.log(2 * np.pi * r2 / (n_obs - 1)))), r2


def _reml_variances(x: np.ndarray) -> dict:
    """REML variance components (targets, raters, residual) of the crossed random-effects model on the observed
    cells, as ``lme4::lmer(values ~ 1 + (1 | id) + (1 | items))`` in psych::ICC.

    Written here because statsmodels' MixedLM fits crossed random effects only as variance components of one
    all-encompassing group, with dense N x N matrices; the profiled REML criterion has just two parameters (the
    relative SDs), minimised on the log scale by L-BFGS-B from lme4's start (1, 1). A component at the boundary
    (zero) is approached as exp(log_theta) -> 0, which lme4 reports as 0 exactly.
    """
    observed = ~np.isnan(x)
    y = np.where(observed, x, 0.0)
    design = {
        "counts_a": observed.sum(axis=1).astype(float),
        "counts_b": observed.sum(axis=0).astype(float),
        "incidence": observed.astype(float),
        "zt_a": np.column_stack([observed.sum(axis=1), y.sum(axis=1)]).astype(float),
        "zt_b": np.column_stack([observed.sum(axis=0), y.sum(axis=0)]).astype(float),
        "gram": np.array([[observed.sum(), y.sum()], [y.sum(), (y**2).sum()]], dtype=float),
        "n_obs": int(observed.sum()),
    }
    best = optimize.minimize(
        lambda t: _reml_deviance(t, design)[0],
        np.zeros(2),
        method="L-BFGS-B",
        bounds=[(-20, 10)] * 2,
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500},
    )
    r2 = _reml_deviance(best.x, design)[1]
    residual = r2 / (design["n_obs"] - 1)
    theta = np.exp(best.x)
    theta[theta < 1e-6] = 0.0  # a boundary estimate: the component is zero, as lme4 reports it
    return {
        "targets": float(theta[0] ** 2 * residual),
        "raters": float(theta[1] ** 2 * residual),
        "residual": float(residual),
    }


def _mean_squares_from_components(components: dict, n: int, k: int) -> dict:
    """psych::ICC's (lmer = TRUE) mean squares: MSB = k s2_t + s2_e, MSJ = n s2_r + s2_e, MSW = s2_r + s2_e,
    MSE = s2_e."""
    residual = components["residual"]
    return {
        "between_targets": k * components["targets"] + residual,
        "within_targets": components["raters"] + residual,
        "raters": n * components["raters"] + residual,
        "residual": residual,
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
            (msb - mse) / (msb + (msj - mse) / n),
            f3,
            df1_two,
            df2_two,
            p3,
            _spearman_brown_k(icc2_low, k),
            _spearman_brown_k(icc2_high, k),
        ),
        "ICC3k": ((msb - mse) / msb, f3, df1_two, df2_two, p3, 1 - 1 / f3_low, 1 - 1 / f3_high),
    }
    numbers = pd.DataFrame(
        np.array([rows[form] for form in _FORMS], dtype=float), index=_DESCRIPTION_COLUMN.index, columns=_COLUMNS
    )
    return pd.concat([numbers, _DESCRIPTION_COLUMN], axis=1)


def _spearman_brown_k(rho: float, k: int) -> float:
    return rho * k / (1 + rho * (k - 1))


def _icc2_interval(icc2: float, msb: float, msj: float, mse: float, n: int, k: int, tail: float) -> tuple[float, float]:
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


def icc(ratings_wide: ItemData, confidence: float = 0.95, *, method: str | None = None) -> ICCResult:
    """The six Shrout & Fleiss (1979) intraclass correlations of a targets x raters table.

    ICC1 = (MSB - MSW) / (MSB + (k - 1) MSW); ICC2 = (MSB - MSE) / (MSB + (k - 1) MSE + k (MSJ - MSE) / n);
    ICC3 = (MSB - MSE) / (MSB + (k - 1) MSE); ICC1k, ICC2k, ICC3k are the reliabilities of the mean of the k
    raters. F tests, p-values and intervals as ``psych::ICC`` (ICC2's interval with Satterthwaite df).

    Parameters
    ----------
    ratings_wide : DataFrame
        One row per target, one column per rater; NaN for a missing rating. Targets without any rating are left
        out (``n_dropped``).
    confidence : float
        Coverage of the intervals.
    method : {None, "anova", "reml"}
        "anova": mean squares of the two-way ANOVA (complete tables only; psych ``lmer = FALSE``); "reml": mean
        squares from the REML variance components of the crossed targets x raters model (psych's default
        ``lmer = TRUE``, which allows missing ratings). None (default): "anova" for a complete table,
        "reml" when ratings are missing.

    Returns
    -------
    ICCResult
        ``to_frame()`` gives the table indexed ICC1 .. ICC3k with columns icc, f, df1, df2, pvalue, ci_low,
        ci_high, description (the McGraw & Wong 1996 names).

    Notes
    -----
    R: ``psych::ICC(ratings_wide, lmer = method == "reml", alpha = 1 - confidence)$results``. psych counts
    targets without any rating in n; they are left out here.

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
    check_choice(method, (None, "anova", "reml"), name="method")
    values, method, n_dropped = _check_ratings(ratings_wide, method)
    n, k = values.shape
    components = _reml_variances(values) if method == "reml" else None
    ms = _mean_squares(values) if components is None else _mean_squares_from_components(components, n, k)
    return ICCResult(
        table=_icc_table(ms, n, k, confidence),
        n_targets=n,
        n_raters=k,
        confidence=float(confidence),
        mean_squares={name: float(v) for name, v in ms.items()},
        method=method,
        variance_components=components,
        n_dropped=n_dropped,
    )


def icc_long(
    data: pd.DataFrame, targets: str, raters: str, ratings: str, confidence: float = 0.95, *, method: str | None = None
) -> ICCResult:
    """ICCs of long data (one row per target x rater) with columns ``targets``, ``raters``, ``ratings``.

    The data are pivoted to targets x raters and passed to :func:`icc` (with ``method``; a missing target x rater
    combination is a missing rating, so the default is then REML); a target rated twice by a rater raises a
    DataError naming them.
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
    arguments = {"targets": targets, "raters": raters, "ratings": ratings}
    for argument, label in arguments.items():
        check_label(label, name=argument)
    check_column_labels(data, "data")
    columns = list(data.columns)
    positions = [label_position(label, columns) for label in arguments.values()]
    missing_columns = [label for label, position in zip(arguments.values(), positions) if position is None]
    if missing_columns:
        raise DataError(f"columns {missing_columns} are not in the data; the columns are {columns}.")
    if len(set(positions)) < len(positions):
        raise DataError(
            f"targets={targets!r}, raters={raters!r} and ratings={ratings!r} name the same column more than once; "
            "name three different columns."
        )
    long = data.iloc[:, positions].set_axis(list(arguments), axis=1)  # by position: [True] would be a mask
    duplicated = long.duplicated(subset=["targets", "raters"], keep=False)
    if duplicated.any():
        pairs = list(long.loc[duplicated, ["targets", "raters"]].drop_duplicates().itertuples(index=False, name=None))
        raise DataError(
            f"target x rater combinations {pairs[:10]} appear more than once; each rater rates each target once."
        )
    wide = long.pivot(index="targets", columns="raters", values="ratings").rename_axis(index=targets, columns=raters)
    return icc(wide, confidence=confidence, method=method)
