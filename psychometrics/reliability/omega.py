"""McDonald's omega via the Schmid-Leiman transformation, as psych::omega (psych 2.2.9)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..factor._factor_input import correlation_input
from .._results import Result
from ..factor.efa import efa
from .._checks import MAX_FACTORS, check_count
from ..factor.rotation import rotate_array

__all__ = ["OmegaResult", "omega"]


@dataclasses.dataclass(frozen=True, repr=False)
class OmegaResult(Result):
    """Omega coefficients, the general-factor loadings and the Schmid-Leiman solution."""

    omega_total: float
    omega_hierarchical: float
    omega_asymptotic: float
    alpha: float
    ecv: float
    g_loadings: pd.Series
    subscale_omega: pd.DataFrame
    schmid_leiman: pd.DataFrame
    n_factors: int

    def to_frame(self) -> pd.DataFrame:
        return self.schmid_leiman.copy()


def _general_loadings(phi: np.ndarray, method: str) -> np.ndarray:
    """Loadings of the oblique factors on one higher-order factor (psych::schmid; 'equal' option for 2)."""
    if phi.shape[0] == 2:
        root = np.sqrt(abs(phi[0, 1]))
        return np.array([root, np.sign(phi[0, 1]) * root])
    return efa(phi, 1, method=method, rotation="none").loadings.to_numpy()[:, 0]


def _schmid_leiman(r: np.ndarray, n_factors: int, method: str, n_obs) -> np.ndarray:
    """Schmid-Leiman matrix [g, F1*..Fk*, h2, u2, p2] of psych::schmid (varimax, then GPArotation oblimin)."""
    orthogonal = efa(r, n_factors, method=method, rotation="varimax", n_obs=n_obs).loadings.to_numpy()
    if n_factors == 1:  # psych: the single factor is the general factor (omega_h is then not meaningful)
        oblique, g_of_factors = orthogonal, np.ones(1)
    else:
        oblique, phi = rotate_array(orthogonal, "oblimin")
        assert phi is not None  # oblimin is oblique: it always returns factor correlations
        g_of_factors = _general_loadings(phi, method)
    general = oblique @ g_of_factors
    h2 = (orthogonal**2).sum(axis=1)
    group = np.sign(oblique) * np.sqrt(np.clip(oblique**2 * (1 - g_of_factors**2), 0, None))
    return np.column_stack([general, group, h2, 1 - h2, general**2 / h2])


def _subscale_omegas(r: np.ndarray, sl: np.ndarray, n_factors: int, omega_total: float) -> np.ndarray:
    """psych's omega.group: (total, general, group) omega of g and of each item cluster (largest group loading)."""
    general = sl[:, 0]
    cluster = np.argmax(np.abs(sl[:, 1:n_factors + 1]), axis=1)
    table = np.full((n_factors + 1, 3), np.nan)
    group_sq_sum = 0.0
    for k in range(n_factors):
        items = cluster == k
        if items.any():
            variance = r[np.ix_(items, items)].sum()
            group_sum, general_sum = sl[items, k + 1].sum(), general[items].sum()
            group_sq_sum += group_sum**2
            table[k + 1] = [(group_sum**2 + general_sum**2) / variance, general_sum**2 / variance,
                            group_sum**2 / variance]
    table[0] = [omega_total, general.sum() ** 2 / r.sum(), group_sq_sum / r.sum()]
    return table


def omega(data_or_corr, n_factors: int = 3, n_obs=None, method: str = "minres") -> OmegaResult:
    """Omega total, hierarchical and asymptotic from a Schmid-Leiman solution (``psych::omega(x, nfactors)``).

    The correlations are factored (``method``, varimax), rotated by oblimin (GPArotation defaults), the factor
    correlations factored once more and the loadings orthogonalised (Schmid & Leiman 1957). Items whose general
    loading is negative are reversed (psych's ``flip``). With V the sum of the (reversed) correlation matrix,
    g the general loadings and u2 the uniquenesses: omega_h = (sum g)^2 / V, omega_total = (V - sum u2) / V,
    omega_asymptotic = (sum g)^2 / (V - sum u2) (McDonald 1999; Zinbarg et al. 2005), ECV = sum g^2 / sum of all
    squared Schmid-Leiman loadings; ``subscale_omega`` is psych's ``omega.group`` (rows g, F1*, ...).

    References
    ----------
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
    given = correlation_input(data_or_corr, n_obs, require_pd=False, what="omega")
    r = given.corr.to_numpy()
    sl = _schmid_leiman(r, n_factors, method, given.n_obs)
    keys = np.where(sl[:, 0] < 0, -1.0, 1.0)
    r = r * np.outer(keys, keys)
    sl[:, :n_factors + 1] *= keys[:, None]
    total_variance, n_items = r.sum(), r.shape[0]
    general_sq = sl[:, 0].sum() ** 2
    explained = total_variance - sl[:, n_factors + 2].sum()
    omega_total = explained / total_variance
    squares = (sl[:, :n_factors + 1] ** 2).sum(axis=0)
    items = [f"{name}-" if key < 0 else str(name) for name, key in zip(given.corr.columns, keys)]
    factor_names = ["g"] + [f"F{k + 1}*" for k in range(n_factors)]
    return OmegaResult(
        omega_total=float(omega_total),
        omega_hierarchical=float(general_sq / total_variance),
        omega_asymptotic=float(general_sq / explained),
        alpha=float((total_variance - np.trace(r)) / total_variance * n_items / (n_items - 1)),
        ecv=float(squares[0] / squares.sum()),
        g_loadings=pd.Series(sl[:, 0], index=items, name="g"),
        subscale_omega=pd.DataFrame(_subscale_omegas(r, sl, n_factors, omega_total), index=factor_names,
                                    columns=["total", "general", "group"]),
        schmid_leiman=pd.DataFrame(sl, index=items, columns=factor_names + ["h2", "u2", "p2"]),
        n_factors=n_factors,
    )
