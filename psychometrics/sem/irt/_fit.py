"""Model fit: the S-X2 item fit statistic and the M2 limited-information test with RMSEA_2.

Both need complete data (as mirt's ``itemfit`` and ``M2`` without imputation) and one group.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

from ..._results import Result, TableResult
from ...errors import DataError, ModelError
from ._model import category_probabilities, latent_weights

MINCELL = 1.0  # mirt's itemfit(mincell = 1)


def _check_fit_input(result, what: str) -> None:
    data = result._data
    if len(data.group_names) > 1:
        raise ModelError(f"{what} is implemented for single-group models; fit each group separately.")
    if data.has_missing:
        rows = int((data.codes < 0).any(axis=1).sum())
        raise DataError(
            f"{what} needs complete data but {rows} respondent(s) have missing answers; fit the model to the "
            "complete cases (data.dropna()) for this statistic."
        )


def _grid(result):
    problem = result._problem
    items, eta = problem.pmap.split(result._fit.full)
    probs = category_probabilities(items[0], problem.theta, result._data.n_categories)  # (J, Q, K)
    return probs, latent_weights(eta[0], problem.theta)


# ------------------------------------------------------------------------------------------------------ S-X2


def _sum_score_distribution(probs: np.ndarray, skip: int | None = None) -> np.ndarray:
    """Lord & Wingersky (1984) recursion: P(sum score = s | theta_q), (Q, S + 1), optionally without one item."""
    n_q = probs.shape[1]
    dist = np.ones((n_q, 1))
    for j in range(probs.shape[0]):
        if j == skip:
            continue
        n_cat = int(np.count_nonzero(probs[j].sum(axis=0) > 0))
        new = np.zeros((n_q, dist.shape[1] + n_cat - 1))
        for k in range(n_cat):
            new[:, k:k + dist.shape[1]] += dist * probs[j, :, k:k + 1]
        dist = new
    return dist


def _expected_table(probs, weights, j: int, n_categories) -> np.ndarray:
    """P(Y_j = k | S = s) for s = 0..S (rows; NaN where impossible), Orlando & Thissen (2000) eq. 6."""
    full = weights @ _sum_score_distribution(probs)  # P(S = s)
    rest = _sum_score_distribution(probs, skip=j)  # (Q, S_-j + 1)
    n_scores = len(full)
    table = np.full((n_scores, n_categories[j]), np.nan)
    for k in range(n_categories[j]):
        joint = weights @ (probs[j, :, k:k + 1] * rest)  # P(Y_j = k, S_-j = s - k)
        table[k:k + rest.shape[1], k] = joint / full[k:k + rest.shape[1]]
    return table


def _merge_rows(observed, expected, source: int, target: int):
    observed[target] += observed[source]
    expected[target] += expected[source]
    keep = np.arange(len(observed)) != source
    return observed[keep], expected[keep]


def _collapse_within_rows(observed, expected, mincell):
    """Polytomous items: in rows with a small expected cell, merge the smallest cell into its smaller neighbour."""
    n_cat = expected.shape[1]
    for i in range(len(expected)):
        if not np.any(expected[i] < mincell):
            continue
        e, o = list(expected[i]), list(observed[i])
        while len(e) > 2:
            smallest = len(e) - 1 - int(np.argmin(e[::-1]))
            if smallest == 0:
                pick = 1
            elif smallest == len(e) - 1:
                pick = len(e) - 2
            else:
                pick = smallest - 1 if e[smallest - 1] <= e[smallest + 1] else smallest + 1
            e[pick] += e[smallest]
            o[pick] += o[smallest]
            del e[smallest], o[smallest]
            if min(e) >= mincell:
                break
        expected[i] = e + [0.0] * (n_cat - len(e))
        observed[i] = o + [0.0] * (n_cat - len(o))
    return observed, expected


def _collapse_columns(observed, expected, mincell):
    """Merge a rare last category into the previous one, then drop categories expected in < 5% of the rows."""
    while expected.shape[1] > 2 and expected[:, -1].sum() < mincell * np.ceil(len(expected) * 0.1):
        observed = np.column_stack([observed[:, :-2], observed[:, -2] + observed[:, -1]])
        expected = np.column_stack([expected[:, :-2], expected[:, -2] + expected[:, -1]])
    keep = np.ones(expected.shape[1], dtype=bool)
    for c in range(expected.shape[1] - 1, 0, -1):
        if np.mean(expected[:, c] > 0) < 0.05:
            keep[c] = False
            expected[:, c - 1] += expected[:, c]
            observed[:, c - 1] += observed[:, c]
    return observed[:, keep], expected[:, keep]


def _collapse(observed: np.ndarray, expected: np.ndarray, mincell: float = MINCELL):
    """mirt's ``collapseCells``: merge sparse sum-score rows (and categories) until expected counts >= mincell."""
    impossible = np.flatnonzero(np.isnan(expected).any(axis=1))
    expected = np.nan_to_num(expected)
    if impossible.size:  # the first half of the incomplete rows lie at the top, the rest at the bottom
        top, bottom = impossible[: impossible.size // 2], impossible[impossible.size // 2:]
        for rows, target in ((top, top.max() + 1), (bottom, bottom.min() - 1)):
            expected[target] += expected[rows].sum(axis=0)
            observed[target] += observed[rows].sum(axis=0)
        keep = np.setdiff1d(np.arange(len(expected)), impossible)
        observed, expected = observed[keep], expected[keep]
    nonempty = observed.sum(axis=1) > 0
    observed, expected = observed[nonempty], expected[nonempty]
    i = 0
    while i < len(observed) - 1:  # a row with a single respondent joins the next row
        if observed[i].sum() == 1:
            observed, expected = _merge_rows(observed, expected, i, i + 1)
            continue
        i += 1
    if len(observed) > 1 and observed[-1].sum() == 1:
        observed, expected = _merge_rows(observed, expected, len(observed) - 1, len(observed) - 2)
    if expected.shape[1] > 2:
        observed, expected = _collapse_within_rows(observed, expected, mincell)
        observed, expected = _collapse_columns(observed, expected, mincell)
    small = (expected < mincell) & (expected != 0)
    while small.any() and len(expected) > 1:
        i = int(np.flatnonzero(small.any(axis=1))[0])
        if i == 0:
            target = 1
        elif i == len(expected) - 1:
            target = i - 1
        else:
            target = i - 1 if observed[i - 1].sum() <= observed[i + 1].sum() else i + 1
        observed, expected = _merge_rows(observed, expected, i, target)
        small = (expected < mincell) & (expected != 0)
    return observed, expected


def s_x2(result) -> TableResult:
    """S-X2 item fit (Orlando & Thissen 2000, 2003): observed vs expected category counts per summed score.

    Expected proportions come from the Lord-Wingersky recursion on the quadrature grid; sum-score groups are
    collapsed as mirt's ``itemfit`` does (``mincell = 1``). ``df`` = cells - score groups - the item's estimated
    parameters - the latent distribution's. Columns ``s_x2``, ``df``, ``pvalue``, ``rmsea`` (mirt's
    ``RMSEA.S_X2``). Equivalent R: ``mirt::itemfit(mod, "S_X2")``.
    """
    _check_fit_input(result, "item_fit (S-X2)")
    data, pmap = result._data, result._problem.pmap
    probs, weights = _grid(result)
    totals = data.codes.sum(axis=1)
    n_obs = data.n_obs
    latent_free = int(pmap.matrix[pmap.n_item_full:].any(axis=1).sum())
    rows = []
    for j in range(len(data.items)):
        n_cat = data.n_categories[j]
        n_scores = int(data.n_categories.sum() - len(data.items)) + 1
        observed = np.zeros((n_scores, n_cat))
        np.add.at(observed, (totals, data.codes[:, j]), 1.0)
        group_sizes = observed.sum(axis=1)
        expected = _expected_table(probs, weights, j, data.n_categories) * group_sizes[:, None]
        o, e = _collapse(observed[1:-1], expected[1:-1])
        cells = e > 0
        statistic = float(np.sum((o[cells] - e[cells]) ** 2 / e[cells]))
        own = int(pmap.matrix[j * pmap.k_max:(j + 1) * pmap.k_max].any(axis=1).sum())
        df = max(int(cells.sum()) - len(e) - own - latent_free, 0)
        statistic = statistic if df > 0 else np.nan
        p = float(stats.chi2.sf(statistic, df)) if df > 0 else np.nan
        rmsea = np.sqrt(max(statistic / df - 1, 0) / (n_obs - 1)) if df > 0 else np.nan
        rows.append([statistic, df, rmsea, p])
    table = pd.DataFrame(rows, index=pd.Index(data.items, name="item"), columns=["s_x2", "df", "rmsea", "pvalue"])
    return TableResult(table=table)


# -------------------------------------------------------------------------------------------------------- M2


def _events(n_categories: np.ndarray):
    """Univariate events (j, k >= 1) then bivariate events (i < j, k >= 1, l >= 1): item and category arrays."""
    items, cats = [], []
    for j, n_cat in enumerate(n_categories):
        for k in range(1, n_cat):
            items.append((j, -1))
            cats.append((k, 0))
    for i in range(len(n_categories)):
        for j in range(i + 1, len(n_categories)):
            for k in range(1, n_categories[i]):
                for m in range(1, n_categories[j]):
                    items.append((i, j))
                    cats.append((k, m))
    return np.array(items), np.array(cats)


def _event_curves(probs, items, cats) -> np.ndarray:
    """P(event | theta_q), (events, Q)."""
    first = probs[items[:, 0], :, cats[:, 0]]
    second = np.where((items[:, 1] >= 0)[:, None], probs[np.maximum(items[:, 1], 0), :, cats[:, 1]], 1.0)
    return first * second


def _moments(result, full: np.ndarray, items, cats) -> np.ndarray:
    pmap, theta = result._problem.pmap, result._problem.theta
    params, eta = pmap.split(full)
    probs = category_probabilities(params[0], theta, result._data.n_categories)
    return _event_curves(probs, items, cats) @ latent_weights(eta[0], theta)


def _joint_probabilities(probs, weights, items, cats, chunk: int = 20000) -> np.ndarray:
    """P(A and B) for every pair of events: one product over the quadrature, corrected where A and B share
    an item (the same category counts once, different categories never co-occur)."""
    curves = _event_curves(probs, items, cats)
    joint = (curves * weights) @ curves.T
    member = np.zeros((len(items), probs.shape[0]), dtype=bool)
    for slot in range(2):
        valid = items[:, slot] >= 0
        member[np.flatnonzero(valid), items[valid, slot]] = True
    a_idx, b_idx = np.nonzero(member.astype(float) @ member.T.astype(float) > 0)
    for start in range(0, len(a_idx), chunk):
        a, b = a_idx[start:start + chunk], b_idx[start:start + chunk]
        value = curves[a]
        possible = np.ones(len(a), dtype=bool)
        for slot in range(2):  # multiply in B's item-categories that A does not already contain
            item_b, cat_b = items[b, slot], cats[b, slot]
            in_a = (items[a, 0] == item_b) | (items[a, 1] == item_b)
            cat_in_a = np.where(items[a, 0] == item_b, cats[a, 0], cats[a, 1])
            possible &= ~((item_b >= 0) & in_a & (cat_in_a != cat_b))
            extra = (item_b >= 0) & ~in_a
            value = value * np.where(extra[:, None], probs[np.maximum(item_b, 0), :, cat_b], 1.0)
        joint[a, b] = np.where(possible, value @ weights, 0.0)
    return joint


def _observed_moments(data, items, cats) -> np.ndarray:
    onehot = data.onehot().reshape(len(data.patterns), len(data.items), data.k_max)
    first = onehot[:, items[:, 0], cats[:, 0]]
    second = np.where(items[:, 1] >= 0, onehot[:, np.maximum(items[:, 1], 0), cats[:, 1]], 1.0)
    return data.counts @ (first * second) / data.counts.sum()


def m2(result) -> Result:
    """M2 of Maydeu-Olivares & Joe (2005, 2006) on the univariate and bivariate margins (categories >= 1).

    ``M2 = N e' C e``, ``e`` = observed - model margins, ``C = Xi^-1 - Xi^-1 D (D' Xi^-1 D)^-1 D' Xi^-1`` with
    ``Xi`` the covariance matrix of the margins' indicators and ``D`` their derivatives in the free parameters
    (central differences); ``df`` = margins - free parameters; RMSEA_2 = sqrt(max(M2/df - 1, 0) / (N - 1)) as
    mirt's ``M2``. For binary items this is mirt's ``M2(mod)``; for graded items it is ``M2(mod, type = "M2")``
    (mirt's default for graded items, ``"M2*"``, uses item-score moments instead).
    """
    _check_fit_input(result, "m2")
    data, pmap = result._data, result._problem.pmap
    items, cats = _events(data.n_categories)
    probs, weights = _grid(result)
    model = _event_curves(probs, items, cats) @ weights
    xi = _joint_probabilities(probs, weights, items, cats) - np.outer(model, model)
    free = result._fit.free
    step = 1e-6
    delta = np.column_stack([
        (_moments(result, pmap.full(free + step * unit), items, cats)
         - _moments(result, pmap.full(free - step * unit), items, cats)) / (2 * step)
        for unit in np.eye(len(free))
    ])
    residual = _observed_moments(data, items, cats) - model
    xi_inv_e = np.linalg.solve(xi, residual)
    xi_inv_d = np.linalg.solve(xi, delta)
    projected = delta.T @ xi_inv_e
    statistic = data.n_obs * float(residual @ xi_inv_e - projected @ np.linalg.solve(delta.T @ xi_inv_d, projected))
    df = len(residual) - len(free)
    if df <= 0:
        raise ModelError(f"M2 has {df} degrees of freedom ({len(residual)} margins, {len(free)} parameters); "
                         "the model has too many parameters for a limited-information test.")
    rmsea = float(np.sqrt(max(statistic / df - 1, 0.0) / (data.n_obs - 1)))
    return M2Result(m2=statistic, df=df, pvalue=float(stats.chi2.sf(statistic, df)), rmsea_2=rmsea)


@dataclasses.dataclass(frozen=True, repr=False)
class M2Result(Result):
    """The M2 statistic, its degrees of freedom, p-value and RMSEA_2."""

    m2: float
    df: int
    pvalue: float
    rmsea_2: float
