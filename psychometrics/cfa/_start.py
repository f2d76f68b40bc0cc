"""Starting values in the spirit of lavaan's "simple" start.

Per factor, the first principal component of its indicators' correlations gives standardised loadings, rescaled
to the marker (or unit latent variance with std_lv); residual variances are the remaining observed variance;
latent and residual covariances, regressions and latent means start at 0; intercepts at the sample means. The
optimum does not depend on these values; they only need to be close enough for Fisher scoring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def group_starts(table: pd.DataFrame, stats: SampleStats, ov: dict, lv: dict, std_lv: bool) -> np.ndarray:
    """Start value for every row of one group's table (fixed rows get their fixed value)."""
    start = np.where(table["free"], np.nan, table["ustart"].to_numpy(float))
    var = np.diag(stats.cov)
    communality = np.zeros(len(ov))
    loadings = table[(table["op"] == "=~") & table["rhs"].isin(list(ov))]
    lv_var = {}
    for factor, rows in loadings.groupby("lhs", sort=False):
        idx = [ov[name] for name in rows["rhs"]]
        std = _factor_loadings(stats.cov, idx)
        raw = std * np.sqrt(var[idx])
        communality[idx] = np.maximum(communality[idx], std**2)
        marker = rows.index[~rows["free"].to_numpy()]
        if std_lv or not len(marker):
            scale = 1.0
        else:
            pos = list(rows.index).index(marker[0])
            scale = raw[pos] / rows.loc[marker[0], "ustart"] if raw[pos] != 0 else 1.0
        lv_var[factor] = scale**2
        positions = table.index.get_indexer(rows.index)
        free = rows["free"].to_numpy(bool)
        start[positions[free]] = (raw / scale)[free]
    for pos, row in enumerate(table.itertuples(index=False)):
        if row.free and np.isnan(start[pos]):
            start[pos] = _default_start(row, var, communality, ov, lv_var, stats)
    user = table["start"].to_numpy(float)
    return np.where(np.isfinite(user) & table["free"].to_numpy(bool), user, start)


def _default_start(row, var, communality, ov, lv_var, stats) -> float:
    if row.op == "~~" and row.lhs == row.rhs:
        if row.lhs in ov:
            i = ov[row.lhs]
            return var[i] * max(1 - communality[i], 0.1) if communality[i] > 0 else var[i] / 2
        return lv_var.get(row.lhs, 0.05)
    if row.op == "~1" and row.lhs in ov:
        return stats.mean[ov[row.lhs]] if stats.mean is not None else 0.0
    if row.op == "=~":
        return 1.0
    return 0.0
