"""McDonald's omega via the Schmid-Leiman transformation, as psych::omega (psych 2.2.9), with bootstrap intervals."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._checks import MAX_FACTORS, check_choice, check_confidence, check_count, check_positive_definite
from ..errors import DataError
from ..factor._factor_input import CORRELATIONS, CorrelationInput, correlation_input, resampled_correlation
from .._results import Result
from .._typing import DataOrCorr, Seed
from ..factor.efa import DEFINITE_METHODS, efa, factor_solution
from ..factor.rotation import rotate_array
from .._blas import single_threaded
from .._bootstrap import (
    BOOTSTRAP_INTERVALS,
    Clusters,
    bootstrap_clusters,
    bootstrap_interval,
    check_n_boot,
    resampled_statistics,
    split_cluster,
)

__all__ = ["OmegaResult", "omega"]


@dataclasses.dataclass(frozen=True, repr=False)
class OmegaResult(Result):
    """Omega coefficients, the general-factor loadings and the Schmid-Leiman solution.

    ``omega_total_ci`` and ``omega_hierarchical_ci`` are (low, high) bootstrap intervals by ``ci_method``
    ("percentile" or "bca", NaN without ``ci``) at ``confidence`` over ``n_boot`` resamples; ``cluster_bootstrap``
    says whether those resampled whole clusters (``cluster=``), of which there were ``n_clusters`` (None without),
    within ``n_strata`` strata (``strata=``; None without);
    ``cor`` the correlations factored; ``n_used`` the respondents (None for a correlation matrix) and ``n_dropped``
    the rows left out for answering no item.
    """

    omega_total: float
    omega_hierarchical: float
    omega_asymptotic: float
    alpha: float
    ecv: float
    g_loadings: pd.Series
    subscale_omega: pd.DataFrame
    schmid_leiman: pd.DataFrame
    n_factors: int
    omega_total_ci: tuple[float, float]
    omega_hierarchical_ci: tuple[float, float]
    ci_method: str | None
    confidence: float
    n_boot: int
    cluster_bootstrap: bool
    n_clusters: int | None
    n_strata: int | None
    cor: str
    n_used: int | None
    n_dropped: int

    def to_frame(self) -> pd.DataFrame:
        return self.schmid_leiman.copy()


#: (correlations, number of factors, rotation) -> efa()'s loadings of one extraction method
Loadings = Callable[[np.ndarray, int, str], np.ndarray]


def _efa_loadings(method: str) -> Loadings:
    """The loadings of efa() itself, with its input checks and warnings: the solution of the data."""
    return lambda r, n_factors, rotation: efa(r, n_factors, method=method, rotation=rotation).loadings.to_numpy()


def _resample_loadings(method: str) -> Loadings:
    """efa()'s loadings of a bootstrap resample's correlations, without efa()'s input checks (the data were checked
    once, and the solution of the data, by efa(), checked the number of factors): only the check a resample can
    fail is repeated, the positive definite matrix that ml, wls and gls need (efa's ``require_pd``)."""

    def loadings(r: np.ndarray, n_factors: int, rotation: str) -> np.ndarray:
        if method in DEFINITE_METHODS:
            check_positive_definite(r)
        return factor_solution(r, n_factors, method, rotation)[0]

    return loadings


def _general_loadings(phi: np.ndarray, fit: Loadings) -> np.ndarray:
    """Loadings of the oblique factors on one higher-order factor (psych::schmid; 'equal' option for 2)."""
    if phi.shape[0] == 2:
        root = np.sqrt(abs(phi[0, 1]))
        return np.array([root, np.sign(phi[0, 1]) * root])
    return fit(phi, 1, "none")[:, 0]


def _schmid_leiman(r: np.ndarray, n_factors: int, fit: Loadings) -> np.ndarray:
    """Schmid-Leiman matrix [g, F1*..Fk*, h2, u2, p2] of psych::schmid (varimax, then GPArotation oblimin)."""
    orthogonal = fit(r, n_factors, "varimax")
    if n_factors == 1:  # psych: the single factor is the general factor (omega_h is then not meaningful)
        oblique, g_of_factors = orthogonal, np.ones(1)
    else:
        oblique, phi = rotate_array(orthogonal, "oblimin")
        # oblimin is oblique: it always returns factor correlations (the cast only tells the type checker)
        g_of_factors = _general_loadings(cast(np.ndarray, phi), fit)
    general = oblique @ g_of_factors
    h2 = (orthogonal**2).sum(axis=1)
    group = np.sign(oblique) * np.sqrt(np.clip(oblique**2 * (1 - g_of_factors**2), 0, None))
    return np.column_stack([general, group, h2, 1 - h2, general**2 / h2])


def _subscale_omegas(r: np.ndarray, sl: np.ndarray, n_factors: int, omega_total: float) -> np.ndarray:
    """psych's omega.group: (total, general, group) omega of g and of each item cluster (largest group loading)."""
    general = sl[:, 0]
    cluster = np.argmax(np.abs(sl[:, 1 : n_factors + 1]), axis=1)
    table = np.full((n_factors + 1, 3), np.nan)
    group_sq_sum = 0.0
    for k in range(n_factors):
        items = cluster == k
        if items.any():
            variance = r[np.ix_(items, items)].sum()
            group_sum, general_sum = sl[items, k + 1].sum(), general[items].sum()
            group_sq_sum += group_sum**2
            table[k + 1] = [
                (group_sum**2 + general_sum**2) / variance,
                general_sum**2 / variance,
                group_sum**2 / variance,
            ]
    table[0] = [omega_total, general.sum() ** 2 / r.sum(), group_sq_sum / r.sum()]
    return table


def _omega_coefficients(r: np.ndarray, n_factors: int, fit: Loadings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reversed correlations, Schmid-Leiman matrix (general loadings >= 0, psych's flip) and item keys."""
    sl = _schmid_leiman(r, n_factors, fit)
    keys = np.where(sl[:, 0] < 0, -1.0, 1.0)
    sl[:, : n_factors + 1] *= keys[:, None]
    return r * np.outer(keys, keys), sl, keys


def _total_and_hierarchical(r: np.ndarray, n_factors: int, fit: Loadings) -> np.ndarray:
    """(omega_total, omega_hierarchical) of one correlation matrix: the statistic that is bootstrapped."""
    r, sl, _ = _omega_coefficients(r, n_factors, fit)
    total_variance = r.sum()
    return np.array(
        [(total_variance - sl[:, n_factors + 2].sum()) / total_variance, sl[:, 0].sum() ** 2 / total_variance]
    )


def omega(
    data_or_corr: DataOrCorr,
    n_factors: int = 3,
    n_obs: int | None = None,
    method: str = "minres",
    *,
    cor: str = "pearson",
    ci: str | None = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: Seed = None,
    cluster: Hashable | npt.ArrayLike | None = None,
    strata: Hashable | npt.ArrayLike | None = None,
) -> OmegaResult:
    """Omega total, hierarchical and asymptotic from a Schmid-Leiman solution (``psych::omega(x, nfactors)``).

    The correlations are factored (``method``, varimax), rotated by oblimin (GPArotation defaults), the factor
    correlations factored once more and the loadings orthogonalised (Schmid & Leiman 1957). Items whose general
    loading is negative are reversed (psych's ``flip``). With V the sum of the (reversed) correlation matrix,
    g the general loadings and u2 the uniquenesses: omega_h = (sum g)^2 / V, omega_total = (V - sum u2) / V,
    omega_asymptotic = (sum g)^2 / (V - sum u2) (McDonald 1999; Zinbarg et al. 2005), ECV = sum g^2 / sum of all
    squared Schmid-Leiman loadings; ``subscale_omega`` is psych's ``omega.group`` (rows g, F1*, ...).

    ``cor="polychoric"`` factors the polychoric correlations (psych's ``poly = TRUE``, ``correct = 0.5``).
    Respondents who answered no item are left out (``n_dropped``). ``ci="percentile"`` or ``"bca"`` adds bootstrap
    intervals of omega total and hierarchical: the respondents are resampled ``n_boot`` times (seeded), the
    correlations recomputed and the Schmid-Leiman solution refitted on each resample (Efron & Tibshirani 1993,
    ch. 13-14; BCa's acceleration from the delete-one jackknife, which refits once per respondent). R:
    ``psych::omega(x, nfactors, poly = cor == "polychoric")``; intervals as ``boot::boot.ci(type = c("perc", "bca"))``.

    ``cluster`` (with ``ci``) names the clusters the respondents are nested in (e.g. services): a column of the
    data (left out of the items, as ``cfa(..., cluster = "service")`` names it) or one label per row (an array in
    row order, or a Series on the data's index). Each resample then draws as many clusters as there are, with
    replacement, and takes every respondent of each drawn cluster: the one-stage cluster bootstrap, which keeps the
    dependence within clusters that resampling respondents ignores (Davison & Hinkley 1997, sec. 3.8, "resampling
    clusters with replacement"; Field & Welsh 2007); BCa's acceleration then comes from the delete-one-cluster
    jackknife. With every respondent its own cluster it draws exactly the respondents' resamples of the same seed.
    ``strata`` (with ``cluster``; a column or one label per row, as ``cluster``) names strata the clusters are
    nested in (e.g. sites, each with its own services): each resample then draws, stratum by stratum, as many of
    that stratum's clusters as it has (stratified resampling; Davison & Hinkley 1997, ch. 3), so every resample
    keeps the design's strata sizes.
    ``cluster_bootstrap``, ``n_clusters`` and ``n_strata`` record it. psych::omega has no cluster option (its ``n.iter``
    resamples respondents); the R equivalent is ``boot::boot`` over the cluster labels with a statistic that stacks
    the drawn clusters' rows: ``boot(ids, function(ids, i) omega(x[unlist(rows_of[ids[i]]), items], nfactors,
    poly = TRUE)$omega.tot, R = n_boot)`` with ``rows_of <- split(seq_len(nrow(x)), x$cluster)``, then
    ``boot.ci`` (``boot(..., strata = site_of_cluster)`` with strata).

    References
    ----------
    Davison, A. C., & Hinkley, D. V. (1997). Bootstrap methods and their application. Cambridge University Press.
    Field, C. A., & Welsh, A. H. (2007). Bootstrapping clustered data. Journal of the Royal Statistical Society:
    Series B, 69, 369-390.
    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.
    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor solutions. Psychometrika, 22, 53-61.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> res = pm.omega(hs, n_factors=3)
    >>> round(res.omega_total, 4), round(res.omega_hierarchical, 4)
    (0.8508, 0.4492)
    """
    n_factors = check_count(n_factors, name="n_factors", minimum=1, maximum=MAX_FACTORS)
    check_choice(cor, CORRELATIONS, name="cor")
    check_choice(ci, BOOTSTRAP_INTERVALS + (None,), name="ci")
    confidence = check_confidence(confidence)
    if cluster is not None and ci is None:
        raise DataError(
            f"cluster={cluster!r} sets how the bootstrap interval resamples, and ci is None (no interval); pass "
            "ci='percentile' or ci='bca' with it, or leave cluster out."
        )
    if strata is not None and cluster is None:
        raise DataError(
            f"strata={strata!r} groups the clusters of a cluster bootstrap, and cluster is None; pass cluster= "
            "(e.g. the services) with it, or leave strata out."
        )
    item_data, labels = split_cluster(data_or_corr, cluster)
    item_data, strata_labels = split_cluster(item_data, strata, name="strata")
    given = correlation_input(
        item_data, n_obs, cor=cor, require_pd=False, what="omega", drop_empty_rows=True, correct=0.5
    )
    r, sl, keys = _omega_coefficients(given.corr.to_numpy(), n_factors, _efa_loadings(method))
    total_variance, n_items = r.sum(), r.shape[0]
    general_sq = sl[:, 0].sum() ** 2
    explained = total_variance - sl[:, n_factors + 2].sum()
    omega_total = explained / total_variance
    clusters = None if labels is None else _analysed_clusters(item_data, labels, strata_labels, given)
    estimate = np.array([omega_total, general_sq / total_variance])
    intervals = _omega_intervals(given, estimate, n_factors, method, cor, ci, confidence, n_boot, seed, clusters)
    squares = (sl[:, : n_factors + 1] ** 2).sum(axis=0)
    items = [f"{name}-" if key < 0 else str(name) for name, key in zip(given.corr.columns, keys)]
    factor_names = ["g"] + [f"F{k + 1}*" for k in range(n_factors)]
    return OmegaResult(
        omega_total=float(omega_total),
        omega_hierarchical=float(general_sq / total_variance),
        omega_asymptotic=float(general_sq / explained),
        alpha=float((total_variance - np.trace(r)) / total_variance * n_items / (n_items - 1)),
        ecv=float(squares[0] / squares.sum()),
        g_loadings=pd.Series(sl[:, 0], index=items, name="g"),
        subscale_omega=pd.DataFrame(
            _subscale_omegas(r, sl, n_factors, omega_total), index=factor_names, columns=["total", "general", "group"]
        ),
        schmid_leiman=pd.DataFrame(sl, index=items, columns=factor_names + ["h2", "u2", "p2"]),
        n_factors=n_factors,
        omega_total_ci=intervals[0],
        omega_hierarchical_ci=intervals[1],
        ci_method=ci,
        confidence=confidence,
        n_boot=int(n_boot) if ci else 0,
        cluster_bootstrap=clusters is not None,
        n_clusters=None if clusters is None else clusters.count,
        n_strata=None if clusters is None else clusters.n_strata,
        cor=cor,
        n_used=None if given.data is None else len(given.data),
        n_dropped=0 if given.data is None else np.shape(data_or_corr)[0] - len(given.data),
    )


def _analysed_clusters(items, labels: np.ndarray, strata: np.ndarray | None, given: CorrelationInput) -> Clusters:
    """The clusters (and strata) of the rows analysed: those with an answer to at least one item (correlation_input's
    ``drop_empty_rows``; the items were checked there, so every missing cell is NaN-like to ``isna``)."""
    answered = ~pd.DataFrame(items).isna().to_numpy().all(axis=1)
    rows = cast(pd.DataFrame, given.data).index
    return bootstrap_clusters(labels[answered], rows, None if strata is None else strata[answered])


def _omega_intervals(
    given: CorrelationInput,
    estimate: np.ndarray,
    n_factors: int,
    method: str,
    cor: str,
    ci: str | None,
    confidence: float,
    n_boot: int,
    seed: Seed,
    clusters: Clusters | None,
) -> list[tuple[float, float]]:
    """Bootstrap intervals of (omega_total, omega_hierarchical) around their ``estimate`` (of the data), resampling
    respondents or, with ``clusters``, whole clusters; NaN pairs without ``ci``."""
    if ci is None:
        return [(np.nan, np.nan)] * 2
    data = given.data
    if data is None:
        raise DataError(
            "bootstrap intervals of omega need the raw data; pass respondents x items, not a correlation matrix."
        )
    n_boot = check_n_boot(n_boot)
    values = data.to_numpy()
    fit = _resample_loadings(method)

    def statistic(rows: np.ndarray) -> np.ndarray:  # the data were checked once: see resampled_correlation
        sample = pd.DataFrame(values[rows], columns=data.columns)
        return _total_and_hierarchical(resampled_correlation(sample, cor, correct=0.5), n_factors, fit)

    with single_threaded():  # items x items matrices (psychometrics._blas)
        draws = resampled_statistics(statistic, len(values), n_boot, seed, clusters)
        return bootstrap_interval(estimate, draws, ci, confidence, statistic, len(values), clusters)
