"""Person scores (EAP, MAP), item and test information, expected scores and marginal reliability."""

from __future__ import annotations

import numpy as np

from ._model import boundary_curves, category_probabilities

MAP_TOLERANCE = 1e-10


def eap(posterior: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and standard deviation on the quadrature grid (Bock & Mislevy 1982)."""
    mean = posterior @ theta
    variance = posterior @ theta**2 - mean**2
    return mean, np.sqrt(np.maximum(variance, 0.0))


def _pattern_log_derivatives(params, patterns, n_categories, theta):
    """First and second derivatives in theta of log L(pattern | theta) at one theta per pattern.

    dP_k/dtheta = a (psi_k - psi_{k+1}), d2P_k/dtheta2 = a^2 (psi'_k - psi'_{k+1}) with psi' = psi (1 - 2 P*).
    """
    star, psi = boundary_curves(params, theta, n_categories)  # (J, P, K+1)
    dpsi = psi * (1 - 2 * star)
    slope = params[:, 0][:, None, None]
    probs = star[:, :, :-1] - star[:, :, 1:]
    d1 = slope * (psi[:, :, :-1] - psi[:, :, 1:])
    d2 = slope**2 * (dpsi[:, :, :-1] - dpsi[:, :, 1:])
    answered = patterns.T >= 0  # (J, P)
    pick = np.where(answered, patterns.T, 0)[..., None]
    p = np.take_along_axis(probs, pick, axis=2)[..., 0]
    g = np.take_along_axis(d1, pick, axis=2)[..., 0] / p
    h = np.take_along_axis(d2, pick, axis=2)[..., 0] / p - g**2
    return np.where(answered, g, 0).sum(0), np.where(answered, h, 0).sum(0)


def map_scores(params, patterns, n_categories, mean, variance, start) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode under N(mean, variance) by Newton's method (the log posterior is concave), and the SE
    1 / sqrt(-d2 log posterior) at the mode (mirt's ``fscores(method = "MAP")``)."""
    theta = start.copy()
    for _ in range(100):
        g, h = _pattern_log_derivatives(params, patterns, n_categories, theta)
        g, h = g - (theta - mean) / variance, h - 1.0 / variance
        step = np.clip(-g / h, -1.0, 1.0)
        theta = theta + step
        if np.max(np.abs(step)) < MAP_TOLERANCE:
            break
    _, h = _pattern_log_derivatives(params, patterns, n_categories, theta)
    return theta, 1.0 / np.sqrt(-(h - 1.0 / variance))


def item_information(params, theta, n_categories) -> np.ndarray:
    """Fisher information of every item, (J, T): sum_k (dP_k/dtheta)^2 / P_k (Samejima 1969)."""
    star, psi = boundary_curves(params, theta, n_categories)
    probs = star[:, :, :-1] - star[:, :, 1:]
    d1 = params[:, 0][:, None, None] * (psi[:, :, :-1] - psi[:, :, 1:])
    valid = probs > 0
    return np.where(valid, d1**2 / np.where(valid, probs, 1.0), 0.0).sum(axis=2)


def expected_scores(params, theta, n_categories, labels) -> np.ndarray:
    """Expected item score sum_k value_k P_k(theta) on the item's own scale, (J, T)."""
    probs = category_probabilities(params, theta, n_categories)
    values = np.zeros(probs.shape[::2])
    for j, lab in enumerate(labels):
        values[j, : len(lab)] = lab
    return np.einsum("jtk,jk->jt", probs, values)


def marginal_reliability(params, n_categories, variance: float) -> float:
    """mirt's ``marginal_rxx``: the integral of I(theta) / (I(theta) + var) over the standard normal density,
    by Gauss-Hermite quadrature with 101 nodes."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(101)
    info = item_information(params, nodes, n_categories).sum(axis=0)
    return float(np.sum(weights * info / (info + variance)) / np.sqrt(2 * np.pi))
