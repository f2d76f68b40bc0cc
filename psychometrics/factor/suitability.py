"""Is a correlation matrix worth factoring? Kaiser-Meyer-Olkin MSA and Bartlett's test of sphericity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

from ._factor_input import correlation_input
from .._typing import DataOrCorr
from .._results import Result
from .._checks import check_n_obs

__all__ = ["KMOResult", "BartlettResult", "kmo", "bartlett_sphericity"]


@dataclasses.dataclass(frozen=True, repr=False)
class KMOResult(Result):
    """Kaiser-Meyer-Olkin measure of sampling adequacy: ``overall`` and ``per_item`` (Series)."""

    overall: float
    per_item: pd.Series

    def to_frame(self) -> pd.DataFrame:
        return self.per_item.to_frame("msa").copy()


@dataclasses.dataclass(frozen=True, repr=False)
class BartlettResult(Result):
    """Bartlett's test that the correlation matrix is an identity matrix."""

    statistic: float
    df: int
    pvalue: float
    n_obs: int


def kmo(data_or_corr: DataOrCorr) -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy (Kaiser 1970; Kaiser & Rice 1974).

    With R the correlation matrix and Q its anti-image (partial) correlations, standardised from R^-1,
    ``MSA = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over i != j; the per-item values restrict the sums to one
    column. Equivalent to ``psych::KMO(x)`` (psych 2.2.9).

    Parameters
    ----------
    data_or_corr : DataFrame
        Respondents x items (pairwise-complete Pearson correlations are used) or a correlation matrix.

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. Psychometrika, 35, 401-415.
    Kaiser, H. F., & Rice, J. (1974). Little jiffy, mark IV. Educational and Psychological Measurement, 34, 111-117.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> round(pm.kmo(hs).overall, 4)
    0.7522
    """
    corr = correlation_input(data_or_corr, what="KMO").corr
    r = corr.to_numpy()
    inverse = np.linalg.inv(r)
    scale = 1.0 / np.sqrt(np.diag(inverse))
    partial = inverse * np.outer(scale, scale)
    np.fill_diagonal(partial, 0.0)
    r_off = r.copy()
    np.fill_diagonal(r_off, 0.0)
    r2, q2 = (r_off**2).sum(axis=0), (partial**2).sum(axis=0)
    per_item = pd.Series(r2 / (r2 + q2), index=corr.columns, name="msa")
    return KMOResult(float(r2.sum() / (r2.sum() + q2.sum())), per_item)


def bartlett_sphericity(data_or_corr: DataOrCorr, n_obs: int | None = None) -> BartlettResult:
    """Bartlett's (1951) test of sphericity: chi2 = -ln|R| (n - 1 - (2p + 5)/6) on p(p - 1)/2 df.

    Equivalent to ``psych::cortest.bartlett(R, n)`` (psych 2.2.9). With raw data ``n`` is the number of rows
    (as psych); with a correlation matrix ``n_obs`` is required.

    Parameters
    ----------
    data_or_corr : DataFrame or array
        Respondents x items, or a correlation matrix.
    n_obs : int, optional
        Sample size; required with a correlation matrix.

    Returns
    -------
    BartlettResult
        ``statistic`` (chi2), ``df``, ``pvalue`` and ``n_obs``.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi square approximation in factor analysis. Biometrika, 38, 337-344.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> res = pm.bartlett_sphericity(hs)
    >>> round(res.statistic, 1), res.df
    (904.1, 36)
    """
    given = correlation_input(data_or_corr, n_obs, what="Bartlett's test")
    n = given.n_obs if given.n_obs is not None else check_n_obs(n_obs, what="Bartlett's test")
    r = given.corr.to_numpy()
    p = r.shape[0]
    _, logdet = np.linalg.slogdet(r)
    statistic = -logdet * (n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return BartlettResult(float(statistic), df, float(stats.chi2.sf(statistic, df)), n)
