"""How many factors to retain: Horn's parallel analysis (psych::fa.parallel) and Velicer's MAP (psych::VSS)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._blas import single_threaded, small_matrices
from .._typing import DataOrCorr, ItemData, Seed
from .._checks import MAX_FACTORS, check_choice, check_count
from ._factor_input import CORRELATIONS, correlation_input
from .._results import Result
from ..errors import DataError

__all__ = ["ParallelAnalysisResult", "MAPResult", "parallel_analysis", "velicer_map"]

_KINDS = ("both", "fa", "pc")
MAX_ITER = 10_000  # simulated data sets: the spec schema has the same bound
_CHUNK = 10  # resampled data sets processed at once (memory: chunk x rows x items)


@dataclasses.dataclass(frozen=True, repr=False)
class ParallelAnalysisResult(Result):
    """Suggested numbers of factors / components (None when not computed) and the eigenvalue table."""

    n_factors: int | None
    n_components: int | None
    eigenvalues: pd.DataFrame
    n_iter: int
    quantile: float | None

    def to_frame(self) -> pd.DataFrame:
        return self.eigenvalues.copy()


@dataclasses.dataclass(frozen=True, repr=False)
class MAPResult(Result):
    """Velicer's minimum average partial: numbers of components by the squared (1976) and fourth-power (2000)
    criteria, and the average partial correlations after removing 0, 1, ... components."""

    n_components: int
    n_components_fourth: int
    values: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.values.copy()


def _smc_reduced_eigenvalues(corr: np.ndarray) -> np.ndarray:
    """Eigenvalues (descending) of correlation matrices with SMCs on the diagonal (stacked: (..., p))."""
    inverse = np.linalg.pinv(corr, hermitian=True)
    smcs = np.clip(1 - 1 / np.diagonal(inverse, axis1=-2, axis2=-1), 0, 1)
    reduced = corr.copy()
    index = np.arange(corr.shape[-1])
    reduced[..., index, index] = smcs
    return np.linalg.eigvalsh(reduced)[..., ::-1]


def _cross_products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Stacked a_b' b_b (draws, items, items): batched BLAS matmul, about 3x faster than einsum's own loop."""
    return np.matmul(np.swapaxes(a, 1, 2), b)


def _complete_correlations(samples: np.ndarray) -> np.ndarray:
    """Pearson correlations of stacked complete data sets (draws, rows, items)."""
    centred = samples - samples.mean(axis=1, keepdims=True)
    cov = _cross_products(centred, centred)
    scale = 1 / np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    return cov * scale[:, :, None] * scale[:, None, :]


def _pairwise_correlations(samples: np.ndarray) -> np.ndarray:
    """Pairwise-complete Pearson correlations of stacked data sets (draws, rows, items) with NaN for missing."""
    observed = ~np.isnan(samples)
    if observed.all():
        return _complete_correlations(samples)
    values = np.where(observed, samples, 0.0)
    m = observed.astype(float)
    count = _cross_products(m, m)
    sum_x = _cross_products(values, m)  # sum of x_i over rows where j is observed too
    sum_xx = _cross_products(values**2, m)
    sum_xy = _cross_products(values, values)
    sum_y = np.swapaxes(sum_x, 1, 2)
    sum_yy = np.swapaxes(sum_xx, 1, 2)
    covariance = count * sum_xy - sum_x * sum_y
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = covariance / np.sqrt((count * sum_xx - sum_x**2) * (count * sum_yy - sum_y**2))
    index = np.arange(samples.shape[2])
    corr[:, index, index] = 1.0
    return corr


def _eigen_pairs(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(component eigenvalues, SMC-reduced factor eigenvalues) of stacked correlation matrices."""
    return np.linalg.eigvalsh(corr)[..., ::-1], _smc_reduced_eigenvalues(corr)


def _simulated(rng: np.random.Generator, n_obs: int, n_items: int, n_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of Pearson correlations of normal random data of the same size (psych's sim = TRUE)."""
    chunks = []
    for start in range(0, n_iter, _CHUNK):
        draws = rng.standard_normal((min(_CHUNK, n_iter - start), n_obs, n_items))
        chunks.append(_eigen_pairs(_complete_correlations(draws)))
    return np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks])


def _resampled(rng: np.random.Generator, frame: pd.DataFrame, n_iter: int, cor: str) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of data sets whose columns are resampled independently with replacement (psych)."""
    values = frame.to_numpy()
    n_obs, n_items = values.shape
    chunks = []
    for start in range(0, n_iter, _CHUNK):
        size = min(_CHUNK, n_iter - start)
        rows = rng.integers(0, n_obs, size=(size, n_obs, n_items))
        samples = values[rows, np.arange(n_items)]
        if cor == "polychoric":
            corr = np.stack(
                [
                    correlation_input(pd.DataFrame(s, columns=frame.columns), cor=cor, require_pd=False).corr.to_numpy()
                    for s in samples
                ]
            )
        else:
            corr = _pairwise_correlations(samples)
        chunks.append(_eigen_pairs(corr))
    return np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks])


def _n_above(observed: np.ndarray, reference: np.ndarray) -> int:
    """Number of leading observed eigenvalues above the reference ones (psych: which(!(obs > ref))[1] - 1)."""
    below = np.flatnonzero(~(observed > reference))
    return int(below[0]) if below.size else len(observed)


def parallel_analysis(
    data: ItemData,
    n_iter: int = 100,
    quantile: float | None = None,
    seed: Seed = None,
    kind: str = "both",
    cor: str = "pearson",
) -> ParallelAnalysisResult:
    """Horn's (1965) parallel analysis as ``psych::fa.parallel(x, SMC = TRUE, n.iter, quant, fa = kind)``.

    Observed eigenvalues of the correlation matrix (components) and of the SMC-reduced matrix (factors) are
    compared with those of ``n_iter`` normal random data sets of the same size (their mean, or their
    ``quantile``); the suggested number is the count of leading observed eigenvalues above that reference.
    Eigenvalues of data whose columns are resampled independently (psych's ``resample``) are reported too.
    ``cor = "polychoric"`` uses polychoric correlations for the observed and resampled data (simulated data
    stay normal with Pearson correlations, as psych).

    Parameters
    ----------
    data : DataFrame
        Respondents x items.
    n_iter : int
        Number of simulated (and resampled) data sets.
    quantile : float, optional
        Compare with this quantile of the simulated eigenvalues instead of their mean (psych's ``quant``).
    seed : int or numpy.random.Generator, optional
        Seed of the simulations.
    kind : {"both", "fa", "pc"}
        Suggest the number of factors, of components, or both (psych's ``fa``).
    cor : {"pearson", "polychoric"}

    Returns
    -------
    ParallelAnalysisResult
        ``n_factors``, ``n_components`` and the ``eigenvalues`` table (observed, simulated and resampled).

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis. Psychometrika, 30, 179-185.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> res = pm.parallel_analysis(hs, n_iter=20, seed=1)
    >>> res.n_factors, res.n_components
    (3, 3)
    """
    check_choice(kind, _KINDS, name="kind")
    check_choice(cor, CORRELATIONS, name="cor")
    if quantile is not None and not 0 < quantile < 1:
        raise DataError(f"quantile must lie strictly between 0 and 1 (or be None for the mean); got {quantile!r}.")
    n_iter = check_count(n_iter, name="n_iter", minimum=1, maximum=MAX_ITER)
    given = correlation_input(data, cor=cor, require_pd=False, what="parallel analysis")
    if given.data is None:
        raise DataError(
            "parallel analysis resamples the respondents: pass the raw data (respondents x items), "
            "not a correlation matrix."
        )
    frame, corr = given.data, given.corr.to_numpy()
    rng = np.random.default_rng(seed)
    observed = _eigen_pairs(corr)
    # Many small (items x items) products and eigensolves: extra BLAS threads only add synchronisation (the
    # batched matmul was slower with two threads on a busy 2-core machine), so the draws run on one.
    with single_threaded():
        simulated = _simulated(rng, len(frame), frame.shape[1], int(n_iter))
        resampled = _resampled(rng, frame, int(n_iter), cor)
    summarise = (lambda v: v.mean(axis=0)) if quantile is None else (lambda v: np.quantile(v, quantile, axis=0))
    table = pd.DataFrame(
        {
            "observed_pc": observed[0],
            "observed_fa": observed[1],
            "simulated_pc": summarise(simulated[0]),
            "simulated_fa": summarise(simulated[1]),
            "resampled_pc": summarise(resampled[0]),
            "resampled_fa": summarise(resampled[1]),
        },
        index=pd.RangeIndex(1, frame.shape[1] + 1, name="number"),
    )
    n_factors = _n_above(observed[1], table["simulated_fa"].to_numpy()) if kind != "pc" else None
    n_components = _n_above(observed[0], table["simulated_pc"].to_numpy()) if kind != "fa" else None
    return ParallelAnalysisResult(n_factors, n_components, table, int(n_iter), quantile)


@small_matrices
def velicer_map(data_or_corr: DataOrCorr, max_components: int = 8) -> MAPResult:
    """Velicer's (1976) minimum average partial test and its fourth-power revision (Velicer, Eaton & Fava 2000).

    After partialling out the first m principal components, the average squared (fourth-power) off-diagonal
    partial correlation is computed for m = 0 .. min(max_components, p - 1); the suggested number of components
    minimises it. The values for m >= 1 equal ``psych::VSS(x, n = 8)$map``.

    Parameters
    ----------
    data_or_corr : DataFrame or array
        Respondents x items, or a correlation matrix.
    max_components : int
        Largest number of components partialled out.

    Returns
    -------
    MAPResult
        ``n_components`` (squared partials), ``n_components_fourth`` (fourth powers) and the ``values`` table.

    References
    ----------
    Velicer, W. F. (1976). Determining the number of components from the matrix of partial correlations. Psychometrika, 41, 321-327.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> pm.velicer_map(hs).n_components
    2
    """
    max_components = check_count(max_components, name="max_components", minimum=1, maximum=MAX_FACTORS)
    corr = correlation_input(data_or_corr, require_pd=False, what="the MAP test").corr.to_numpy()
    p = corr.shape[0]
    values, vectors = np.linalg.eigh(corr)
    loadings = vectors[:, ::-1] * np.sqrt(np.clip(values[::-1], 0, None))
    off_diagonal = ~np.eye(p, dtype=bool)
    rows = []
    for m in range(0, min(max_components, p - 1) + 1):
        residual = corr - loadings[:, :m] @ loadings[:, :m].T
        scale = 1 / np.sqrt(np.diag(residual))
        partial = (residual * np.outer(scale, scale))[off_diagonal]
        rows.append(((partial**2).sum() / (p * (p - 1)), (partial**4).sum() / (p * (p - 1))))
    table = pd.DataFrame(rows, columns=["squared", "fourth"], index=pd.RangeIndex(len(rows), name="components"))
    return MAPResult(int(table["squared"].idxmin()), int(table["fourth"].idxmin()), table)
