"""Agreement between raters: Cohen's kappa, Fleiss' kappa and Krippendorff's alpha.

Cohen's kappa (with its ASE) and Fleiss' kappa coefficient come from ``statsmodels.stats.inter_rater``, which is
correct for them (it reproduces the SAS and R irr examples). Written here, because statsmodels lacks them: the
interval of Cohen's kappa at any confidence (statsmodels fixes 95%), Fleiss' kappa's standard error and test
(statsmodels returns only the coefficient, and checks its input with bare asserts), and Krippendorff's alpha.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from statsmodels.stats import inter_rater

from .._checks import check_choice, check_column_labels, check_confidence, z_critical
from .._results import Result
from ..errors import DataError

__all__ = [
    "KappaResult",
    "FleissKappaResult",
    "KrippendorffResult",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
]

_WEIGHTS = (None, "linear", "quadratic")
_LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _two_sided_p(z: float) -> float:
    return float(2 * stats.norm.sf(abs(z)))


# --------------------------------------------------------------------------------------------------- Cohen
@dataclasses.dataclass(frozen=True, repr=False)
class KappaResult(Result):
    """Cohen's (weighted) kappa: ``ase`` its asymptotic standard error (Fleiss, Cohen & Everitt 1969), ``ci``
    kappa +/- z ase, ``z`` and ``pvalue`` the test of kappa = 0 with the standard error under the null
    (``ase_null``); ``table`` the rater A (rows) x rater B (columns) table."""

    kappa: float
    ase: float
    ci: tuple[float, float]
    confidence: float
    ase_null: float
    z: float
    pvalue: float
    weights: str | None
    n_obs: int
    table: pd.DataFrame


def _agreement_table(a: npt.ArrayLike, b: npt.ArrayLike) -> pd.DataFrame:
    """Square table of two raters' ratings over the union of their categories (sorted)."""
    first, second = pd.Series(np.asarray(a, dtype=object)), pd.Series(np.asarray(b, dtype=object))
    if len(first) != len(second):
        raise DataError(
            f"the two raters have {len(first)} and {len(second)} ratings; they must rate the same subjects."
        )
    missing = first.isna() | second.isna()
    if missing.any():
        rows = np.flatnonzero(missing.to_numpy())[:10].tolist()
        raise DataError(
            f"{int(missing.sum())} subject(s) lack a rating from one rater (positions {rows}); drop those "
            "subjects before computing kappa."
        )
    try:
        categories = sorted(set(first) | set(second))
    except TypeError as exc:
        raise DataError("ratings mix types that cannot be ordered (e.g. numbers and text); recode them.") from exc
    table = pd.crosstab(first, second).reindex(index=categories, columns=categories, fill_value=0)
    table.index.name, table.columns.name = "rater_a", "rater_b"
    return table


def _as_square_table(a: pd.DataFrame | npt.ArrayLike) -> pd.DataFrame:
    table = a.copy() if isinstance(a, pd.DataFrame) else pd.DataFrame(np.asarray(a))
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] < 2:
        raise DataError(
            f"a kappa table must be square with at least 2 categories; got shape {values.shape}. To use two "
            "columns of ratings, pass them as cohen_kappa(ratings_a, ratings_b)."
        )
    if np.isnan(values).any() or (values < 0).any():
        raise DataError("a kappa table holds counts: every cell must be a non-negative number.")
    return pd.DataFrame(values, index=table.index, columns=table.columns)


def _custom_weights(weights: npt.ArrayLike, n_categories: int) -> np.ndarray:
    """A checked agreement-weight matrix: c x c, entries in [0, 1], ones on the diagonal (as psych's ``w``)."""
    matrix = np.asarray(weights, dtype=float)
    if matrix.shape != (n_categories, n_categories):
        raise DataError(
            f"the weight matrix has shape {matrix.shape}, but the ratings have {n_categories} categories; pass a "
            f"{n_categories} x {n_categories} matrix of agreement weights."
        )
    if not np.all((matrix >= 0) & (matrix <= 1)) or not np.all(np.diag(matrix) == 1):
        raise DataError(
            "agreement weights must lie in [0, 1] with ones on the diagonal (full credit for exact agreement); "
            "for disagreement weights d pass 1 - d / max(d)."
        )
    return matrix


def cohen_kappa(
    a: pd.DataFrame | npt.ArrayLike,
    b: npt.ArrayLike | None = None,
    weights: str | npt.ArrayLike | None = None,
    confidence: float = 0.95,
) -> KappaResult:
    """Cohen's kappa for two raters, unweighted, with linear / quadratic weights or a custom weight matrix.

    kappa = (p_o - p_e) / (1 - p_e) with weighted agreement proportions (Cohen 1960, 1968); weights use the
    rank distance of the categories, ``1 - |i - j| / (c - 1)`` (linear, Cicchetti-Allison) or 1 - (i - j)^2 / (c - 1)^2
    (quadratic, Fleiss-Cohen), or are given as a matrix of agreement weights. ASE by Fleiss, Cohen & Everitt
    (1969), computed by statsmodels' ``cohens_kappa`` (which takes disagreement weights 1 - w).

    Parameters
    ----------
    a : DataFrame or array
        A square table of counts (rater A in rows, rater B in columns), or the first rater's ratings.
    b : array-like, optional
        The second rater's ratings, same subjects in the same order as ``a``.
    weights : {None, "linear", "quadratic"} or array
        A c x c matrix is taken as agreement weights (entries in [0, 1], ones on the diagonal), as
        ``psych::cohen.kappa(x, w = weights)``; the result's ``weights`` is then ``"custom"``.
    confidence : float
        Coverage of the interval kappa +/- z ase.

    Notes
    -----
    SAS: ``PROC FREQ; TABLES a*b / AGREE``; R: ``irr::kappa2`` (z test), ``psych::cohen.kappa``.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological Measurement, 20, 37-46.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70, 213-220.
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa and weighted kappa. Psychological Bulletin, 72, 323-327.

    Examples
    --------
    >>> import psychometrics as pm
    >>> res = pm.cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    >>> round(res.kappa, 4), round(res.ase, 4)
    (0.4842, 0.138)
    """
    custom = None if weights is None or isinstance(weights, str) else weights  # a matrix of agreement weights
    if custom is None:
        check_choice(weights, _WEIGHTS, name="weights")
    confidence = check_confidence(confidence)
    table = _as_square_table(a) if b is None else _agreement_table(a, b)
    counts = table.to_numpy(dtype=float)
    if counts.sum() < 2:
        raise DataError("kappa needs at least 2 rated subjects.")
    if custom is not None:
        res = inter_rater.cohens_kappa(counts, weights=1 - _custom_weights(custom, len(counts)))
    else:
        res = inter_rater.cohens_kappa(counts, wt=weights)
    z_crit = z_critical(confidence)
    return KappaResult(
        kappa=float(res.kappa),
        ase=float(res.std_kappa),
        ci=(float(res.kappa - z_crit * res.std_kappa), float(res.kappa + z_crit * res.std_kappa)),
        confidence=confidence,
        ase_null=float(res.std_kappa0),
        z=float(res.z_value),
        pvalue=_two_sided_p(res.z_value),
        weights=weights if isinstance(weights, str) or weights is None else "custom",
        n_obs=int(counts.sum()),
        table=table,
    )


# --------------------------------------------------------------------------------------------------- Fleiss
@dataclasses.dataclass(frozen=True, repr=False)
class FleissKappaResult(Result):
    """Fleiss' kappa for many raters with its standard error under the null, z and two-sided p-value."""

    kappa: float
    se: float
    z: float
    pvalue: float
    n_subjects: int
    n_raters: int
    n_categories: int


def fleiss_kappa(counts: pd.DataFrame | npt.ArrayLike) -> FleissKappaResult:
    """Fleiss' (1971) kappa from a subjects x categories table of how many raters chose each category.

    kappa = (P_bar - P_e) / (1 - P_e) (statsmodels ``fleiss_kappa``); standard error under kappa = 0 from
    Fleiss, Nee & Landis (1979): se = sqrt(2 / (N m (m - 1))) sqrt((sum p_j q_j)^2 - sum p_j q_j (q_j - p_j))
    / sum p_j q_j, with N subjects, m raters, p_j the category proportions; z = kappa / se.
    Every subject must have the same number of ratings. Raw ratings (subjects x raters) become counts with
    ``statsmodels.stats.inter_rater.aggregate_raters``.
    R: ``irr::kappam.fleiss(ratings)``.

    Parameters
    ----------
    counts : DataFrame or array
        Subjects x categories counts (each row sums to the number of raters).

    Returns
    -------
    FleissKappaResult
        ``kappa``, ``se``, ``z``, ``pvalue``, ``n_subjects``, ``n_raters`` and ``n_categories``.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological Bulletin, 76, 378-382.

    Examples
    --------
    >>> import psychometrics as pm
    >>> counts = [[3, 0, 0], [0, 3, 0], [1, 1, 1], [0, 0, 3], [2, 1, 0]]
    >>> round(pm.fleiss_kappa(counts).kappa, 4)
    0.4932
    """
    raw = counts if isinstance(counts, pd.DataFrame) else np.asarray(counts, dtype=object)  # ragged: 1-D
    if raw.ndim != 2:
        raise DataError(f"counts must be a subjects x categories table (at least 2 x 2); got shape {raw.shape}.")
    table = raw.copy() if isinstance(raw, pd.DataFrame) else pd.DataFrame(raw)
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if values.ndim != 2 or values.shape[1] < 2 or values.shape[0] < 2:
        raise DataError(f"counts must be a subjects x categories table (at least 2 x 2); got shape {values.shape}.")
    if np.isnan(values).any() or (values < 0).any() or not np.allclose(values, np.round(values)):
        raise DataError(
            "counts must hold non-negative whole numbers (raters per subject and category), no missing cells."
        )
    per_subject = values.sum(axis=1)
    unequal = per_subject != per_subject[0]
    if unequal.any():
        rows = list(table.index[unequal][:10])
        raise DataError(
            f"subjects {rows} have a different number of ratings than subject {table.index[0]!r} "
            f"({int(per_subject[0])}); Fleiss' kappa needs the same number of raters for every subject."
        )
    n_subjects, m = values.shape[0], per_subject[0]
    if m < 2:
        raise DataError("Fleiss' kappa needs at least 2 ratings per subject.")
    kappa = inter_rater.fleiss_kappa(values, method="fleiss")
    p = values.sum(axis=0) / values.sum()
    pq = p * (1 - p)
    se = np.sqrt(2 / (n_subjects * m * (m - 1))) * np.sqrt(pq.sum() ** 2 - (pq * (1 - 2 * p)).sum()) / pq.sum()
    z = kappa / se
    return FleissKappaResult(
        kappa=float(kappa),
        se=float(se),
        z=float(z),
        pvalue=_two_sided_p(z),
        n_subjects=int(n_subjects),
        n_raters=int(m),
        n_categories=values.shape[1],
    )


# --------------------------------------------------------------------------------------------------- Krippendorff
@dataclasses.dataclass(frozen=True, repr=False)
class KrippendorffResult(Result):
    """Krippendorff's alpha at one level of measurement; ``n_pairable`` values in ``n_units`` pairable units."""

    alpha: float
    level: str
    observed_disagreement: float
    expected_disagreement: float
    n_units: int
    n_pairable: int
    n_coders: int


def _squared_differences(categories: np.ndarray, marginals: np.ndarray, level: str) -> np.ndarray:
    """Krippendorff's (2011) difference functions delta^2(c, k) between the values."""
    c, k = categories[:, None], categories[None, :]
    if level == "nominal":
        return (c != k).astype(float)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(((c - k) / (c + k)) ** 2)
    # ordinal: (sum of n_g for g from c to k - (n_c + n_k) / 2)^2
    cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
    ranks = np.arange(len(categories))
    low, high = np.minimum.outer(ranks, ranks), np.maximum.outer(ranks, ranks)
    between = cumulative[high + 1] - cumulative[low]
    return (between - (marginals[:, None] + marginals[None, :]) / 2) ** 2


def _unit_value_counts(frame: pd.DataFrame, level: str) -> tuple[np.ndarray, np.ndarray]:
    """(categories, units x categories counts) of the observed values."""
    # stacked by coder position: pandas cannot stack some labels (None beside booleans, ...)
    stacked = frame.set_axis(range(frame.shape[1]), axis=1).stack().dropna()
    if level != "nominal":
        numeric = pd.to_numeric(stacked, errors="coerce")
        if numeric.isna().any():
            unit, coder = numeric.index[numeric.isna()][0]
            raise DataError(
                f"level={level!r} needs numbers; unit {unit!r}, coder {frame.columns[coder]!r} holds "
                f"{stacked[(unit, coder)]!r}."
            )
        stacked = numeric.astype(float)
        if level == "ratio" and (stacked < 0).any():
            raise DataError("level='ratio' needs non-negative values (a true zero); use level='interval'.")
    codes, categories = pd.factorize(stacked, sort=True)
    units = pd.factorize(stacked.index.get_level_values(0))[0]
    counts = np.zeros((units.max() + 1 if len(units) else 0, len(categories)))
    np.add.at(counts, (units, codes), 1.0)
    return np.asarray(categories), counts


def krippendorff_alpha(reliability_data: pd.DataFrame | npt.ArrayLike, level: str = "nominal") -> KrippendorffResult:
    """Krippendorff's alpha for any number of coders, missing values and four levels of measurement.

    alpha = 1 - D_o / D_e = 1 - (n - 1) sum_ck o_ck delta^2_ck / sum_ck n_c n_k delta^2_ck, with the coincidence
    matrix o_ck = sum_u (number of c-k pairs in unit u) / (m_u - 1) over units with m_u >= 2 values
    (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"). statsmodels has no Krippendorff alpha.

    Parameters
    ----------
    reliability_data : DataFrame
        One row per unit (subject), one column per coder; NaN/None where a coder gave no value. (Krippendorff
        prints the transpose, coders x units.)
    level : {"nominal", "ordinal", "interval", "ratio"}
        The difference function delta^2 (nominal values may be text).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for Communication, University of Pennsylvania.
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability measure for coding data. Communication Methods and Measures, 1, 77-89.

    Examples
    --------
    >>> import psychometrics as pm
    >>> import pandas as pd
    >>> units = pd.DataFrame([[1, 1, None], [2, 2, 2], [3, 3, 3], [3, 3, 3], [2, 2, 2], [1, 2, 1]])
    >>> round(pm.krippendorff_alpha(units, level="nominal").alpha, 4)
    0.8298
    """
    check_choice(level, _LEVELS, name="level")
    frame = (
        reliability_data.copy()
        if isinstance(reliability_data, pd.DataFrame)
        else pd.DataFrame(np.asarray(reliability_data, dtype=object))
    )
    if frame.shape[1] < 2:
        raise DataError(f"reliability_data has {frame.shape[1]} coder column(s); agreement needs at least 2 coders.")
    check_column_labels(frame, "reliability_data")
    categories, counts = _unit_value_counts(frame, level)
    values_per_unit = counts.sum(axis=1)
    pairable = counts[values_per_unit >= 2]
    m_u = pairable.sum(axis=1)
    if len(pairable) == 0:
        raise DataError("no unit has values from two coders; Krippendorff's alpha needs pairable values.")
    weighted = pairable / (m_u - 1)[:, None]
    coincidences = weighted.T @ pairable - np.diag(weighted.sum(axis=0))
    marginals = coincidences.sum(axis=1)
    n = marginals.sum()
    delta2 = _squared_differences(categories.astype(float) if level != "nominal" else categories, marginals, level)
    observed = (coincidences * delta2).sum() / n
    expected = (np.outer(marginals, marginals) * delta2).sum() / (n * (n - 1))
    if expected == 0:
        raise DataError("every pairable value is the same; Krippendorff's alpha is undefined without variation.")
    return KrippendorffResult(
        alpha=float(1 - observed / expected),
        level=level,
        observed_disagreement=float(observed),
        expected_disagreement=float(expected),
        n_units=int(len(pairable)),
        n_pairable=int(n),
        n_coders=frame.shape[1],
    )
