"""Residual-based fit measures as lavaan 0.6-14's fitMeasures(): the RMR/SRMR/CRMR family and the GFI family.

Per group (lav_residuals_summary, lav_fit_srmr_lavobject) the root mean square of residuals, groups weighted by
N_g/N:

- ``rmr``: raw residuals ``s - sigma`` (vech of the covariances with the diagonal, plus the means with a mean
  structure; ``_nomean`` without them);
- ``srmr_bentler``: residuals divided by the observed standard deviations (Bentler's "cor.bentler"), as many
  elements as ``rmr``; ``srmr`` is this one (lavaan's default);
- ``crmr``: differences of the observed and implied correlations (Bollen's "cor.bollen") and the mean residuals
  divided by the observed standard deviations, over the off-diagonal elements (and means);
- ``srmr_mplus``: Mplus's SRMR, correlation residuals off the diagonal, relative variance residuals
  ``(s_ii - sigma_ii) / s_ii`` and the standardised mean residuals (lav_fit_srmr_mplus).

Ordered items: residuals of the polychoric correlations (below the diagonal) and of the thresholds; ``rmr`` and
``srmr_bentler`` divide by the correlations plus p (the zero diagonal), ``crmr`` by their number; the thresholds
take the place of the means (so ``srmr`` = ``srmr_bentler_nomean``); ``srmr_mplus`` is not defined.

GFI (lav_fit_gfi): ``1 - r' V r / s' V s`` with ``s`` the sample moments, ``r`` their residuals and ``V`` lavaan's
WLS.V (for ML the expected unit information of the moments at the implied ones); AGFI ``1 - (k/df)(1 - GFI)``,
PGFI ``(df/k) GFI`` with ``k`` the number of sample moments of all groups.
"""

from __future__ import annotations

import numpy as np


def _rms(values: np.ndarray, count: float) -> float:
    return float(np.sqrt(np.sum(values**2) / count)) if len(values) else 0.0


def _continuous_group(s, sigma, mu, meanstructure: bool, rows, cols) -> dict[str, float]:
    p = len(sigma)
    sd_obs, sd_imp = np.sqrt(np.diag(s.cov)), np.sqrt(np.diag(sigma))
    raw = (s.cov - sigma)[rows, cols]
    bentler = ((s.cov - sigma) / np.outer(sd_obs, sd_obs))[rows, cols]
    bollen = (s.cov / np.outer(sd_obs, sd_obs) - sigma / np.outer(sd_imp, sd_imp))[rows, cols]
    variance = (np.diag(s.cov) - np.diag(sigma)) / np.diag(s.cov)
    off = rows != cols
    out = {
        "rmr_nomean": _rms(raw, len(raw)),
        "srmr_bentler_nomean": _rms(bentler, len(raw)),
        "crmr_nomean": _rms(bollen, len(raw) - p),
        "srmr_mplus_nomean": _rms(np.concatenate([bollen[off], variance]), p * (p + 1) / 2),
    }
    if not meanstructure:
        return dict(
            out,
            rmr=out["rmr_nomean"],
            srmr_bentler=out["srmr_bentler_nomean"],
            crmr=out["crmr_nomean"],
            srmr_mplus=out["srmr_mplus_nomean"],
        )
    mean_raw = s.mean - mu
    mean_bollen = s.mean / sd_obs - mu / sd_imp
    return dict(
        out,
        rmr=_rms(np.concatenate([mean_raw, raw]), len(raw) + p),
        srmr_bentler=_rms(np.concatenate([mean_raw / sd_obs, bentler]), len(raw) + p),
        crmr=_rms(np.concatenate([mean_raw / sd_obs, bollen]), len(raw)),
        srmr_mplus=_rms(np.concatenate([bollen[off], mean_bollen, variance]), p * (p + 1) / 2 + p),
    )


def _categorical_group(residuals: np.ndarray, n_thresholds: int, p: int) -> dict[str, float]:
    th, cor = residuals[:n_thresholds], residuals[n_thresholds:]
    both = np.concatenate([cor, th])
    rmr, rmr_nomean = _rms(both, len(both) + p), _rms(cor, len(cor) + p)
    return {
        "rmr": rmr,
        "rmr_nomean": rmr_nomean,
        "srmr_bentler": rmr,
        "srmr_bentler_nomean": rmr_nomean,
        "crmr": _rms(both, len(both)),
        "crmr_nomean": _rms(cor, len(cor)),
        "srmr_mplus": np.nan,
        "srmr_mplus_nomean": np.nan,
    }


def _group_values(problem, x: np.ndarray, categorical: bool) -> list[dict[str, float]]:
    if categorical:
        return [
            _categorical_group(problem.residuals(x, g), len(s.thresholds), problem.model.p)
            for g, s in enumerate(problem.stats)
        ]
    model = problem.model
    rows, cols = model.vech_rows, model.vech_cols
    return [
        _continuous_group(s, sigma, mu, model.meanstructure, rows, cols)
        for s, (sigma, mu) in zip(problem.stats, model.implied(x))
    ]


def _sample_moments(problem, x: np.ndarray, categorical: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """(sample moments, implied moments) per group in lavaan's WLS.obs order."""
    if categorical:
        return [(s.moments, s.moments - problem.residuals(x, g)) for g, s in enumerate(problem.stats)]
    model, out = problem.model, []
    for s, (sigma, mu) in zip(problem.stats, model.implied(x)):
        obs, est = s.cov[model.vech_rows, model.vech_cols], sigma[model.vech_rows, model.vech_cols]
        if model.meanstructure:
            obs, est = np.concatenate([s.mean, obs]), np.concatenate([mu, est])
        out.append((obs, est))
    return out


def gfi_measures(problem, x: np.ndarray, categorical: bool, df: float) -> dict[str, float]:
    """GFI, AGFI and PGFI (lav_fit_gfi, lav_fit_agfi, lav_fit_pgfi)."""
    values, n_moments = [], 0
    for g, (obs, est) in enumerate(_sample_moments(problem, x, categorical)):
        values.append(1 - problem.weighted_square(x, g, obs - est) / problem.weighted_square(x, g, obs))
        n_moments += len(obs)
    gfi = float(problem.fractions @ np.array(values))
    agfi = 1 - n_moments / df * (1 - gfi) if df > 0 else 1.0
    return {"gfi": gfi, "agfi": float(agfi), "pgfi": float(df / n_moments * gfi)}


def residual_measures(problem, x: np.ndarray, options) -> dict[str, float]:
    """The RMR/SRMR/CRMR family of a fit (see the module docstring)."""
    groups = _group_values(problem, x, options.categorical)
    out = {key: float(problem.fractions @ np.array([g[key] for g in groups])) for key in groups[0]}
    out = {k: (np.nan if options.categorical and k.startswith("srmr_mplus") else v) for k, v in out.items()}
    srmr = out["srmr_bentler_nomean"] if options.categorical else out["srmr_bentler"]
    order = (
        "rmr",
        "rmr_nomean",
        "srmr",
        "srmr_bentler",
        "srmr_bentler_nomean",
        "crmr",
        "crmr_nomean",
        "srmr_mplus",
        "srmr_mplus_nomean",
    )
    return {key: srmr if key == "srmr" else out[key] for key in order}
