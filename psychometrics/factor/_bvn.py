"""Vectorised bivariate normal CDF (Genz 2004, the algorithm of Drezner & Wesolowsky 1990 as refined by Genz).

Written here because scipy only offers the bivariate normal CDF one point at a time
(``scipy.stats.multivariate_normal.cdf``), far too slow for the thousands of cells of a polychoric matrix.
Accuracy about 1e-15 (Genz's 6/12/20-point Gauss-Legendre rules).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr


def _half_rule(n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Genz's rule on (0, 2): Gauss-Legendre nodes x mapped to 1 -/+ x, with their weights."""
    nodes, weights = np.polynomial.legendre.leggauss(n_points)
    positive = nodes > 0
    return (
        np.concatenate([1 - nodes[positive], 1 + nodes[positive]]),
        np.concatenate([weights[positive], weights[positive]]),
    )


# Genz: 6 points for |r| < 0.3, 12 for |r| < 0.75, 20 otherwise
_RULES = {6: _half_rule(6), 12: _half_rule(12), 20: _half_rule(20)}
_X, _W = _RULES[20]
_TWO_PI = 2 * np.pi


def _upper_moderate(h, k, r):
    """P(X > h, Y > k) for |r| < 0.925 (Drezner-Wesolowsky integral over asin(r))."""
    out = np.empty(h.shape)
    size = np.where(np.abs(r) < 0.3, 6, np.where(np.abs(r) < 0.75, 12, 20))
    for n_points, (x, w) in _RULES.items():
        part = size == n_points
        if part.any():
            hp, kp, rp = h[part], k[part], r[part]
            hk, hs = hp * kp, (hp * hp + kp * kp) / 2
            asr = np.arcsin(rp) / 2
            sn = np.sin(asr[:, None] * x)
            integral = np.exp((sn * hk[:, None] - hs[:, None]) / (1 - sn * sn)) @ w
            out[part] = integral * asr / _TWO_PI + ndtr(-hp) * ndtr(-kp)
    return out


def _upper_high(h, k, r):
    """P(X > h, Y > k) for |r| >= 0.925 (Genz's expansion around |r| = 1)."""
    k = np.where(r < 0, -k, k)
    hk = h * k
    a_s = 1 - r * r
    a = np.sqrt(a_s)
    bs = (h - k) ** 2
    c, d = (4 - hk) / 8, (12 - hk) / 80
    asr = -(bs / a_s + hk) / 2
    bvn = np.where(asr > -100, a * np.exp(asr) * (1 - c * (bs - a_s) * (1 - d * bs) / 3 + c * d * a_s * a_s), 0.0)
    b = np.sqrt(bs)
    sp = np.sqrt(_TWO_PI) * ndtr(-b / a)
    bvn = np.where(hk > -100, bvn - np.exp(-hk / 2) * sp * b * (1 - c * bs * (1 - d * bs) / 3), bvn)
    half = a / 2
    xs = (half[..., None] * _X) ** 2
    asr_n = -(bs[..., None] / xs + hk[..., None]) / 2
    sp_n = 1 + c[..., None] * xs * (1 + 5 * d[..., None] * xs)
    rs = np.sqrt(1 - xs)
    ep = np.exp(-(hk[..., None] / 2) * xs / (1 + rs) ** 2) / rs
    terms = np.where(asr_n > -100, np.exp(asr_n) * (sp_n - ep), 0.0)
    bvn = (half * (terms * _W).sum(axis=-1) - bvn) / _TWO_PI
    positive = bvn + ndtr(-np.maximum(h, k))
    between = np.where(h < 0, ndtr(k) - ndtr(h), ndtr(-h) - ndtr(-k)) - bvn
    return np.where(r > 0, positive, np.where(h >= k, -bvn, between))


def bvn_cdf(h: npt.ArrayLike, k: npt.ArrayLike, r: npt.ArrayLike) -> np.ndarray:
    """P(X <= h, Y <= k) for standard bivariate normal (X, Y) with correlation r; arrays broadcast, +-inf allowed."""
    h, k, r = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (h, k, r)))
    out = np.zeros(h.shape)
    finite = np.isfinite(h) & np.isfinite(k)
    out = np.where(np.isposinf(h) & ~np.isneginf(k), ndtr(k), out)
    out = np.where(np.isposinf(k) & ~np.isneginf(h), ndtr(h), out)
    if finite.any():
        # P(X <= h, Y <= k) = P(-X > -h, -Y > -k): Genz's upper-orthant function at (-h, -k)
        hf, kf, rf = -h[finite], -k[finite], r[finite]
        moderate = np.abs(rf) < 0.925
        values = np.empty(hf.shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            values[moderate] = _upper_moderate(hf[moderate], kf[moderate], rf[moderate])
            values[~moderate] = _upper_high(hf[~moderate], kf[~moderate], rf[~moderate])
        out[finite] = np.clip(values, 0.0, 1.0)
    return out


def bvn_density(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Standard bivariate normal density at (h, k) (0 at infinite arguments): d bvn_cdf / d r."""
    with np.errstate(invalid="ignore", over="ignore"):
        q = (h * h - 2 * r * h * k + k * k) / (2 * (1 - r * r))
        dens = np.exp(-q) / (_TWO_PI * np.sqrt(1 - r * r))
    return np.where(np.isfinite(h) & np.isfinite(k), dens, 0.0)
