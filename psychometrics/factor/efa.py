"""Exploratory factor analysis as psych::fa (psych 2.2.9): minres, uls, wls, gls, ml and principal-axis
extraction, GPArotation / psych rotations, psych's column order and signs, and psych's fit statistics (fa.stats).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._blas import small_matrices
from .._typing import DataOrCorr, ItemData
from .._checks import MAX_FACTORS, as_item_frame, check_choice, check_confidence, check_count
from ._factor_input import correlation_input
from ._matrices import smc, smooth_correlation
from .._results import Result
from ..errors import ConvergenceError, DataError, IdentificationError
from .rotation import ROTATIONS, rotate_array

__all__ = ["EFAResult", "HeywoodWarning", "efa", "EFA_METHODS"]

EFA_METHODS = ("minres", "ml", "pa", "uls", "wls", "gls")
SCORE_METHODS = ("regression", "bartlett", "tenberge")
_COLUMN_PREFIX = {"minres": "MR", "ml": "ML", "pa": "PA", "uls": "ULS", "wls": "WLS", "gls": "GLS"}
# minres, uls and pa work on indefinite matrices (psych smooths them for the fit statistics); ml needs
# log-determinants and wls/gls weight by R^-1, so those three need a positive definite matrix
DEFINITE_METHODS = ("ml", "wls", "gls")
_LOWER_BOUND = 0.005  # psych's lower bound for the uniquenesses in optim()


class HeywoodWarning(UserWarning):
    """A uniqueness reached its lower bound (communality of about 1 or more): a Heywood case."""


@dataclasses.dataclass(frozen=True, repr=False)
class EFAResult(Result):
    """Exploratory factor analysis (psych::fa). ``fit`` holds psych's fit statistics (NaN when undefined).

    ``eigenvalues`` are those of the analysed correlation matrix (psych's ``e.values``); the ``structure``
    property is the structure matrix L Phi (item-factor correlations, psych's ``Structure``).
    """

    loadings: pd.DataFrame
    phi: pd.DataFrame | None
    communalities: pd.Series
    uniquenesses: pd.Series
    fit: dict
    n_factors: int
    method: str
    rotation: str
    n_obs: int | None
    correlation: pd.DataFrame
    iterations: int
    eigenvalues: pd.Series
    confidence: float

    @property
    def structure(self) -> pd.DataFrame:
        """Structure matrix L Phi: correlations of items and factors (the loadings for orthogonal rotations)."""
        return pd.DataFrame(
            self.loadings.to_numpy() @ self._phi_array(), index=self.loadings.index, columns=self.loadings.columns
        )

    def to_frame(self) -> pd.DataFrame:
        """Loadings with h2 (communality) and u2 (uniqueness) columns, as psych prints them."""
        return self.loadings.assign(h2=self.communalities, u2=self.uniquenesses)

    def factor_scores(self, data: ItemData, method: str = "regression") -> pd.DataFrame:
        """Factor scores of ``data`` (respondents x the analysed items) as ``psych::factor.scores``.

        ``regression`` (Thurstone): W = R^-1 L Phi; ``bartlett``: W = U^-2 L (L' U^-2 L)^-1 with
        U^2 = 1 - diag(L Phi L'); ``tenberge`` (ten Berge et al. 1999): correlation-preserving weights.
        Scores are ``scale(data) W`` (items standardised with their own mean and SD; a respondent with a
        missing answer gets a missing score, as psych with ``impute = "none"``).
        """
        check_choice(method, SCORE_METHODS, name="method")
        frame = as_item_frame(data)
        missing = [c for c in self.loadings.index if c not in frame.columns]
        if missing:
            raise DataError(f"data lacks the analysed item(s) {missing}; pass the same items as to efa().")
        frame = frame[list(self.loadings.index)]
        weights = _score_weights(self.correlation.to_numpy(), self.loadings.to_numpy(), self._phi_array(), method)
        standardised = (frame - frame.mean()) / frame.std(ddof=1)
        return pd.DataFrame(standardised.to_numpy() @ weights, index=frame.index, columns=self.loadings.columns)

    def _phi_array(self) -> np.ndarray:
        return np.eye(self.n_factors) if self.phi is None else self.phi.to_numpy()


def _sqrtm(matrix: np.ndarray, power: float) -> np.ndarray:
    """Symmetric matrix power via the eigen-decomposition (psych's matSqrt / invMatSqrt)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.clip(values, 0, None) ** power) @ vectors.T


def _score_weights(r: np.ndarray, loadings: np.ndarray, phi: np.ndarray, method: str) -> np.ndarray:
    """Factor-score weights of psych::factor.scores."""
    if method == "regression":
        return np.linalg.solve(r, loadings @ phi)
    if method == "bartlett":
        inv_u2 = 1.0 / (1.0 - np.einsum("ij,jk,ik->i", loadings, phi, loadings))
        weighted = loadings * inv_u2[:, None]
        return weighted @ np.linalg.inv(loadings.T @ weighted)
    root_phi = _sqrtm(phi, 0.5)
    lam = loadings @ root_phi
    r_half_inv = _sqrtm(r, -0.5)
    c = r_half_inv @ lam @ _sqrtm(lam.T @ np.linalg.solve(r, lam), -0.5)
    return r_half_inv @ c @ root_phi


# ----------------------------------------------------------------------------------------------- extraction
def _principal_loadings(matrix: np.ndarray, n_factors: int, shift: float = 0.0) -> np.ndarray:
    """First eigenvectors scaled by sqrt(max(eigenvalue - shift, 0))."""
    values, vectors = np.linalg.eigh(matrix)
    values, vectors = values[::-1][:n_factors], vectors[:, ::-1][:, :n_factors]
    return vectors * np.sqrt(np.clip(values - shift, 0, None))


def _uls_objective(psi: np.ndarray, r: np.ndarray, n_factors: int) -> tuple[float, np.ndarray]:
    """Concentrated ULS criterion ||R - Psi - LL'||^2 and its gradient 2 diag(LL' + Psi - R) (psych FAgr.minres)."""
    reduced = r - np.diag(psi)
    loadings = _principal_loadings(reduced, n_factors)
    residual = reduced - loadings @ loadings.T
    return float((residual**2).sum()), -2.0 * np.diag(residual)


def _truncation_gradient(
    reduced: np.ndarray, n_factors: int, criterion: Callable[[np.ndarray], tuple[float, np.ndarray]]
) -> tuple[float, np.ndarray]:
    """Value and gradient in the uniquenesses of a criterion F(E) of the residual E = S - V_f D_f V_f' left by
    the rank-f eigen approximation (negative eigenvalues clipped to 0) of S = R - Psi, as psych's fit.residuals.

    ``criterion(E)`` returns F and G = dF/dE (symmetric). With first-order eigen-perturbation
    (d lambda_k = v_k' dS v_k, d v_k = sum_l v_l (v_l' dS v_k) / (lambda_k - lambda_l)) and dS = -diag(d psi):
    dF/dpsi_m = -G_mm + [V (K o V'GV) V']_mm, K = 1 on the f x f block and 2 lambda_k / (lambda_k - lambda_l) on
    the (k <= f, l > f) block (its transpose folded in), 0 elsewhere.
    """
    values, vectors = np.linalg.eigh(reduced)
    values, vectors = values[::-1], vectors[:, ::-1]
    top = np.clip(values[:n_factors], 0, None)
    residual = reduced - (vectors[:, :n_factors] * top) @ vectors[:, :n_factors].T
    value, dvalue = criterion(residual)
    in_basis = vectors.T @ dvalue @ vectors
    weights = np.zeros_like(in_basis)
    weights[:n_factors, :n_factors] = 1.0
    weights[:n_factors, n_factors:] = 2 * top[:, None] / (values[:n_factors, None] - values[None, n_factors:])
    gradient = np.einsum("mk,kl,ml->m", vectors, weights * in_basis, vectors) - np.diag(dvalue)
    return value, gradient


def _minres_objective(psi: np.ndarray, r: np.ndarray, n_factors: int) -> tuple[float, np.ndarray]:
    """psych's minres criterion: half the sum of squared off-diagonal residuals of R - Psi after its rank-f eigen
    approximation, with its exact gradient (:func:`_truncation_gradient`).

    psych hands optim() the ULS gradient instead; the two criteria agree except at Heywood cases, where this
    criterion is the one psych's minres minimises.
    """

    def off_diagonal(residual: np.ndarray) -> tuple[float, np.ndarray]:
        residual = residual.copy()
        np.fill_diagonal(residual, 0.0)
        return 0.5 * float((residual**2).sum()), residual

    return _truncation_gradient(r - np.diag(psi), n_factors, off_diagonal)


def _wls_objective(psi: np.ndarray, r: np.ndarray, n_factors: int) -> tuple[float, np.ndarray]:
    """psych's ``fm = "wls"`` criterion sum_ij w_i w_j E_ij^2, w = 1 / diag(R^-1) = 1 - SMC (fit.residuals),
    diagonal included, with its exact gradient (G = 2 (w w') o E)."""
    item_weights = 1.0 / np.diag(np.linalg.inv(r))
    weights = np.outer(item_weights, item_weights)

    def weighted(residual: np.ndarray) -> tuple[float, np.ndarray]:
        return float((weights * residual**2).sum()), 2.0 * weights * residual

    return _truncation_gradient(r - np.diag(psi), n_factors, weighted)


def _gls_objective(psi: np.ndarray, r: np.ndarray, n_factors: int) -> tuple[float, np.ndarray]:
    """psych's ``fm = "gls"`` criterion ||R^-1 E||_F^2 = tr(E R^-2 E) (fit.residuals), with its exact gradient
    (G = R^-2 E + E R^-2)."""
    inverse = np.linalg.inv(r)
    inverse_squared = inverse @ inverse

    def generalised(residual: np.ndarray) -> tuple[float, np.ndarray]:
        product = inverse_squared @ residual
        return float((residual * product).sum()), product + product.T

    return _truncation_gradient(r - np.diag(psi), n_factors, generalised)


def _ml_objective(psi: np.ndarray, r: np.ndarray, n_factors: int) -> tuple[float, np.ndarray]:
    """ML discrepancy in the uniquenesses (psych FAfn) and its gradient (psych FAgr)."""
    scale = 1.0 / np.sqrt(psi)
    values, vectors = np.linalg.eigh(r * np.outer(scale, scale))
    values, vectors = values[::-1], vectors[:, ::-1]
    rest = values[n_factors:]
    value = -(np.sum(np.log(rest) - rest) - n_factors + r.shape[0])
    loadings = np.sqrt(psi)[:, None] * vectors[:, :n_factors] * np.sqrt(np.clip(values[:n_factors] - 1, 0, None))
    gradient = (np.diag(loadings @ loadings.T) + psi - np.diag(r)) / psi**2
    return float(value), gradient


def _fit_uniquenesses(r: np.ndarray, n_factors: int, method: str) -> tuple[np.ndarray, int]:
    """Minimise the minres/uls/wls/gls or ML criterion over the uniquenesses (L-BFGS-B, bounds [0.005, 1] as
    psych) from 1 - SMC; the wls and gls criteria have local minima, so they are also started from psych's start (SMC)
    and the lower minimum is kept."""
    objective = {
        "ml": _ml_objective,
        "minres": _minres_objective,
        "uls": _uls_objective,
        "wls": _wls_objective,
        "gls": _gls_objective,
    }[method]
    starts = [1.0 - smc(r), smc(r)] if method in ("wls", "gls") else [1.0 - smc(r)]
    upper = max(float(smc(r).max()), 1.0)
    results = [
        optimize.minimize(
            objective,
            start,
            args=(r, n_factors),
            jac=True,
            method="L-BFGS-B",
            bounds=[(_LOWER_BOUND, upper)] * len(start),
            options={"maxiter": 10000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
        )
        for start in starts
    ]
    result = min(results, key=lambda fitted: fitted.fun)
    if not result.success and result.nit >= 10000:
        raise ConvergenceError(
            f"{method} estimation did not converge in {result.nit} iterations ({result.message}).", result.nit
        )
    return result.x, int(result.nit)


def _principal_axis(r: np.ndarray, n_factors: int, min_err: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Iterated principal axes from SMC communalities until the communality sum changes < min_err (psych)."""
    reduced = r.copy()
    np.fill_diagonal(reduced, smc(r))
    total = np.trace(reduced)
    for iteration in range(1, max_iter + 1):
        values, vectors = np.linalg.eigh(reduced)
        values, vectors = values[::-1][:n_factors], vectors[:, ::-1][:, :n_factors]
        if np.any(values < 0):
            raise ConvergenceError(
                f"principal axis factoring met a negative eigenvalue at iteration {iteration}; use method='minres'.",
                iteration,
            )
        loadings = vectors * np.sqrt(values)
        communalities = (loadings**2).sum(axis=1)
        np.fill_diagonal(reduced, communalities)
        change, total = abs(total - communalities.sum()), communalities.sum()
        if change <= min_err:
            return loadings, iteration
    raise ConvergenceError(
        f"principal axis factoring did not converge in {max_iter} iterations (communality change {change:.3g} > "
        f"{min_err}); raise max_iter or use method='minres'.",
        max_iter,
    )


def _extract(r: np.ndarray, n_factors: int, method: str, min_err: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Unrotated loadings (and the iteration count) of psych::fa's extraction methods."""
    if method == "pa":
        return _principal_axis(r, n_factors, min_err, max_iter)
    psi, iterations = _fit_uniquenesses(r, n_factors, method)
    if np.any(psi <= _LOWER_BOUND * (1 + 1e-6)):
        items = ", ".join(str(int(i) + 1) for i in np.flatnonzero(psi <= _LOWER_BOUND * (1 + 1e-6)))
        warnings.warn(
            f"Heywood case: the uniqueness of item(s) number {items} (counting from 1, in the order given) reached "
            f"the lower bound {_LOWER_BOUND}; "
            "the solution is improper (too many factors or too few items per factor).",
            HeywoodWarning,
            stacklevel=4,  # efa()'s caller (through factor_solution)
        )
    if method == "ml":
        scale = np.sqrt(psi)
        return scale[:, None] * _principal_loadings(r / np.outer(scale, scale), n_factors, shift=1.0), iterations
    return _principal_loadings(r - np.diag(psi), n_factors), iterations


def _positive_columns(loadings: np.ndarray) -> np.ndarray:
    """Sign of each column's sum (0 counts as +), psych's sign convention."""
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1
    return signs


def _orient(loadings: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Make column sums positive, then order columns by variance accounted for (diag(Phi L'L)), as psych."""
    signs = _positive_columns(loadings)
    loadings = loadings * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
    explained = (loadings**2).sum(axis=0) if phi is None else np.diag(phi @ loadings.T @ loadings)
    order = np.argsort(-explained, kind="stable")
    loadings = loadings[:, order]
    return loadings, None if phi is None else phi[np.ix_(order, order)]


# ------------------------------------------------------------------------------------------------- fit stats
def _rmsea_bounds(chisq: float, dof: float, n_obs: int, confidence: float) -> tuple[float, float]:
    """psych's RMSEA interval (fa's alpha = 1 - confidence): non-centrality parameters where
    P(chi2(dof, ncp) <= chisq) = 1 - tail and tail, tail = (1 - confidence) / 2."""
    tail = (1 - confidence) / 2
    upper_end = max(n_obs, chisq) + 2 * n_obs

    def bound(prob):
        ncp = optimize.brentq(lambda x: stats.ncx2.cdf(chisq, dof, max(x, 1e-300)) - prob, 0.0, upper_end, xtol=1e-9)
        return np.sqrt(ncp / (n_obs - 1) / dof)

    central = stats.chi2.cdf(chisq, dof)
    upper = bound(tail) if central > tail else 0.0
    lower = bound(1 - tail) if central > 1 - tail else 0.0
    return lower, upper


def _residual_statistics(residual: np.ndarray, dof: float, n_obs, pair_counts) -> tuple[float, float, float]:
    """rms, crms and the empirical chi-square of the off-diagonal residuals; with raw data psych weights each
    squared residual by its pairwise n and divides by the harmonic mean of those n."""
    n = residual.shape[0]
    if pair_counts is None:
        weighted, n_harmonic = float((residual**2).sum()), 1.0
        empirical = weighted * n_obs if n_obs is not None else np.nan
    else:
        weighted, n_harmonic = float((residual**2 * pair_counts).sum()), float(stats.hmean(pair_counts.ravel()))
        empirical = weighted
    rms = np.sqrt(weighted / (n_harmonic * n * (n - 1)))
    crms = np.sqrt(weighted / (2 * n_harmonic * dof)) if dof > 0 else np.nan
    return rms, crms, empirical


def fit_statistics(
    r: np.ndarray,
    loadings: np.ndarray,
    phi: np.ndarray | None,
    n_obs: int | None,
    pair_counts: np.ndarray | None,
    confidence: float = 0.90,
) -> dict:
    """psych::fa.stats: likelihood chi-square, RMSEA with its interval, TLI, BIC, rms and crms of a factor model."""
    n, n_factors = loadings.shape
    phi = np.eye(n_factors) if phi is None else phi
    model = loadings @ phi @ loadings.T
    residual = r - model
    np.fill_diagonal(residual, 0.0)
    dof = n * (n - 1) / 2 - n * n_factors + n_factors * (n_factors - 1) / 2
    rms, crms, empirical = _residual_statistics(residual, dof, n_obs, pair_counts)
    np.fill_diagonal(model, np.diag(r))
    r_smooth = smooth_correlation(r)
    m_inv_r = np.linalg.solve(smooth_correlation(model), r_smooth)
    objective = float(np.trace(m_inv_r) - np.linalg.slogdet(m_inv_r)[1] - n)
    null_objective = float(np.trace(r_smooth) - np.linalg.slogdet(r_smooth)[1] - n)
    fit = {
        "chisq": np.nan,
        "df": dof,
        "pvalue": np.nan,
        "rmsea": np.nan,
        "rmsea_ci_low": np.nan,
        "rmsea_ci_high": np.nan,
        "tli": np.nan,
        "bic": np.nan,
        "rms": float(rms),
        "crms": float(crms),
        "objective": objective,
        "null_chisq": np.nan,
        "null_df": n * (n - 1) / 2,
        "empirical_chisq": float(empirical),
    }
    if n_obs is None:
        return {key: float(value) for key, value in fit.items()}
    multiplier = (n_obs - 1) - (2 * n + 5) / 6 - 2 * n_factors / 3
    chisq = max(objective * multiplier, 0.0)
    m0 = null_objective * 2 / (n * (n - 1))
    fit.update(
        chisq=chisq,
        null_chisq=null_objective * ((n_obs - 1) - (2 * n + 5) / 6),
        tli=((m0 - objective / dof) / (m0 - 1 / multiplier)) if dof > 0 else np.nan,
    )
    if dof > 0:
        rmsea = np.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0.0))
        lower, upper = _rmsea_bounds(chisq, dof, n_obs, confidence)
        fit.update(
            pvalue=float(stats.chi2.sf(chisq, dof)),
            rmsea=rmsea,
            rmsea_ci_low=lower if lower <= rmsea else np.nan,
            rmsea_ci_high=upper if upper >= rmsea else np.nan,
            bic=chisq - dof * np.log(n_obs),
        )
    return {key: float(value) for key, value in fit.items()}


def factor_solution(
    r: np.ndarray,
    n_factors: int,
    method: str,
    rotation: str,
    gamma: float = 0.0,
    min_err: float = 0.001,
    max_iter: int = 50,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, int]:
    """efa()'s (loadings, phi, unrotated loadings, iterations) of a correlation matrix ``r`` checked beforehand: the
    extraction, psych's column signs, the rotation and psych's column order, with no input check and no fit
    statistics. efa() calls it after its checks; bootstraps call it on each resample's correlations (their data were
    checked once), where a resample can fail only the checks they repeat themselves."""
    unrotated, iterations = _extract(r, n_factors, method, min_err, max_iter)
    unrotated = unrotated * _positive_columns(unrotated)
    unrotated[unrotated == 0] = 1e-15
    rotated, phi = rotate_array(unrotated, rotation, gamma)
    loadings, phi = _orient(rotated, phi)
    return loadings, phi, unrotated, iterations


# ---------------------------------------------------------------------------------------------------- efa()
def _check_factors(n_factors, n_items: int) -> int:
    n_factors = check_count(n_factors, name="n_factors", minimum=1, maximum=MAX_FACTORS)
    dof = n_items * (n_items - 1) / 2 - n_items * n_factors + n_factors * (n_factors - 1) / 2
    if n_factors >= n_items or dof < 0:
        raise IdentificationError(
            f"{n_factors} factors are too many for {n_items} items: the model has {dof:g} degrees of freedom. "
            "Extract fewer factors or add items."
        )
    return n_factors


@small_matrices
def efa(
    data_or_corr: DataOrCorr,
    n_factors: int,
    method: str = "minres",
    rotation: str = "oblimin",
    n_obs: int | None = None,
    cor: str = "pearson",
    *,
    min_err: float = 0.001,
    max_iter: int = 50,
    confidence: float = 0.90,
    gamma: float = 0.0,
) -> EFAResult:
    """Exploratory factor analysis, equivalent to ``psych::fa(x, nfactors, fm = method, rotate = rotation)``.

    Extraction (psych 2.2.9 ``fac``): ``minres``/``uls`` minimise the residual correlations (unweighted least
    squares, Harman 1976), ``wls``/``gls`` psych's weighted residual criteria (see Notes) and ``ml`` the ML
    discrepancy (Joreskog 1967) over the uniquenesses, starting from 1 - SMC with bounds [0.005, 1]; ``pa`` iterates
    principal axes from SMC communalities until the communality sum changes by less than ``min_err`` (at most
    ``max_iter`` iterations). Columns are signed so their sums are positive, rotated (see
    :mod:`psychometrics.factor.rotation`), re-signed and ordered by the variance they account for. Fit statistics
    follow ``psych::fa.stats``: chi2 = F (n - 1 - (2p + 5)/6 - 2f/3) with F the ML discrepancy of the model; RMSEA
    with a 90% interval, Tucker-Lewis index, BIC = chi2 - df ln n, rms (root mean squared off-diagonal residual) and
    crms (corrected for df). ``fit`` keys: chisq, df, pvalue, rmsea, rmsea_ci_low, rmsea_ci_high, tli, bic, rms,
    crms, objective, null_chisq, null_df, empirical_chisq.

    Parameters
    ----------
    data_or_corr : DataFrame
        Respondents x items (pairwise-complete correlations) or a correlation matrix (then ``n_obs`` is needed
        for chi2, RMSEA, TLI and BIC; without it those are NaN).
    n_factors : int
    method : {"minres", "ml", "pa", "uls", "wls", "gls"}
        psych's ``fm``; the loadings' columns are named MR, ML, PA, ULS, WLS, GLS 1..k as psych names them.
    rotation : str
        One of :data:`psychometrics.factor.rotation.ROTATIONS`: "none", "varimax", "quartimax", "promax",
        "oblimin", "quartimin", "geomin" (= "geominQ"), "geominT", "bifactor", "equamax", "bentlerT", "bentlerQ",
        "oblimax", "simplimax" (see :func:`rotate_loadings`).
    n_obs : int, optional
    cor : {"pearson", "polychoric"}
    confidence : float
        Coverage of the RMSEA interval (psych's ``alpha = 1 - confidence``; default 0.90 as psych).
    gamma : float
        Oblimin's gamma (GPArotation ``oblimin(L, gam = gamma)``); only with ``rotation="oblimin"``.

    Returns
    -------
    EFAResult

    Warns
    -----
    HeywoodWarning
        When a uniqueness reaches its lower bound.

    Raises
    ------
    ConvergenceError
        When the estimation or rotation does not converge.

    Notes
    -----
    ``wls`` and ``gls`` minimise the criterion psych 2.2.9 defines for them (``fac``'s internal
    ``fit.residuals``) over the uniquenesses psi. For given psi the loadings are the first k eigenvectors of
    S = R - diag(psi) scaled by the square roots of their eigenvalues, and E = S - LL' (diagonal included):

    - ``wls``: F = sum_ij w_i w_j E_ij^2 with w = 1 / diag(R^-1) = 1 - SMC (psych: "weights the residual
      matrix by 1 / diagonal of the inverse of the correlation matrix");
    - ``gls``: F = ||R^-1 E||_F^2 = tr(E R^-2 E) (psych: "weights the residual matrix by the inverse of the
      correlation matrix"; note this is not Joreskog-Goldberger's tr[(R^-1 (R - Sigma))^2] / 2).

    Both are minimised with their exact gradient (eigen-perturbation) from 1 - SMC and from psych's start (SMC),
    keeping the lower minimum (the wls criterion of ``ability.cov`` with 2 factors has a local minimum, 0.0789,
    next to the global 0.0115; the SMC start ends in it). Then the loadings are rotated, signed and ordered as
    for the other methods, with communalities diag(LL') and uniquenesses 1 - communality as psych reports them.

    R: ``psych::fa(r, nfactors, n.obs = n, fm = "wls" | "gls", rotate = rotation)``. psych hands ``optim``
    (L-BFGS-B) the ML gradient (``FAgr.minres2``) for these criteria, so optim stops at a line-search failure or
    a small relative reduction before the minimum, and psych's printed results are not the minimum of its own
    criterion. On Holzinger-Swineford (9 items, 3 factors) psych's criterion is 0.009065 (wls) and 0.191973 (gls)
    at its solution against 0.008877 and 0.163997 at the minimum returned here; its oblimin loadings differ by up
    to 0.016 (wls) and 0.065 (gls). This function equals psych's own pipeline with ``optim`` replaced by a
    converged minimisation of the same criterion (tests/reference/efa_wls.R) at 1e-4, not psych's printed
    values.

    References
    ----------
    Harman, H. H. (1976). Modern factor analysis (3rd ed.). University of Chicago Press.
    Joreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis. Psychometrika, 32, 443-482.
    Joreskog, K. G., & Goldberger, A. S. (1972). Factor analysis by generalized least squares. Psychometrika, 37,
    243-260.
    Revelle, W. (2022). psych: Procedures for psychological, psychometric, and personality research (2.2.9), ``fa``.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> res = pm.efa(hs, 3, rotation="oblimin")
    >>> res.loadings.round(2).loc["x4"].tolist()
    [0.85, 0.02, 0.01]
    >>> round(res.fit["rmsea"], 3), res.fit["df"]
    (0.054, 12.0)
    >>> res.eigenvalues.round(3).head(3).tolist()
    [3.216, 1.639, 1.365]
    >>> wls = pm.efa(hs, 3, method="wls", rotation="oblimin")
    >>> list(wls.loadings.columns), wls.loadings.round(2).loc["x1"].tolist()
    (['WLS1', 'WLS2', 'WLS3'], [0.2, 0.59, 0.03])
    """
    check_choice(method, EFA_METHODS, name="method")
    check_choice(rotation, ROTATIONS, name="rotation")
    confidence = check_confidence(confidence)
    given = correlation_input(
        data_or_corr, n_obs, cor=cor, require_pd=method in DEFINITE_METHODS, what="the factor analysis"
    )
    r = given.corr.to_numpy()
    smallest = float(np.linalg.eigvalsh(r).min())
    if smallest <= 1e-10:
        warnings.warn(
            f"the correlation matrix is not positive definite (smallest eigenvalue {smallest:.3g}); "
            "it is smoothed for the fit statistics (psych::cor.smooth).",
            stacklevel=2,
        )
    n_factors = _check_factors(n_factors, r.shape[0])
    max_iter = check_count(max_iter, name="max_iter", minimum=1, maximum=10_000)
    loadings, phi, unrotated, iterations = factor_solution(r, n_factors, method, rotation, gamma, min_err, max_iter)
    communalities = (unrotated**2).sum(axis=1)
    if np.any(communalities > 1):
        warnings.warn(
            "An ultra-Heywood case was detected (a communality above 1); examine the results carefully.",
            HeywoodWarning,
            stacklevel=2,
        )
    items = given.corr.columns
    columns = [f"{_COLUMN_PREFIX[method]}{k + 1}" for k in range(n_factors)]
    fit = fit_statistics(r, loadings, phi, given.n_obs, given.pair_counts, confidence)
    return EFAResult(
        loadings=pd.DataFrame(loadings, index=items, columns=columns),
        phi=None if phi is None else pd.DataFrame(phi, index=columns, columns=columns),
        communalities=pd.Series(communalities, index=items, name="h2"),
        uniquenesses=pd.Series(np.diag(r) - communalities, index=items, name="u2"),
        fit=fit,
        n_factors=n_factors,
        method=method,
        rotation=rotation,
        n_obs=given.n_obs,
        correlation=given.corr,
        iterations=iterations,
        eigenvalues=pd.Series(np.linalg.eigvalsh(r)[::-1], index=pd.RangeIndex(1, len(items) + 1), name="eigenvalue"),
        confidence=confidence,
    )
