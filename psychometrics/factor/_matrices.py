"""Correlation-matrix helpers shared by the factor modules: squared multiple correlations and psych's smoothing.

Kept apart from ``_factor_input`` (which computes polychoric correlations) so that ``polychoric`` can use the
smoothing without an import cycle.
"""

from __future__ import annotations

import numpy as np


def smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlations 1 - 1/diag(R^-1), clipped to [0, 1] (psych::smc)."""
    values = 1.0 - 1.0 / np.diag(np.linalg.pinv(corr, hermitian=True))
    return np.clip(values, 0.0, 1.0)


def smooth_correlation(matrix: np.ndarray) -> np.ndarray:
    """psych::cor.smooth: eigenvalues below 1e-12 raised, rescaled and back to a correlation matrix, if not PD."""
    values, vectors = np.linalg.eigh(matrix)
    if values.min() >= np.finfo(float).eps:
        return matrix
    values = np.where(values < 1e-12, 100 * 1e-12, values)
    values = values * len(values) / values.sum()
    smoothed = (vectors * values) @ vectors.T
    scale = 1 / np.sqrt(np.diag(smoothed))
    return smoothed * np.outer(scale, scale)
