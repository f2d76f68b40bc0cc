"""Factor rotations as psych::fa applies them (GPArotation 2022.10.2 defaults, psych's promax, stats::varimax).

* ``varimax``: R's ``stats::varimax`` (Kaiser-normalised SVD iterations, eps = 1e-5). Written here because
  statsmodels' varimax runs the gradient-projection algorithm with a different stopping rule, which ends at a
  slightly different point than R.
* ``quartimax``, ``oblimin`` (gamma = 0), ``quartimin``, ``geomin`` (oblique, delta = 0.01), ``geominT``
  (orthogonal) and ``bifactor`` (Jennrich & Bentler 2011 biquartimin on the group factors, orthogonal): the
  gradient-projection algorithm of Bernaards & Jennrich (2005) from identity start, no row normalisation,
  eps = 1e-5, at most 1000 iterations, as GPArotation's ``GPForth``/``GPFoblq``. statsmodels'
  ``factor_rotation._gpa_rotation.GPA`` is the same algorithm step for step and is used; the criteria are
  written here (geomin and bifactor are missing in statsmodels, its oblimin/orthomax functions are slower).
* ``promax``: psych's ``kaiser(f, rotate = "Promax")``: rows Kaiser-normalised, ``stats::varimax``, target
  ``x |x|^(m-1)`` (m = 4) fitted by least squares, columns rescaled, then rows de-normalised. statsmodels'
  promax normalises differently and does not match psych.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
from statsmodels.multivariate.factor_rotation import _gpa_rotation as gpa

from .._blas import small_matrices
from .._checks import check_choice
from .._results import Result
from ..errors import ConvergenceError

__all__ = ["ROTATIONS", "RotationResult", "rotate_loadings"]

ROTATIONS = ("none", "varimax", "quartimax", "promax", "oblimin", "quartimin", "geomin", "geominQ", "geominT",
             "bifactor")
_GPA_TOL = 1e-5
_GPA_MAX_ITER = 1000
_GPA_MORE_ITER = 9000  # iterations after GPArotation's 1000 before random starts
_RANDOM_STARTS = 10


@dataclasses.dataclass(frozen=True, repr=False)
class RotationResult(Result):
    """Rotated ``loadings``, factor correlations ``phi`` (None for orthogonal rotations) and ``rotation``."""

    loadings: pd.DataFrame
    phi: pd.DataFrame | None
    rotation: str


def stats_varimax(loadings: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """R's ``stats::varimax(x, normalize = TRUE, eps)``: returns (rotated loadings, rotation matrix)."""
    scale = np.sqrt((loadings**2).sum(axis=1))
    x = loadings / scale[:, None]
    p, k = x.shape
    rotmat = np.eye(k)
    criterion = 0.0
    for _ in range(1000):
        z = x @ rotmat
        b = x.T @ (z**3 - z * (z**2).sum(axis=0) / p)
        u, singular, vt = np.linalg.svd(b)
        rotmat = u @ vt
        previous, criterion = criterion, singular.sum()
        if criterion < previous * (1 + eps):
            break
    return (x @ rotmat) * scale[:, None], rotmat


def _promax(loadings: np.ndarray, m: float = 4) -> tuple[np.ndarray, np.ndarray]:
    """psych::Promax (varimax, then least-squares fit to the target x|x|^(m-1)): (loadings, phi)."""
    x, varimax_rotmat = stats_varimax(loadings)
    target = x * np.abs(x) ** (m - 1)
    u = np.linalg.lstsq(x, target, rcond=None)[0]
    u = u * np.sqrt(np.diag(np.linalg.inv(u.T @ u)))[None, :]
    inverse = np.linalg.inv(varimax_rotmat @ u)
    return x @ u, inverse @ inverse.T


def _kaiser_promax(loadings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """psych's ``promax``: Promax of the Kaiser-normalised loadings, rows then rescaled (psych::kaiser)."""
    h = np.sqrt((loadings**2).sum(axis=1))
    rotated, phi = _promax(loadings / h[:, None])
    return rotated * h[:, None], phi


def _vgq_geomin(L, delta: float = 0.01):
    """Geomin criterion and gradient (GPArotation ``vgQ.geomin``, Browne 2001)."""
    k = L.shape[1]
    l2 = L**2 + delta
    product = np.exp(np.log(l2).sum(axis=1) / k)
    return product.sum(), (2 / k) * (L / l2) * product[:, None]


def _vgq_bifactor(L):
    """Biquartimin criterion on the group factors, general factor free (psych ``vgQ.bimin``)."""
    group = L[:, 1:]
    l2 = group**2
    l2n = l2 @ (1 - np.eye(group.shape[1]))
    gradient = np.zeros_like(L)
    gradient[:, 1:] = 4 * group * l2n
    return (l2 * l2n).sum(), gradient


def _vgq_quartimin(L):
    """Oblimin criterion with gamma = 0 (quartimin), GPArotation ``vgQ.oblimin``: the same values as
    statsmodels' ``oblimin_objective(gamma=0)``, computed without its p x p centring matrix (faster)."""
    l2 = L**2
    others = l2.sum(axis=1, keepdims=True) - l2
    return (l2 * others).sum() / 4, L * others


def _vgq_quartimax(L):
    """Quartimax criterion (GPArotation ``vgQ.quartimax``; statsmodels' orthomax with gamma = 0)."""
    return -(L**4).sum() / 4, -(L**3)


_CRITERIA = {
    "quartimax": ("orthogonal", _vgq_quartimax),
    "oblimin": ("oblique", _vgq_quartimin),
    "quartimin": ("oblique", _vgq_quartimin),
    "geomin": ("oblique", _vgq_geomin),
    "geominQ": ("oblique", _vgq_geomin),  # psych's name for the oblique geomin
    "geominT": ("orthogonal", _vgq_geomin),
    "bifactor": ("orthogonal", _vgq_bifactor),
}


def _gpa(loadings: np.ndarray, method: str, start: np.ndarray, iterations: int) -> tuple:
    """One gradient-projection run from ``start``: (loadings, phi, T, log10 gradient norm, criterion)."""
    kind, criterion = _CRITERIA[method]
    with np.errstate(all="ignore"):
        rotated, phi, rotation, table = gpa.GPA(loadings, vgQ=criterion, rotation_method=kind, tol=_GPA_TOL,
                                                max_tries=iterations + 1, T=start)
    return rotated, (phi if kind == "oblique" else None), rotation, table[-1][2], table[-1][1]


def _converged(run: tuple) -> bool:
    return bool(np.all(np.isfinite(run[0])) and run[3] < np.log10(_GPA_TOL))


def _random_starts(loadings: np.ndarray, method: str) -> tuple | None:
    """GPArotation's random starts (``GPFRSoblq``/``GPFRSorth``): orthonormal starts from the QR decomposition of
    standard normal matrices (seed 0: the same result every time); the converged run with the lowest criterion."""
    rng = np.random.default_rng(0)
    k = loadings.shape[1]
    runs = [_gpa(loadings, method, np.linalg.qr(rng.standard_normal((k, k)))[0], _GPA_MAX_ITER)
            for _ in range(_RANDOM_STARTS)]
    converged = [run for run in runs if _converged(run)]
    return min(converged, key=lambda run: run[4]) if converged else None


def _gpa_rotate(loadings: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Gradient-projection rotation from the identity (GPArotation's defaults). When 1000 iterations do not
    converge, the run continues for _GPA_MORE_ITER more, then tries _RANDOM_STARTS seeded random starts
    before raising ConvergenceError."""
    run = _gpa(loadings, method, np.eye(loadings.shape[1]), _GPA_MAX_ITER)
    if not np.all(np.isfinite(run[0])) or not np.isfinite(run[3]):
        # psych::fa falls back to (unnormalised) Promax when the GPArotation call fails
        warnings.warn(f"the {method} rotation failed (numerical breakdown); Promax was used instead, as psych::fa does")
        return _promax(loadings)
    if not _converged(run):
        longer = _gpa(loadings, method, run[2], _GPA_MORE_ITER)
        run = longer if _converged(longer) else (_random_starts(loadings, method) or longer)
    if not _converged(run):
        raise ConvergenceError(
            f"the {method} rotation did not converge in {_GPA_MAX_ITER + _GPA_MORE_ITER} iterations nor from "
            f"{_RANDOM_STARTS} random starts (gradient norm {10**run[3]:.2g}); try another rotation or fewer factors.",
            iterations=_GPA_MAX_ITER + _GPA_MORE_ITER,
        )
    return run[0], run[1]


def rotate_array(loadings: np.ndarray, rotation: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate an unrotated loading matrix: (rotated loadings, phi or None)."""
    check_choice(rotation, ROTATIONS, name="rotation")
    if rotation == "none" or loadings.shape[1] < 2:
        return loadings.copy(), None
    if rotation == "varimax":
        return stats_varimax(loadings)[0], None
    if rotation == "promax":
        return _kaiser_promax(loadings)
    return _gpa_rotate(loadings, rotation)


@small_matrices
def rotate_loadings(loadings, rotation: str = "oblimin") -> RotationResult:
    """Rotate a factor loading matrix (items x factors) as ``psych::fa(..., rotate = rotation)`` does.

    ``geomin`` is GPArotation's ``geominQ`` (oblique), ``geominT`` the orthogonal version; ``bifactor`` is
    psych's ``bifactor`` (orthogonal biquartimin). Columns are returned in the input order, unsigned (``efa``
    orders and signs them as psych).
    """
    frame = loadings if isinstance(loadings, pd.DataFrame) else pd.DataFrame(np.asarray(loadings, dtype=float))
    rotated, phi = rotate_array(frame.to_numpy(dtype=float), rotation)
    columns = frame.columns
    phi_frame = None if phi is None else pd.DataFrame(phi, index=columns, columns=columns)
    return RotationResult(pd.DataFrame(rotated, index=frame.index, columns=columns), phi_frame, rotation)
