"""Standardised solutions as lavaan's standardizedSolution(type = "std.lv" / "std.all", cov.std = TRUE).

std.lv scales latent variables to unit (total) variance; std.all also scales observed variables by their
model-implied standard deviations. With cov.std = TRUE a covariance is divided by the square roots of the two
variances it is a residual of (Theta or Psi diagonal), so residual covariances become residual correlations.
"""

from __future__ import annotations

import numpy as np


def _group_scales(model, x, group):
    mats = model.matrices(x, group)
    sd_lv = np.sqrt(np.abs(np.diag(mats.lv_cov())))
    sd_ov = np.sqrt(np.abs(np.diag(mats.sigma())))
    return mats, sd_lv, sd_ov


def standardize(
    rows, est: np.ndarray, model, x: np.ndarray, ov: dict, lv: dict, latent: set
) -> tuple[np.ndarray, np.ndarray]:
    """(std_lv, std_all) for parameter rows (lhs, op, rhs, group: DataFrame or arrays) with values ``est`` at ``x``.

    ``lv`` indexes the LISREL latent vector (latent variables and regression phantoms); ``latent`` holds the
    true latent variables: std.lv rescales only those, std.all also the observed variables.
    """
    std_lv = np.full(len(est), np.nan)
    std_all = np.full(len(est), np.nan)
    scales = {g: _group_scales(model, x, g) for g in set(rows["group"])}
    for k, (lhs, op, rhs, g) in enumerate(zip(rows["lhs"], rows["op"], rows["rhs"], rows["group"])):
        mats, sd_lv, sd_ov = scales[g]

        def s_lv(name: str, sd_lv: np.ndarray = sd_lv) -> float:  # this group's SDs bound
            return sd_lv[lv[name]] if name in latent else 1.0

        def s_all(name: str, sd_lv: np.ndarray = sd_lv, sd_ov: np.ndarray = sd_ov) -> float:
            return sd_lv[lv[name]] if name in latent else sd_ov[ov[name]]

        value = est[k]
        if op == "=~":
            std_lv[k], std_all[k] = value * s_lv(lhs) / s_lv(rhs), value * s_all(lhs) / s_all(rhs)
        elif op == "~":
            std_lv[k], std_all[k] = value * s_lv(rhs) / s_lv(lhs), value * s_all(rhs) / s_all(lhs)
        elif op == "~1":
            std_lv[k], std_all[k] = value / s_lv(lhs), value / s_all(lhs)
        elif op in ("|", "~*~"):  # ordinal items' thresholds (divided by the latent response's SD), scaling factors
            std_lv[k], std_all[k] = value, value / s_all(lhs) if op == "|" else value * s_all(lhs)
        elif lhs == rhs:
            std_lv[k], std_all[k] = value / s_lv(lhs) ** 2, value / s_all(lhs) ** 2
        else:
            std_lv[k], std_all[k] = _covariance(value, lhs, rhs, mats, ov, lv, latent)
    return std_lv, std_all


def _covariance(value, lhs, rhs, mats, ov, lv, latent) -> tuple[float, float]:
    """cov.std = TRUE: divide by the square roots of the residual (Theta) or latent (Psi) variances."""
    if lhs in lv:
        scale = np.sqrt(abs(mats.psi[lv[lhs], lv[lhs]] * mats.psi[lv[rhs], lv[rhs]]))
        return (value / scale if lhs in latent else value), value / scale
    scale = np.sqrt(abs(mats.theta[ov[lhs], ov[lhs]] * mats.theta[ov[rhs], ov[rhs]]))
    return value, value / scale
