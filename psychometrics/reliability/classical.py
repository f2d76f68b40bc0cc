"""Internal-consistency reliability: Cronbach's alpha, item statistics, Guttman's lambdas, split-half reliability.

Every statistic follows the definitions of R psych 2.2.9 (``psych::alpha``, ``psych::guttman``,
``psych::splitHalf``) so that the numbers agree with psych to 1e-4; the docstrings give the formula's source and
the equivalent R call. ``standard_error_of_measurement``, ``spearman_brown`` and ``test_retest`` complete the
classical-test-theory toolbox.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import special

from .._blas import small_matrices
from .._checks import (
    answered_rows,
    check_choice,
    check_confidence,
    check_count,
    check_n_obs,
    label_list,
    label_position,
    looks_like_correlation_matrix,
    z_critical,
)
from .._results import Result, TableResult
from .._typing import DataOrCorr, FloatOrArray, ItemData, Keys, Scores, Seed
from ..errors import DataError
from ._bootstrap import bootstrap_alphas, complete_covariance

__all__ = [
    "AlphaResult",
    "ItemStatisticsResult",
    "GuttmanResult",
    "SplitHalfResult",
    "TestRetestResult",
    "cronbach_alpha",
    "item_statistics",
    "guttman",
    "split_half",
    "standard_error_of_measurement",
    "spearman_brown",
    "test_retest",
]

_CI_METHODS = ("feldt", "duhachek", "bootstrap", None)
_MISSING = ("pairwise", "listwise")
# psych::splitHalf enumerates every split while there are at most this many (16 items: 6435 splits).
_MAX_ENUMERATED_SPLITS = 10_000
MAX_BOOT = 100_000  # bootstrap resamples: the spec schema has the same bound


# --------------------------------------------------------------------------------------------------- helpers
def _checked_keys(keys: Keys, items: list) -> list[int]:
    """The positions in ``items`` of the reverse-keyed items, each key matched to exactly one item.

    A key matches by equality of labels of the same kind: ``True == 1`` in Python, so a boolean key would
    otherwise name column 1 (and pandas would read ``frame[[True]]`` as a mask). Positions, not labels, are used
    downstream for the same reason.
    """
    if keys is None:
        return []
    keys = label_list(keys, name="keys")
    found = [label_position(key, items) for key in keys]
    unknown = [key for key, position in zip(keys, found) if position is None]
    if unknown:
        raise DataError(f"keys names item(s) {unknown} that are not columns of the data; the items are {items}.")
    positions = [position for position in found if position is not None]
    repeated = sorted({_plain(items[p]) for p in positions if positions.count(p) > 1}, key=str)
    if repeated:
        raise DataError(f"keys names item(s) {repeated} more than once; name each reversed item once.")
    return positions


def _key_signs(positions: list[int], n_items: int) -> np.ndarray:
    """-1 for the reverse-keyed items, 1 for the others."""
    signs = np.ones(n_items)
    signs[positions] = -1.0
    return signs


def _plain(label):
    """A column label as Python shows it to the user (numpy scalars as plain numbers)."""
    return label.item() if isinstance(label, np.generic) else label


def _reverse_keyed(frame: pd.DataFrame, keys: Iterable | None) -> tuple[pd.DataFrame, tuple]:
    """Reverse-score the items named in ``keys`` as (max + min - x), min and max over all items (psych's keys).

    Returns the new frame and the reversed item names.
    """
    if keys is None:  # no reversal: listing the columns (a pandas string array) costs more than the check
        return frame, ()
    positions = _checked_keys(keys, list(frame.columns))
    if not positions:
        return frame, ()
    values = frame.to_numpy()
    adjust = np.nanmax(values) + np.nanmin(values)
    reversed_frame = frame.copy()
    reversed_frame.iloc[:, positions] = adjust - values[:, positions]
    return reversed_frame, tuple(_plain(frame.columns[p]) for p in positions)


def _prepare_items(data, keys, missing: str = "pairwise") -> tuple[pd.DataFrame, tuple, int]:
    """Checked float copy of the items with reverse-keyed items reversed, and the number of rows dropped."""
    frame, n_dropped = _answered_items(data, missing)
    return (*_reverse_keyed(frame, keys), n_dropped)


def _answered_items(data, missing: str = "pairwise") -> tuple[pd.DataFrame, int]:
    """Checked float copy of the items and the number of rows dropped.

    Rows answering none of the items are dropped (see :func:`answered_rows`); "listwise" drops every row with a
    missing item.
    """
    check_choice(missing, _MISSING, name="missing")
    frame, n_dropped = answered_rows(data)
    if missing == "listwise":
        complete = frame.dropna()
        if len(complete) < 3:
            raise DataError(
                f"only {len(complete)} row(s) have every item answered; listwise deletion needs at least 3. "
                "Use missing='pairwise'."
            )
        n_dropped += len(frame) - len(complete)
        frame = complete
    return frame, n_dropped


def _covariance(frame: pd.DataFrame) -> np.ndarray:
    """Pairwise-complete covariance matrix (divisor n - 1), as R's ``cov(x, use = "pairwise")``."""
    values = frame.to_numpy()
    cov = frame.cov().to_numpy() if np.isnan(values).any() else complete_covariance(values)
    if np.isnan(cov).any():
        i, j = np.argwhere(np.isnan(cov))[0]
        raise DataError(
            f"items {frame.columns[i]!r} and {frame.columns[j]!r} are answered together by fewer than 2 "
            "respondents, so their covariance is unknown; drop one of them."
        )
    return cov


def _cov_to_cor(cov: np.ndarray) -> np.ndarray:
    """R's ``cov2cor``."""
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def _smc(cor: np.ndarray) -> np.ndarray:
    """Squared multiple correlation of each variable with the others: 1 - 1 / diag(R^-1) (psych::smc)."""
    try:
        inverse = np.linalg.inv(cor)
    except np.linalg.LinAlgError:
        inverse = np.linalg.pinv(cor)
    return 1.0 - 1.0 / np.diag(inverse)


def _raw_alpha(cov: np.ndarray) -> np.ndarray:
    """Cronbach's alpha (1 - tr(C) / sum(C)) k / (k - 1); ``cov`` may be a stack (..., k, k) of matrices."""
    k = cov.shape[-1]
    trace = np.trace(cov, axis1=-2, axis2=-1)
    total = cov.sum(axis=(-2, -1))
    return (1.0 - trace / total) * k / (k - 1)


def _std_alpha(cor: np.ndarray) -> float:
    """Standardised alpha from the correlation matrix: (1 - k / sum(R)) k / (k - 1) (psych::alpha's std.alpha)."""
    k = cor.shape[0]
    return (1.0 - k / cor.sum()) * k / (k - 1)


def _average_r(cor: np.ndarray) -> float:
    """Mean off-diagonal correlation (sum(R) - k) / (k (k - 1))."""
    k = cor.shape[0]
    return (cor.sum() - k) / (k * (k - 1))


def _alpha_ase(cov: np.ndarray, n_obs: int) -> float:
    """Asymptotic standard error of alpha, sqrt(Q / n) (Duhachek & Iacobucci 2004, eq. as in psych::alpha).

    Q = 2 k^2 / ((k - 1)^2 S^3) [S (tr(C^2) + tr(C)^2) - 2 tr(C) 1'C^2 1], S = 1'C1.
    """
    k = cov.shape[0]
    total = cov.sum()
    trace = np.trace(cov)
    cov2 = cov @ cov
    q = 2 * k**2 / ((k - 1) ** 2 * total**3) * (total * (np.trace(cov2) + trace**2) - 2 * trace * cov2.sum())
    return math.sqrt(q / n_obs)


def _feldt_ci(alpha: float, n_obs: int, n_items: int, confidence: float) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) interval: 1 - (1 - alpha) F quantiles on (n - 1, (n - 1)(k - 1)) df."""
    tail = (1 - confidence) / 2
    df1, df2 = n_obs - 1, (n_obs - 1) * (n_items - 1)
    # F quantiles by special.fdtri, which scipy.stats.f.ppf calls, without its argument handling (a third of alpha)
    low = 1 - (1 - alpha) * special.fdtri(df1, df2, 1 - tail)
    high = 1 - (1 - alpha) * special.fdtri(df1, df2, tail)
    return float(low), float(high)


def _bootstrap_ci(values: np.ndarray, confidence: float, n_boot: int, seed) -> tuple[float, float]:
    """Percentile interval of alpha over bootstrap resamples of the respondents (psych::alpha(n.iter=...))."""
    if not float(n_boot).is_integer() or n_boot < 2:
        raise DataError(f"n_boot must be a whole number of at least 2; got {n_boot!r}.")
    alphas = bootstrap_alphas(values, int(n_boot), np.random.default_rng(seed))
    alphas = alphas[np.isfinite(alphas)]
    tail = (1 - confidence) / 2
    low, high = np.quantile(alphas, [tail, 1 - tail])
    return float(low), float(high)


# --------------------------------------------------------------------------------------------------- alpha
@dataclasses.dataclass(frozen=True, repr=False)
class AlphaResult(Result):
    """Cronbach's alpha with its confidence interval (fields as psych::alpha's ``total`` and ``feldt``).

    ``alpha`` raw (covariance) alpha, ``std_alpha`` standardised alpha, ``g6_smc`` Guttman's lambda 6,
    ``average_r`` mean inter-item correlation, ``signal_noise`` k r / (1 - r), ``ase`` asymptotic standard error,
    ``ci`` the (low, high) interval by ``ci_method`` at ``confidence``, ``reversed_items`` the reverse-keyed items,
    ``cor`` the correlations alpha is computed from ("pearson": the covariances; "polychoric": ordinal alpha),
    ``n_used`` the respondents analysed and ``n_dropped`` the rows left out (no answer on any item; with
    ``missing="listwise"`` also the incomplete rows).
    """

    alpha: float
    std_alpha: float
    g6_smc: float
    average_r: float
    signal_noise: float
    ase: float
    ci: tuple[float, float]
    ci_method: str | None
    confidence: float
    n_obs: int
    n_items: int
    missing: str
    reversed_items: tuple
    cor: str
    n_used: int
    n_dropped: int


@small_matrices
def cronbach_alpha(
    data: DataOrCorr,
    *,
    ci: str | None = "feldt",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: Seed = None,
    missing: str = "pairwise",
    keys: Keys = None,
    n_obs: int | None = None,
    cor: str = "pearson",
) -> AlphaResult:
    """Cronbach's alpha of a set of items, as ``psych::alpha``.

    alpha = k / (k - 1) (1 - tr(C) / 1'C1) from the item covariance matrix C (Cronbach 1951); the standardised
    alpha, G6(smc) and average r use R = cov2cor(C), exactly as psych::alpha does.

    Parameters
    ----------
    data : DataFrame
        Respondents x items (numbers; NaN for missing answers). A correlation matrix is accepted with
        ``n_obs`` (then alpha equals the standardised alpha and only the Feldt and Duhachek intervals exist).
    ci : {"feldt", "duhachek", "bootstrap", None}
        Feldt, Woodruff & Salih (1987) F-based interval (psych::alpha.ci); Duhachek & Iacobucci (2004)
        alpha +/- z ase (psych prints it with z = 1.96); percentile bootstrap over ``n_boot`` resamples of the
        respondents with pairwise covariances (psych's ``n.iter``); None for no interval.
    confidence : float
        Coverage of the interval.
    n_boot, seed : int
        Bootstrap resamples and the seed of ``numpy.random.default_rng``.
    missing : {"pairwise", "listwise"}
        "pairwise" uses every pair of answers (R ``cov(x, use = "pairwise")``, psych's default, n_obs counts
        every respondent); "listwise" first drops respondents with any missing item.
    keys : list of str, optional
        Items to reverse-score as (max + min - x), max and min over all items (psych's ``keys``).
    n_obs : int, optional
        Number of respondents, needed only with a correlation matrix.
    cor : {"pearson", "polychoric"}
        "polychoric" gives ordinal alpha (Zumbo, Gadermann & Zeisser 2007): alpha of the polychoric correlation
        matrix (:func:`psychometrics.polychoric` with psych's default ``correct = 0.5``), keyed items entering
        with reversed sign; alpha then equals the standardised alpha, and ase and the Feldt interval use the
        ``n_used`` respondents. No bootstrap interval.

    Returns
    -------
    AlphaResult

    Notes
    -----
    R: ``psych::alpha(data, keys = keys)`` (``use = "pairwise"``); the interval is ``alpha$feldt`` or the
    "Duhachek" row of the printout. n_obs is the number of rows answering at least one item: rows with no answer
    are dropped (``n_dropped``), whereas psych counts them in its ase and Feldt interval (its alpha is the same).
    Ordinal alpha: ``psych::alpha(psych::polychoric(data)$rho, keys = keys, n.obs = n)`` with the interval
    ``psych::alpha.ci(alpha, n, k)``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika, 16, 297-334.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient alpha. Applied Psychological Measurement, 11, 93-103.

    Examples
    --------
    >>> import psychometrics as pm
    >>> agree = pm.datasets.load("bfi")[["A1", "A2", "A3", "A4", "A5"]]
    >>> res = pm.cronbach_alpha(agree, keys=["A1"])
    >>> round(res.alpha, 3), tuple(round(v, 3) for v in res.ci)
    (0.703, (0.685, 0.72))
    """
    check_choice(ci, _CI_METHODS, name="ci")
    check_choice(cor, ("pearson", "polychoric"), name="cor")
    confidence = check_confidence(confidence)
    n_boot = check_count(n_boot, name="n_boot", minimum=2, maximum=MAX_BOOT)
    if looks_like_correlation_matrix(data):
        return _alpha_from_correlation(data, ci, confidence, n_obs)
    if cor == "polychoric":
        return _ordinal_alpha(data, keys, ci, confidence, missing)
    frame, reversed_items, n_dropped = _prepare_items(data, keys, missing)
    cov = _covariance(frame)
    correlation = _cov_to_cor(cov)
    if keys is None:
        _warn_negative_items(correlation, frame.columns)
    return _alpha_result(
        cov,
        correlation,
        len(frame),
        frame.to_numpy(),
        ci,
        confidence,
        n_boot,
        seed,
        missing,
        reversed_items,
        "pearson",
        n_dropped,
    )


def _warn_negative_items(cor: np.ndarray, items: pd.Index) -> None:
    """Warn, naming them, about items that load negatively on the first principal component, as psych::alpha.

    psych::principal orients the component so that its loadings sum to a positive number; an item with a
    negative loading there "probably should be reversed" (pass it in ``keys``).
    """
    eigenvalues, eigenvectors = np.linalg.eigh(cor)
    first = eigenvectors[:, np.argmax(eigenvalues)]
    first = first * (1.0 if first.sum() >= 0 else -1.0)
    negative = [_plain(items[j]) for j in np.flatnonzero(first < 0)]  # no walk over a pandas string array
    if negative:
        warnings.warn(
            f"item(s) {', '.join(map(str, negative))} correlate negatively with the first principal component "
            f"of the scale and probably should be reversed: pass keys={negative} (psych::alpha warns "
            "the same).",
            UserWarning,
            stacklevel=3,
        )


def _alpha_from_correlation(corr, ci, confidence, n_obs) -> AlphaResult:
    if ci == "bootstrap":
        raise DataError("a bootstrap interval needs the raw data; pass respondents x items, not a correlation matrix.")
    n_obs = check_n_obs(n_obs, what="Cronbach's alpha of a correlation matrix")
    cor = np.asarray(corr, dtype=float)
    return _alpha_result(cor, cor, n_obs, None, ci, confidence, 0, None, "correlation matrix", (), "pearson", 0)


def _ordinal_alpha(data, keys, ci, confidence, missing) -> AlphaResult:
    """Alpha of the polychoric correlations, keyed items with reversed sign (psych::alpha(rho, keys))."""
    from ..factor.polychoric import polychoric  # factor imports reliability helpers: a local import avoids the cycle

    if ci == "bootstrap":
        raise DataError("ordinal alpha has the Feldt and Duhachek intervals only; use ci='feldt' or 'duhachek'.")
    frame, n_dropped = _answered_items(data, missing)
    positions = _checked_keys(keys, list(frame.columns))
    signs = _key_signs(positions, frame.shape[1])
    rho = polychoric(frame, correct=0.5).correlation.to_numpy() * np.outer(signs, signs)
    if not positions:
        _warn_negative_items(rho, frame.columns)
    reversed_items = tuple(_plain(frame.columns[p]) for p in positions)
    return _alpha_result(
        rho, rho, len(frame), None, ci, confidence, 0, None, missing, reversed_items, "polychoric", n_dropped
    )


def _alpha_result(
    cov, cor, n_obs, values, ci, confidence, n_boot, seed, missing, reversed_items, method, n_dropped
) -> AlphaResult:
    k = cov.shape[0]
    alpha = float(_raw_alpha(cov))
    average_r = _average_r(cor)
    ase = _alpha_ase(cov, n_obs)
    if ci == "feldt":
        interval = _feldt_ci(alpha, n_obs, k, confidence)
    elif ci == "duhachek":
        z = z_critical(confidence)
        interval = (alpha - z * ase, alpha + z * ase)
    elif ci == "bootstrap":
        interval = _bootstrap_ci(values, confidence, n_boot, seed)
    else:
        interval = (math.nan, math.nan)
    return AlphaResult(
        alpha=alpha,
        std_alpha=float(_std_alpha(cor)),
        g6_smc=float(_lambda6(cor)),
        average_r=float(average_r),
        signal_noise=float(k * average_r / (1 - average_r)),
        ase=ase,
        ci=(float(interval[0]), float(interval[1])),
        ci_method=ci,
        confidence=confidence,
        n_obs=int(n_obs),
        n_items=k,
        missing=missing,
        reversed_items=reversed_items,
        cor=method,
        n_used=int(n_obs),
        n_dropped=int(n_dropped),
    )


# --------------------------------------------------------------------------------------------------- items
@dataclasses.dataclass(frozen=True, repr=False)
class ItemStatisticsResult(TableResult):
    """Item statistics (psych::alpha's ``item.stats`` and ``alpha.drop``); ``table`` is indexed by item with
    columns n, mean, sd, r, r_cor, r_drop, alpha_if_deleted, std_alpha_if_deleted (also reachable directly:
    ``res["r_drop"]``, ``res.loc["A1"]``); ``n_used`` rows analysed, ``n_dropped`` rows with no answer."""

    reversed_items: tuple
    n_used: int
    n_dropped: int


def item_statistics(data: ItemData, keys: Keys = None) -> ItemStatisticsResult:
    """Item-level statistics of a scale, as ``psych::alpha(data, keys)$item.stats`` and ``$alpha.drop``.

    Columns: ``n`` answers, ``mean`` and ``sd`` (after reverse keying), ``r`` the correlation of the item with
    the mean score (psych's raw.r, pairwise), ``r_cor`` the item-total correlation corrected for overlap and
    reliability (psych's r.cor: colSums(R*) / sqrt(sum(R*)) with SMCs on the diagonal of R*), ``r_drop`` the
    correlation with the sum of the other items (from the covariance matrix), ``alpha_if_deleted`` and
    ``std_alpha_if_deleted`` the raw and standardised alpha without the item (psych's alpha.drop; undefined,
    NaN, for a two-item scale). Pairwise covariances as psych; ``keys`` reverse-scores items (max + min - x).

    References
    ----------
    Revelle, W. (2022). psych: Procedures for psychological, psychometric, and personality research (2.2.9), ``alpha``.

    Examples
    --------
    >>> import psychometrics as pm
    >>> agree = pm.datasets.load("bfi")[["A1", "A2", "A3", "A4", "A5"]]
    >>> table = pm.item_statistics(agree, keys=["A1"]).to_frame()
    >>> table.loc["A2", ["r_drop", "alpha_if_deleted"]].round(3).tolist()
    [0.564, 0.617]
    """
    frame, reversed_items, n_dropped = _prepare_items(data, keys)
    cov = _covariance(frame)
    cor = _cov_to_cor(cov)
    mean_score = frame.mean(axis=1)
    drop_alpha, drop_std = _alpha_if_deleted(cov, cor)
    table = pd.DataFrame(
        {
            "n": frame.notna().sum().astype(int),
            "mean": frame.mean(),
            "sd": frame.std(),
            "r": frame.corrwith(mean_score),
            "r_cor": _corrected_item_total(cor),
            "r_drop": _item_rest_correlation(cov),
            "alpha_if_deleted": drop_alpha,
            "std_alpha_if_deleted": drop_std,
        },
        index=frame.columns,
    )
    return ItemStatisticsResult(table=table, reversed_items=reversed_items, n_used=len(frame), n_dropped=n_dropped)


def _corrected_item_total(cor: np.ndarray) -> np.ndarray:
    """psych's r.cor: item-whole correlation with SMCs replacing the unit diagonal."""
    reduced = cor.copy()
    np.fill_diagonal(reduced, _smc(cor))
    with np.errstate(invalid="ignore"):  # a negative total (SMCs of a singular matrix): NaN, as R's sqrt
        return reduced.sum(axis=0) / np.sqrt(reduced.sum())


def _item_rest_correlation(cov: np.ndarray) -> np.ndarray:
    """Correlation of each item with the sum of the others: (1'C_i - C_ii) / sqrt(C_ii var(rest))."""
    item_var = np.diag(cov)
    with_rest = cov.sum(axis=0) - item_var
    rest_var = cov.sum() - 2 * cov.sum(axis=0) + item_var
    return with_rest / np.sqrt(item_var * rest_var)


def _alpha_if_deleted(cov: np.ndarray, cor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = cov.shape[0]
    if k < 3:
        return np.full(k, np.nan), np.full(k, np.nan)
    keep = [np.delete(np.arange(k), i) for i in range(k)]
    raw = np.array([_raw_alpha(cov[np.ix_(idx, idx)]) for idx in keep])
    std = np.array([_std_alpha(cor[np.ix_(idx, idx)]) for idx in keep])
    return raw, std


# --------------------------------------------------------------------------------------------------- Guttman
@dataclasses.dataclass(frozen=True, repr=False)
class GuttmanResult(Result):
    """Guttman's (1945) lower bounds lambda 1-6 of the correlation matrix (psych::guttman); ``n_used`` rows
    analysed (None for a correlation matrix) and ``n_dropped`` rows with no answer."""

    lambda1: float
    lambda2: float
    lambda3: float
    lambda4: float
    lambda5: float
    lambda6: float
    n_items: int
    n_used: int | None
    n_dropped: int


def _as_correlation(data, *, from_covariance: bool) -> tuple[np.ndarray, int | None, int]:
    """Correlation matrix of the items (given, cov2cor of pairwise covariances, or pairwise correlations), the
    number of rows used (None for a given matrix) and of rows dropped for answering no item."""
    if looks_like_correlation_matrix(data):
        cor = np.asarray(data, dtype=float)
        if cor.shape[0] < 2:
            raise DataError("at least two items are needed.")
        return cor, None, 0
    frame, n_dropped = answered_rows(data)
    cor = _cov_to_cor(_covariance(frame)) if from_covariance else frame.corr().to_numpy()
    return cor, len(frame), n_dropped


def _lambda6(cor: np.ndarray) -> float:
    """Guttman's lambda 6 with SMCs as the items' explained variance: 1 - sum(1 - smc) / sum(R)."""
    return 1.0 - (cor.shape[0] - _smc(cor).sum()) / cor.sum()


def guttman(data: DataOrCorr) -> GuttmanResult:
    """Guttman's six lower bounds of reliability, as ``psych::guttman`` (psych 2.2.9).

    From the (pairwise) correlation matrix R with total V = 1'R1 (Guttman 1945; Revelle & Zinbarg 2009):
    lambda1 = 1 - tr(R)/V; lambda2 = (V - tr(R) + sqrt(k/(k-1) sum_{i!=j} r_ij^2)) / V; lambda3 = k/(k-1) lambda1
    (standardised alpha); lambda4 = the largest split-half reliability (``split_half(...).maximum``);
    lambda5 = lambda1 + 2 sqrt(max_j sum_{i!=j} r_ij^2) / V; lambda6 = G6(smc) = 1 - sum(1 - smc_i) / V.

    ``data`` is respondents x items (pairwise correlations, as psych's ``cor(x, use = "pairwise")``) or a
    correlation matrix. Items are not reversed automatically: reverse negatively keyed items first.
    R: ``psych::guttman(data)`` (lambda.1 .. lambda.6).

    References
    ----------
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10, 255-282.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> res = pm.guttman(hs)
    >>> round(res.lambda3, 4), round(res.lambda6, 4)
    (0.7604, 0.8085)
    """
    cor, n_used, n_dropped = _as_correlation(data, from_covariance=False)
    k = cor.shape[0]
    if k < 3:
        raise DataError(f"Guttman's bounds need at least 3 items; got {k}. Use cronbach_alpha for two items.")
    total = cor.sum()
    lambda1 = 1 - np.trace(cor) / total
    off = cor - np.diag(np.diag(cor))
    squares = off**2
    return GuttmanResult(
        lambda1=float(lambda1),
        lambda2=float((off.sum() + math.sqrt(squares.sum() * k / (k - 1))) / total),
        lambda3=float(k / (k - 1) * lambda1),
        lambda4=float(_split_half_values(cor, None)[0].max()),
        lambda5=float(lambda1 + 2 * math.sqrt(squares.sum(axis=0).max()) / total),
        lambda6=float(_lambda6(cor)),
        n_items=k,
        n_used=n_used,
        n_dropped=n_dropped,
    )


# --------------------------------------------------------------------------------------------------- split half
@dataclasses.dataclass(frozen=True, repr=False)
class SplitHalfResult(Result):
    """Split-half reliabilities over the splits of the items into two halves (psych::splitHalf).

    ``maximum`` (Guttman's lambda 4), ``minimum`` and ``average`` over ``n_splits`` splits, every split when
    ``exhaustive`` else a seeded random sample; ``best_split`` / ``worst_split`` are the items of one half;
    ``n_used`` rows analysed (None for a correlation matrix), ``n_dropped`` rows with no answer.
    """

    maximum: float
    minimum: float
    average: float
    n_splits: int
    exhaustive: bool
    best_split: tuple
    worst_split: tuple
    n_items: int
    n_used: int | None
    n_dropped: int


def _split_indicators(k: int, rng) -> tuple[np.ndarray, bool]:
    """0/1 matrix (splits x items) of the first half of each split and whether every split is there.

    Halves have trunc(k/2) items. Every split is listed once (for even k the halves holding item 0) while there
    are at most 10,000 (psych's n.sample; 16 items); beyond that 10,000 random splits are drawn.
    """
    half = k // 2
    if k % 2 == 0:
        combos = itertools.combinations(range(1, k), half - 1)
        n_splits = math.comb(k - 1, half - 1)
        prefix: tuple[int, ...] = (0,)
    else:
        combos = itertools.combinations(range(k), half)
        n_splits = math.comb(k, half)
        prefix = ()
    if n_splits <= _MAX_ENUMERATED_SPLITS:
        members = np.array([prefix + c for c in combos], dtype=int).reshape(n_splits, -1)
        indicators = np.zeros((n_splits, k))
        np.put_along_axis(indicators, members, 1.0, axis=1)
        return indicators, True
    members = rng.random((_MAX_ENUMERATED_SPLITS, k)).argsort(axis=1)[:, :half]
    indicators = np.zeros((_MAX_ENUMERATED_SPLITS, k))
    np.put_along_axis(indicators, members, 1.0, axis=1)
    return indicators, False


def _split_half_values(cor: np.ndarray, seed) -> tuple[np.ndarray, np.ndarray, bool]:
    """Split-half reliability of each split, 4 c_AB / 1'R1 (psych::splitHalf), with the split indicators.

    c_AB = a'R(1 - a) is the covariance of the two standardised half scores; 4 c_AB / V equals the
    Spearman-Brown corrected half correlation 2 r / (1 + r) when both halves have equal variance
    (Flanagan-Rulon form, Guttman's lambda 4).
    """
    indicators, exhaustive = _split_indicators(cor.shape[0], np.random.default_rng(seed))
    a_r = indicators @ cor
    between = a_r.sum(axis=1) - (a_r * indicators).sum(axis=1)
    return 4 * between / cor.sum(), indicators, exhaustive


def split_half(data: DataOrCorr, seed: Seed = None, *, keys: Keys = None) -> SplitHalfResult:
    """Maximum, minimum and average split-half reliability, as ``psych::splitHalf``.

    Each split of the k items into halves of trunc(k/2) and k - trunc(k/2) items gives the reliability
    4 c_AB / V of the total (standardised items, R = cov2cor of the pairwise covariances; Spearman-Brown
    corrected in its Flanagan-Rulon form). Every split is evaluated up to 16 items; beyond, 10,000 random splits
    drawn with ``numpy.random.default_rng(seed)``.

    ``keys`` reverses named items (their correlations change sign); unlike psych (``check.keys = TRUE``) items
    are never reversed automatically. For an odd number of items every split is evaluated, whereas
    psych 2.2.9 evaluates only the first half of them (in lexical order), so its values can differ there.
    R: ``psych::splitHalf(data, check.keys = FALSE)`` (maxrb, minrb, meanr).

    References
    ----------
    Revelle, W. (2022). psych 2.2.9, ``splitHalf``.
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10, 255-282.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> res = pm.split_half(hs)
    >>> res.n_splits, res.exhaustive
    (126, True)
    """
    cor, n_used, n_dropped = _as_correlation(data, from_covariance=True)
    names = list(data.columns) if isinstance(data, pd.DataFrame) else list(range(cor.shape[0]))
    signs = _key_signs(_checked_keys(keys, names), len(names))
    cor = cor * np.outer(signs, signs)
    values, indicators, exhaustive = _split_half_values(cor, seed)
    best, worst = int(values.argmax()), int(values.argmin())
    return SplitHalfResult(
        maximum=float(values[best]),
        minimum=float(values[worst]),
        average=float(values.mean()),
        n_splits=len(values),
        exhaustive=exhaustive,
        best_split=tuple(n for n, x in zip(names, indicators[best]) if x),
        worst_split=tuple(n for n, x in zip(names, indicators[worst]) if x),
        n_items=cor.shape[0],
        n_used=n_used,
        n_dropped=n_dropped,
    )


# --------------------------------------------------------------------------------------------------- CTT helpers
def _check_reliability(reliability, *, low: float = 0.0) -> np.ndarray:
    values = np.asarray(reliability, dtype=float)
    if np.isnan(values).any() or (values < low).any() or (values > 1).any():
        raise DataError(f"reliability must lie between {low:g} and 1; got {reliability!r}.")
    return values


def _scalar_or_array(values: np.ndarray) -> float | np.ndarray:
    return float(values) if values.ndim == 0 else values


def standard_error_of_measurement(sd: FloatOrArray, reliability: FloatOrArray) -> float | np.ndarray:
    """Standard error of measurement SEM = sd sqrt(1 - reliability) (Lord & Novick 1968, eq. 3.8.4).

    ``sd`` is the standard deviation of the observed scores, ``reliability`` e.g. alpha or a test-retest ICC;
    both may be arrays. R: ``psychometric::SE.Meas(sd, rel)``.

    References
    ----------
    Lord, F. M., & Novick, M. R. (1968). Statistical theories of mental test scores. Addison-Wesley.

    Examples
    --------
    >>> import psychometrics as pm
    >>> round(pm.standard_error_of_measurement(10, 0.84), 4)
    4.0
    """
    sd = np.asarray(sd, dtype=float)
    if np.isnan(sd).any() or (sd < 0).any():
        raise DataError(f"sd must be a non-negative number; got {sd!r}.")
    return _scalar_or_array(sd * np.sqrt(1 - _check_reliability(reliability)))


def spearman_brown(reliability: FloatOrArray, factor: FloatOrArray) -> float | np.ndarray:
    """Spearman-Brown prophecy: reliability of a test ``factor`` times as long, f r / (1 + (f - 1) r).

    ``factor`` 2 gives the full-test reliability from a half-test correlation; 0.5 a test half as long.
    Both arguments may be arrays. R: ``psychometric::SBrel(factor, reliability)``.

    References
    ----------
    Brown, W. (1910). Some experimental results in the correlation of mental abilities. British Journal of Psychology, 3, 296-322.
    Spearman, C. (1910). Correlation calculated from faulty data. British Journal of Psychology, 3, 271-295.

    Examples
    --------
    >>> import psychometrics as pm
    >>> round(pm.spearman_brown(0.7, 2), 4)
    0.8235
    """
    factor = np.asarray(factor, dtype=float)
    if np.isnan(factor).any() or (factor <= 0).any():
        raise DataError(f"factor must be positive (the ratio of new to old test length); got {factor!r}.")
    rel = _check_reliability(reliability, low=-1.0)
    return _scalar_or_array(factor * rel / (1 + (factor - 1) * rel))


@dataclasses.dataclass(frozen=True, repr=False)
class TestRetestResult(Result):
    """Test-retest reliability: ICC(2,1) (absolute agreement), ICC(3,1) (consistency) and Pearson's r, each with
    its interval at ``confidence``."""

    icc2: float
    icc2_ci: tuple[float, float]
    icc3: float
    icc3_ci: tuple[float, float]
    pearson_r: float
    pearson_ci: tuple[float, float]
    n_obs: int
    confidence: float


def test_retest(time1: Scores, time2: Scores, confidence: float = 0.95) -> TestRetestResult:
    """Test-retest reliability of scores measured twice on the same respondents.

    ICC(2,1) and ICC(3,1) of the respondents x occasions table (:func:`psychometrics.icc`, Shrout & Fleiss 1979;
    Koo & Li 2016 recommend ICC(2,1) for test-retest) and Pearson's r with the Fisher z interval
    tanh(atanh(r) +/- z / sqrt(n - 3)). Series are aligned on their index, arrays by position; a respondent
    without both scores raises a DataError naming the rows.
    R: ``psych::ICC(cbind(time1, time2))``, ``cor.test(time1, time2)``.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater reliability. Psychological Bulletin, 86, 420-428.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> res = pm.test_retest(hs.x4, hs.x5)
    >>> round(res.pearson_r, 4)
    0.7332
    """
    from .icc import icc  # icc imports helpers from this module: a local import avoids the cycle

    confidence = check_confidence(confidence)
    pair = _paired_scores(time1, time2)
    table = icc(pair, confidence=confidence, method="anova").to_frame()
    r = float(np.corrcoef(pair["time1"], pair["time2"])[0, 1])
    half_width = z_critical(confidence) / math.sqrt(len(pair) - 3)
    with np.errstate(divide="ignore"):  # r = +-1: z is infinite and the interval (r, r), as cor.test gives
        z = float(np.arctanh(r))
    return TestRetestResult(
        icc2=float(table.loc["ICC2", "icc"]),
        icc2_ci=(float(table.loc["ICC2", "ci_low"]), float(table.loc["ICC2", "ci_high"])),
        icc3=float(table.loc["ICC3", "icc"]),
        icc3_ci=(float(table.loc["ICC3", "ci_low"]), float(table.loc["ICC3", "ci_high"])),
        pearson_r=r,
        pearson_ci=(math.tanh(z - half_width), math.tanh(z + half_width)),
        n_obs=len(pair),
        confidence=confidence,
    )


def _paired_scores(time1, time2) -> pd.DataFrame:
    if isinstance(time1, pd.Series) and isinstance(time2, pd.Series):
        pair = pd.concat({"time1": time1, "time2": time2}, axis=1)
    else:
        first, second = np.asarray(time1, dtype=float).ravel(), np.asarray(time2, dtype=float).ravel()
        if len(first) != len(second):
            raise DataError(
                f"time1 has {len(first)} scores and time2 {len(second)}; they must be the same respondents."
            )
        pair = pd.DataFrame({"time1": first, "time2": second})
    if len(pair) < 4:
        raise DataError(f"test-retest needs at least 4 respondents; got {len(pair)}.")
    return pair
