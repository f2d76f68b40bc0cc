"""Starting values in the spirit of lavaan's "simple" start.

Per factor, the first principal component of its indicators' correlations gives standardised loadings, rescaled
to the marker (or unit latent variance with std_lv); residual variances are the remaining observed variance;
latent and residual covariances, regressions and latent means start at 0; intercepts at the sample means. The
optimum does not depend on these values; they only need to be close enough for Fisher scoring.
"""

from __future__ import annotations

import numpy as np

from ._samplestats import SampleStats


def _factor_loadings(cov: np.ndarray, idx: list[int]) -> np.ndarray:
    """Standardised one-factor loadings of the indicators ``idx`` (first principal component, clipped)."""
    sd = np.sqrt(np.diag(cov)[idx])
    corr = cov[np.ix_(idx, idx)] / np.outer(sd, sd)
    if len(idx) == 1:
        return np.array([0.8])
    values, vectors = np.linalg.eigh(corr)
    vec = vectors[:, -1] * np.sign(vectors[0, -1] or 1.0)
    return np.clip(vec * np.sqrt(values[-1]), -0.95, 0.95)


def group_starts(table: dict, stats: SampleStats, ov: dict, std_lv: bool) -> np.ndarray:
    """Start value for every row of one group's table (its columns as arrays; fixed rows get their fixed value)."""
    lhs, op, rhs = table["lhs"].tolist(), table["op"].tolist(), table["rhs"].tolist()
    free = table["free"].astype(bool)
    ustart = table["ustart"].astype(float)
    start = np.where(free, np.nan, ustart)
    var = np.diag(stats.cov)
    communality = np.zeros(len(ov))
    loading_rows: dict[str, list[int]] = {}
    for k, (a, o, b) in enumerate(zip(lhs, op, rhs)):
        if o == "=~" and b in ov:
            loading_rows.setdefault(a, []).append(k)
    lv_var = {}
    for factor, rows in loading_rows.items():
        idx = [ov[rhs[k]] for k in rows]
        std = _factor_loadings(stats.cov, idx)
        raw = std * np.sqrt(var[idx])
        communality[idx] = np.maximum(communality[idx], std**2)
        markers = [pos for pos, k in enumerate(rows) if not free[k]]
        scale = 1.0
        if not std_lv and markers and raw[markers[0]] != 0 and ustart[rows[markers[0]]] != 0:
            scale = raw[markers[0]] / ustart[rows[markers[0]]]
        lv_var[factor] = scale**2
        for pos, k in enumerate(rows):
            if free[k]:
                start[k] = raw[pos] / scale
    for k in np.flatnonzero(free & np.isnan(start)).tolist():
        start[k] = _default_start(lhs[k], op[k], rhs[k], var, communality, ov, lv_var, stats)
    user = table["start"].astype(float)
    return np.where(np.isfinite(user) & free, user, start)


def _default_start(lhs, op, rhs, var, communality, ov, lv_var, stats) -> float:
    if op == "~~" and lhs == rhs:
        if lhs in ov:
            i = ov[lhs]
            return var[i] * max(1 - communality[i], 0.1) if communality[i] > 0 else var[i] / 2
        return lv_var.get(lhs, 0.05)
    if op == "~1" and lhs in ov:
        return stats.mean[ov[lhs]] if stats.mean is not None else 0.0
    if op == "=~":
        return 1.0
    return 0.0
