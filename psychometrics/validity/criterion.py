"""Known-groups and criterion validity of scale scores."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from .._checks import as_item_frame, check_choice, check_confidence, label_list
from .._results import TableResult
from ..errors import DataError
from .construct import correlation_pvalue, fisher_interval

__all__ = ["KnownGroupsResult", "CriterionValidityResult", "known_groups", "criterion_validity"]


def _score_frame(scores: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Scale scores as a float DataFrame (one column per scale); a Series becomes one column."""
    if isinstance(scores, pd.Series):
        scores = scores.to_frame(name=scores.name if scores.name is not None else "score")
    return as_item_frame(scores, min_items=1, drop_empty_rows=False, name="scores")


def _aligned(values: pd.Series | npt.ArrayLike, frame: pd.DataFrame, name: str) -> pd.Series:
    """``values`` (a Series aligned by index, or a sequence of the same length) as a Series on frame's index."""
    if isinstance(values, pd.Series):
        missing = frame.index.difference(values.index)
        if len(missing):
            raise DataError(f"{name} has no value for score row(s) {list(missing[:10])}; align {name} with the scores.")
        return values.loc[frame.index]
    try:
        values = np.asarray(values)
    except ValueError:  # ragged nested lists
        values = np.asarray(values, dtype=object)
    if values.ndim != 1 or len(values) != len(frame):
        raise DataError(f"{name} must have one value per row of the scores ({len(frame)}); got shape {values.shape}.")
    return pd.Series(values, index=frame.index, name=name)


def _pingouin():
    """pingouin, imported on first use: it pulls in matplotlib (about 2 s), too slow for ``import psychometrics``."""
    import pingouin

    return pingouin


# --------------------------------------------------------------------------------------------------------------
# Known groups
# --------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, repr=False)
class KnownGroupsResult(TableResult):
    """Score differences between groups expected to differ.

    Attributes
    ----------
    table : one row per scale. Two groups: n, hedges_g, ci_low, ci_high, t, df, pvalue (Welch t test); more
        groups: n, f, df1, df2, pvalue (Welch ANOVA), eta_squared.
    descriptives : scale, group, n, mean, sd.
    groups : the group labels in order (g is group 1 minus group 2).
    test : "welch_t" or "welch_anova".
    confidence : level of the Hedges' g interval.
    n_used : rows with at least one score; n_dropped : rows without any score (left out).
    """

    descriptives: pd.DataFrame
    groups: list
    test: str
    confidence: float
    n_used: int
    n_dropped: int


def _hedges_row(first: np.ndarray, second: np.ndarray, confidence: float) -> dict:
    """Hedges' g (pooled-SD d times 1 - 3 / (4 (n1 + n2) - 9)) with pingouin's CI, and Welch's t test."""
    pingouin = _pingouin()
    g = pingouin.compute_effsize(first, second, paired=False, eftype="hedges")
    # compute_esci rounds its output; 12 decimals keep it exact to well beyond 1e-4.
    ci_low, ci_high = pingouin.compute_esci(
        g, len(first), len(second), eftype="hedges", confidence=confidence, decimals=12
    )
    welch = stats.ttest_ind(first, second, equal_var=False)
    return {
        "n": len(first) + len(second),
        "hedges_g": float(g),
        "ci_low": float(ci_low),
        "ci_high": float(ci_high),
        "t": float(welch.statistic),
        "df": float(welch.df),
        "pvalue": float(welch.pvalue),
    }


def _welch_anova_row(values: pd.Series, labels: pd.Series) -> dict:
    """Welch (1951) one-way ANOVA (pingouin.welch_anova) and eta-squared SS_between / SS_total."""
    pingouin = _pingouin()
    frame = pd.DataFrame({"score": values.to_numpy(), "group": labels.astype(str).to_numpy()})
    try:
        aov = pingouin.welch_anova(data=frame, dv="score", between="group").iloc[0]
    except ValueError as error:
        raise DataError(f"Welch ANOVA of {values.name!r} failed: {error}") from error
    f_value, df1, df2 = float(aov["F"]), float(aov["ddof1"]), float(aov["ddof2"])
    return {
        "n": len(frame),
        "f": f_value,
        "df1": df1,
        "df2": df2,
        "pvalue": float(stats.f.sf(f_value, df1, df2)),
        "eta_squared": float(aov["np2"]),
    }


def _group_order(labels: pd.Series, order: list | None) -> list:
    present = list(pd.unique(labels.dropna()))
    if order is None:
        if isinstance(labels.dtype, pd.CategoricalDtype):
            return [c for c in labels.cat.categories if c in present]
        return sorted(present, key=str)
    order = label_list(order, name="order")
    unknown = [g for g in order if g not in present]
    if unknown:
        raise DataError(f"order names group(s) {unknown} that do not occur in groups ({present}).")
    return list(order)


def known_groups(
    scores: pd.DataFrame | pd.Series, groups: npt.ArrayLike, order: list | None = None, confidence: float = 0.95
) -> KnownGroupsResult:
    """Known-groups validity: do groups that should differ differ in their scores?

    Parameters
    ----------
    scores : Series or DataFrame of scale scores (one column per scale).
    groups : group label of every row (a Series aligned by index, or a sequence).
    order : the groups to compare, in order (default: all, sorted; categorical order for a categorical).
    confidence : level of the Hedges' g interval.

    Two groups: Hedges' g = J d, d = (mean_1 - mean_2) / pooled SD, J = 1 - 3 / (4 (n_1 + n_2) - 9) (Hedges &
    Olkin 1985), interval g -/+ t_{n-2} sqrt((n_1 + n_2) / (n_1 n_2) + g^2 / (2 (n_1 + n_2))) (pingouin 0.5
    ``compute_esci``), and Welch's t test (R ``t.test(x, y)``). More groups: Welch's ANOVA (R
    ``oneway.test(score ~ group, var.equal = FALSE)``) and eta-squared = SS_between / SS_total. Rows with a missing
    score or group are left out scale by scale; rows without any score are counted in ``n_dropped``.

    References
    ----------
    Hedges, L. V., & Olkin, I. (1985). Statistical methods for meta-analysis. Academic Press.
    Welch, B. L. (1947). The generalization of 'Student's' problem when several different population variances are involved. Biometrika, 34, 28-35.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> visual = hs[["x1", "x2", "x3"]].mean(axis=1).rename("visual")
    >>> res = pm.known_groups(visual.to_frame(), hs["school"], order=["Pasteur", "Grant-White"])
    >>> res.to_frame().loc["visual", ["hedges_g", "ci_low", "ci_high"]].round(4).tolist()
    [0.1088, -0.1184, 0.336]
    """
    confidence = check_confidence(confidence)
    raw = (
        scores.to_frame(name=scores.name if scores.name is not None else "score")
        if isinstance(scores, pd.Series)
        else scores
    )
    if not isinstance(raw, pd.DataFrame):
        raise DataError(f"scores must be a pandas DataFrame or Series of scale scores; got {type(scores).__name__}.")
    answered = raw.notna().any(axis=1).to_numpy()
    labels = _aligned(groups, raw, "groups")[answered]
    frame = _score_frame(raw[answered])
    chosen = _group_order(labels, order)
    if len(chosen) < 2:
        raise DataError(f"known_groups needs at least two groups; got {chosen}.")
    rows, descriptives = {}, []
    for position, scale in enumerate(frame.columns):  # by position: a tuple label would index rows and columns
        column = frame.iloc[:, position]
        keep = column.notna() & labels.isin(chosen)
        values, kept_labels = column[keep], labels[keep]
        stats_by_group = values.groupby(kept_labels).agg(["count", "mean", "std"]).reindex(chosen)
        small = stats_by_group.index[stats_by_group["count"].fillna(0) < 2]
        if len(small):
            raise DataError(f"scale {scale!r}: group(s) {list(small)} have fewer than two scores; drop or merge them.")
        descriptives.append(
            stats_by_group.rename(columns={"count": "n", "std": "sd"}).assign(scale=[scale] * len(chosen))
        )
        if len(chosen) == 2:
            first, second = (values[kept_labels == g].to_numpy() for g in chosen)
            rows[scale] = _hedges_row(first, second, confidence)
        else:
            rows[scale] = _welch_anova_row(values, kept_labels)
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("scale")
    table["n"] = table["n"].astype(int)
    described = pd.concat(descriptives).rename_axis("group").reset_index()[["scale", "group", "n", "mean", "sd"]]
    return KnownGroupsResult(
        table=table,
        descriptives=described.astype({"n": int}),
        groups=chosen,
        test="welch_t" if len(chosen) == 2 else "welch_anova",
        confidence=confidence,
        n_used=len(frame),
        n_dropped=int((~answered).sum()),
    )


# --------------------------------------------------------------------------------------------------------------
# Criterion validity
# --------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, repr=False)
class CriterionValidityResult(TableResult):
    """Correlation of every scale score with a criterion.

    Attributes
    ----------
    table : one row per scale: r, ci_low, ci_high (Fisher z), pvalue, n (pairwise complete).
    criterion : the criterion's name; method : "pearson" or "spearman"; confidence : interval level.
    """

    criterion: str
    method: str
    confidence: float


def criterion_validity(
    scores: pd.DataFrame | pd.Series,
    criterion: pd.Series | npt.ArrayLike,
    method: str = "pearson",
    confidence: float = 0.95,
) -> CriterionValidityResult:
    """Criterion validity: correlation of each scale score with a criterion, with a Fisher-z interval.

    Parameters
    ----------
    scores : Series or DataFrame of scale scores.
    criterion : the criterion (a Series aligned by index, or a sequence with one value per row).
    method : "pearson" or "spearman"; pairs with a missing value are left out scale by scale.

    R equivalent: ``cor.test(score, criterion)`` (the same interval and t-test p-value).

    References
    ----------
    Cronbach, L. J., & Meehl, P. E. (1955). Construct validity in psychological tests. Psychological Bulletin, 52, 281-302.
    Fisher, R. A. (1921). On the probable error of a coefficient of correlation deduced from a small sample. Metron, 1, 3-32.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> visual = hs[["x1", "x2", "x3"]].mean(axis=1).rename("visual")
    >>> res = pm.criterion_validity(visual, hs["x7"])
    >>> res.to_frame().loc["visual", ["r", "ci_low", "ci_high"]].round(4).tolist()
    [0.0267, -0.0866, 0.1394]
    """
    check_choice(method, ("pearson", "spearman"), name="method")
    confidence = check_confidence(confidence)
    frame = _score_frame(scores)
    target = pd.to_numeric(_aligned(criterion, frame, "criterion"), errors="coerce").astype(float)
    if target.notna().sum() < 3 or target.nunique() < 2:
        raise DataError("criterion needs at least three observed, not all equal values.")
    r = frame.corrwith(target, method=method)
    n = (frame.notna() & target.notna().to_numpy()[:, None]).sum()
    ci_low, ci_high = fisher_interval(r, n, confidence)
    table = pd.DataFrame(
        {"r": r, "ci_low": ci_low, "ci_high": ci_high, "pvalue": correlation_pvalue(r, n), "n": n.astype(int)}
    ).rename_axis("scale")
    name = getattr(criterion, "name", None)
    return CriterionValidityResult(
        table=table, criterion="criterion" if name is None else str(name), method=method, confidence=confidence
    )
