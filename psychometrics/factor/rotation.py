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
* ``equamax`` (psych's: the Crawford-Ferguson orthogonal rotation with kappa = k / 2p) and ``oblimin`` with
  ``gamma`` != 0 use statsmodels' ``CF_objective`` and ``oblimin_objective``, which are GPArotation's
  ``vgQ.cf`` and ``vgQ.oblimin``. ``oblimax``, ``bentlerT``/``bentlerQ`` (Bentler 1977) and ``simplimax``
  (Kiers 1994, k = number of items) are written here because statsmodels lacks them (GPArotation's
  ``vgQ.oblimax``, ``vgQ.bentler``, ``vgQ.simplimax``); all run through the same GPA.
* ``promax``: psych's ``kaiser(f, rotate = "Promax")``: rows Kaiser-normalised, ``stats::varimax``, target
  ``x |x|^(m-1)`` (m = 4) fitted by least squares, columns rescaled, then rows de-normalised. statsmodels'
  promax normalises differently and does not match psych.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from statsmodels.multivariate.factor_rotation import _gpa_rotation as gpa

from .._blas import small_matrices
from .._checks import MAX_ABS_VALUE, check_choice, cut
from .._results import Result
from ..errors import ConvergenceError, DataError

__all__ = ["ROTATIONS", "RotationResult", "rotate_loadings"]

ROTATIONS = (
    "none",
    "varimax",
    "quartimax",
    "promax",
    "oblimin",
    "quartimin",
    "geomin",
    "geominQ",
    "geominT",
    "bifactor",
    "equamax",
    "bentlerT",
    "bentlerQ",
    "oblimax",
    "simplimax",
)
_GPA_TOL = 1e-5
_GPA_MAX_ITER = 1000
_GPA_MORE_ITER = 9000  # iterations after GPArotation's 1000 before random starts
_RANDOM_STARTS = 10


@dataclasses.dataclass(frozen=True, repr=False)
class RotationResult(Result):
    """Rotated ``loadings``, factor correlations ``phi`` (None for orthogonal rotations), ``rotation`` and the
    oblimin ``gamma``."""

    loadings: pd.DataFrame
    phi: pd.DataFrame | None
    rotation: str
    gamma: float = 0.0

    def to_frame(self) -> pd.DataFrame:
        """A copy of the rotated loadings."""
        return self.loadings.copy()


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


def _vgq_geomin(L: np.ndarray, delta: float = 0.01) -> tuple[float, np.ndarray]:
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


def _vgq_oblimax(L):
    """Oblimax criterion -(ln sum L^4 - 2 ln sum L^2) and its gradient (GPArotation ``vgQ.oblimax``)."""
    fourth, second = (L**4).sum(), (L**2).sum()
    return -(np.log(fourth) - 2 * np.log(second)), -(4 * L**3 / fourth - 4 * L / second)


def _vgq_bentler(L):
    """Bentler's (1977) invariant pattern simplicity: -(ln|M| - ln|diag M|)/4 with M = (L^2)'L^2
    (GPArotation ``vgQ.bentler``)."""
    l2 = L**2
    m = l2.T @ l2
    diagonal = np.diag(m)
    value = -(np.linalg.slogdet(m)[1] - np.log(diagonal).sum()) / 4
    return value, -L * (l2 @ (np.linalg.inv(m) - np.diag(1 / diagonal)))


def _vgq_simplimax(L):
    """Simplimax (Kiers 1994): sum of the k = p smallest squared loadings (GPArotation ``vgQ.simplimax``)."""
    l2 = L**2
    smallest = l2 <= np.sort(l2, axis=None)[L.shape[0] - 1]
    return (smallest * l2).sum(), 2 * smallest * L


def _vgq_equamax(L):
    """psych's equamax: Crawford-Ferguson criterion with kappa = k / (2p) (statsmodels ``CF_objective``)."""
    p, k = L.shape
    return gpa.CF_objective(L=L, kappa=k / (2 * p), rotation_method="orthogonal")


_CRITERIA = {
    "quartimax": ("orthogonal", _vgq_quartimax),
    "oblimin": ("oblique", _vgq_quartimin),
    "quartimin": ("oblique", _vgq_quartimin),
    "geomin": ("oblique", _vgq_geomin),
    "geominQ": ("oblique", _vgq_geomin),  # psych's name for the oblique geomin
    "geominT": ("orthogonal", _vgq_geomin),
    "bifactor": ("orthogonal", _vgq_bifactor),
    "equamax": ("orthogonal", _vgq_equamax),
    "bentlerT": ("orthogonal", _vgq_bentler),
    "bentlerQ": ("oblique", _vgq_bentler),
    "oblimax": ("oblique", _vgq_oblimax),
    "simplimax": ("oblique", _vgq_simplimax),
}


def _criterion(method: str, gamma: float) -> tuple[str, Callable[..., Any]]:
    """The (kind, criterion) of ``method``; oblimin with gamma != 0 uses statsmodels' ``oblimin_objective``
    (GPArotation ``vgQ.oblimin(gam = gamma)``: 0 quartimin, 0.5 biquartimin, 1 covarimin)."""
    if method == "oblimin" and gamma != 0:
        return "oblique", functools.partial(gpa.oblimin_objective, gamma=gamma, rotation_method="oblique")
    return _CRITERIA[method]


def _check_gamma(gamma: Any, rotation: str) -> float:
    if not isinstance(gamma, (int, float, np.floating)) or not np.isfinite(gamma):
        raise DataError(f"gamma={gamma!r} must be a finite number (0 quartimin, 0.5 biquartimin, 1 covarimin).")
    if gamma != 0 and rotation != "oblimin":
        raise DataError(f"gamma={gamma!r} applies to rotation='oblimin' only; got rotation={rotation!r}.")
    return float(gamma)


def _gpa(loadings: np.ndarray, method: str, start: np.ndarray, iterations: int, gamma: float = 0.0) -> tuple:
    """One gradient-projection run from ``start``: (loadings, phi, T, log10 gradient norm, criterion)."""
    kind, criterion = _criterion(method, gamma)
    with np.errstate(all="ignore"):
        rotated, phi, rotation, table = gpa.GPA(
            loadings, vgQ=criterion, rotation_method=kind, tol=_GPA_TOL, max_tries=iterations + 1, T=start
        )
    return rotated, (phi if kind == "oblique" else None), rotation, table[-1][2], table[-1][1]


def _converged(run: tuple) -> bool:
    return bool(np.all(np.isfinite(run[0])) and run[3] < np.log10(_GPA_TOL))


def _random_starts(loadings: np.ndarray, method: str, gamma: float) -> tuple | None:
    """GPArotation's random starts (``GPFRSoblq``/``GPFRSorth``): orthonormal starts from the QR decomposition of
    standard normal matrices (seed 0: the same result every time); the converged run with the lowest criterion."""
    rng = np.random.default_rng(0)
    k = loadings.shape[1]
    runs = [
        _gpa(loadings, method, np.linalg.qr(rng.standard_normal((k, k)))[0], _GPA_MAX_ITER, gamma)
        for _ in range(_RANDOM_STARTS)
    ]
    converged = [run for run in runs if _converged(run)]
    return min(converged, key=lambda run: run[4]) if converged else None


def _gpa_rotate(loadings: np.ndarray, method: str, gamma: float = 0.0) -> tuple[np.ndarray, np.ndarray | None]:
    """Gradient-projection rotation from the identity (GPArotation's defaults). When 1000 iterations do not
    converge, the run continues for _GPA_MORE_ITER more, then tries _RANDOM_STARTS seeded random starts
    before raising ConvergenceError."""
    run = _gpa(loadings, method, np.eye(loadings.shape[1]), _GPA_MAX_ITER, gamma)
    if not np.all(np.isfinite(run[0])) or not np.isfinite(run[3]):
        # psych::fa falls back to (unnormalised) Promax when the GPArotation call fails
        warnings.warn(
            f"the {method} rotation failed (numerical breakdown); Promax was used instead, as psych::fa does",
            stacklevel=4,
        )
        return _promax(loadings)
    if not _converged(run):
        longer = _gpa(loadings, method, run[2], _GPA_MORE_ITER, gamma)
        run = longer if _converged(longer) else (_random_starts(loadings, method, gamma) or longer)
    if not _converged(run):
        raise ConvergenceError(
            f"the {method} rotation did not converge in {_GPA_MAX_ITER + _GPA_MORE_ITER} iterations nor from "
            f"{_RANDOM_STARTS} random starts (gradient norm {10 ** run[3]:.2g}); try another rotation or fewer factors.",
            iterations=_GPA_MAX_ITER + _GPA_MORE_ITER,
        )
    return run[0], run[1]


def rotate_array(loadings: np.ndarray, rotation: str, gamma: float = 0.0) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate an unrotated loading matrix: (rotated loadings, phi or None)."""
    check_choice(rotation, ROTATIONS, name="rotation")
    gamma = _check_gamma(gamma, rotation)
    if rotation == "none" or loadings.shape[1] < 2:
        return loadings.copy(), None
    if rotation == "varimax":
        return stats_varimax(loadings)[0], None
    if rotation == "promax":
        return _kaiser_promax(loadings)
    return _gpa_rotate(loadings, rotation, gamma)


def _rotated(values: np.ndarray, frame: pd.DataFrame, rotation: str, gamma: float) -> tuple:
    """:func:`rotate_array` of user-given loadings: values that are not finite, or loadings the rotation cannot
    invert (numpy's LinAlgError before), are a DataError."""
    bad = np.argwhere(~(np.abs(values) <= MAX_ABS_VALUE))  # NaN, infinite and overflowing values
    if rotation != "none" and len(bad):
        i, j = bad[0]
        raise DataError(
            f"loadings has the value {float(values[i, j])!r} for item {frame.index[i]!r}, factor "
            f"{frame.columns[j]!r}; loadings must be finite numbers of at most {MAX_ABS_VALUE:g} in size."
        )
    try:
        return rotate_array(values, rotation, gamma)
    except np.linalg.LinAlgError as error:
        raise DataError(
            f"the {rotation} rotation cannot invert these loadings ({error}): their factor columns are linearly "
            "dependent (fewer items than factors, a factor of zeros, ...); drop a factor or rotate another solution."
        ) from error


@small_matrices
def rotate_loadings(
    loadings: pd.DataFrame | npt.ArrayLike, rotation: str = "oblimin", *, gamma: float = 0.0
) -> RotationResult:
    """Rotate a factor loading matrix (items x factors) as ``psych::fa(..., rotate = rotation)`` does.

    Orthogonal rotations maximise (or minimise) a simplicity criterion over T with L T; oblique ones over
    L (T')^-1, with factor correlations Phi = T'T. The gradient-projection algorithm (Bernaards & Jennrich 2005)
    starts from the identity, as GPArotation's defaults (eps = 1e-5, 1000 iterations; then more, see above).

    Parameters
    ----------
    loadings : DataFrame or array
        Unrotated loadings, items x factors.
    rotation : str
        One of :data:`ROTATIONS`. ``geomin`` is GPArotation's ``geominQ`` (oblique), ``geominT`` the orthogonal
        version; ``bifactor`` is psych's (orthogonal biquartimin on the group factors); ``equamax`` psych's
        (Crawford-Ferguson, kappa = k / 2p); ``bentlerT``/``bentlerQ``, ``oblimax`` and ``simplimax`` are
        GPArotation's.
    gamma : float
        Oblimin's gamma (0 quartimin, 0.5 biquartimin, 1 covarimin); only with ``rotation="oblimin"``.

    Returns
    -------
    RotationResult
        ``loadings``, ``phi`` (None for orthogonal rotations), ``rotation`` and ``gamma``. Columns are in the
        input order and unsigned (:func:`efa` orders and signs them as psych).

    Raises
    ------
    ConvergenceError
        When the rotation converges neither in 10,000 iterations nor from 10 seeded random starts (GPArotation
        stops after 1000 with a warning).

    References
    ----------
    Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software for arbitrary
    rotation criteria in factor analysis. Educational and Psychological Measurement, 65, 676-696.
    Jennrich, R. I. (1979). Admissible values of gamma in direct oblimin rotation. Psychometrika, 44, 173-177.

    Notes
    -----
    R: ``GPArotation::oblimin(L, gam = gamma)``, ``GPArotation::bentlerQ(L)``, ``psych::equamax(L)``, ...

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    >>> unrotated = pm.efa(hs, 3, rotation="none").loadings
    >>> res = pm.rotate_loadings(unrotated, "oblimin", gamma=0.5)
    >>> res.phi.shape
    (3, 3)
    """
    try:
        frame = loadings if isinstance(loadings, pd.DataFrame) else pd.DataFrame(np.asarray(loadings, dtype=float))
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError) as error:
        raise DataError(
            f"loadings must be a matrix of numbers (items x factors); got {cut(repr(loadings), 80)}."
        ) from error
    rotated, phi = _rotated(values, frame, rotation, gamma)
    columns = frame.columns
    phi_frame = None if phi is None else pd.DataFrame(phi, index=columns, columns=columns)
    return RotationResult(pd.DataFrame(rotated, index=frame.index, columns=columns), phi_frame, rotation, float(gamma))
