"""Residual-based fit measures as lavaan 0.6-14's fitMeasures(): the RMR and SRMR family.

Continuous data (lav_residuals_summary, lav_fit_srmr_lavobject): ``srmr`` = ``srmr_bentler``, the root mean square
of the residuals divided by the observed standard deviations (vech including the diagonal, plus the means with a
mean structure); groups weighted by N_g/N. Ordered items: the root mean square of the correlation residuals over
the p(p+1)/2 elements of vech with its zero diagonal (lavaan's srmr = srmr_bentler_nomean for categorical data).
"""

from __future__ import annotations

import numpy as np


def _continuous_srmr(problem, x: np.ndarray) -> float:
    rows, cols = problem.model.vech_rows, problem.model.vech_cols
    values = []
    for s, (sigma, mu) in zip(problem.stats, problem.model.implied(x)):
        sd = np.sqrt(np.diag(s.cov))
        resid = ((s.cov - sigma) / np.outer(sd, sd))[rows, cols]
        if problem.model.meanstructure:
            resid = np.concatenate([(s.mean - mu) / sd, resid])
        values.append(np.sqrt(np.mean(resid**2)))
    return float(problem.fractions @ np.array(values))


def _categorical_srmr(problem, x: np.ndarray) -> float:
    p = problem.model.p
    values = [np.sqrt(np.sum(problem.residuals(x, g)[len(s.thresholds):] ** 2) / (p * (p + 1) / 2))
              for g, s in enumerate(problem.stats)]
    return float(problem.fractions @ np.array(values))


def residual_measures(problem, x: np.ndarray, options) -> dict[str, float]:
    """The residual-based measures of a fit."""
    if options.categorical:
        return {"srmr": _categorical_srmr(problem, x)}
    return {"srmr": _continuous_srmr(problem, x)}
