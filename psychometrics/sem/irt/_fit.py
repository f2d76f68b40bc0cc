"""Model fit: the S-X2 item fit statistic and the M2 limited-information test with RMSEA_2.

Both need complete data (as mirt's ``itemfit`` and ``M2`` without imputation) and one group.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import optimize, stats

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
            new[:, k : k + dist.shape[1]] += dist * probs[j, :, k : k + 1]
        dist = new
    return dist


def _expected_table(probs, weights, j: int, n_categories) -> np.ndarray:
    """P(Y_j = k | S = s) for s = 0..S (rows; NaN where impossible), Orlando & Thissen (2000) eq. 6."""
    full = weights @ _sum_score_distribution(probs)  # P(S = s)
    rest = _sum_score_distribution(probs, skip=j)  # (Q, S_-j + 1)
    n_scores = len(full)
    table = np.full((n_scores, n_categories[j]), np.nan)
    for k in range(n_categories[j]):
        joint = weights @ (probs[j, :, k : k + 1] * rest)  # P(Y_j = k, S_-j = s - k)
        table[k : k + rest.shape[1], k] = joint / full[k : k + rest.shape[1]]
    return table


def _merge_rows(observed, expected, source: int, target: int):
    observed[target] += observed[source]
    expected[target] += expected[source]
    keep = np.arange(len(observed)) != source
    return observed[keep], expected[keep]


def _collapse_within_rows(observed, expected, flagged, mincell):
    """Polytomous items: in the flagged rows, merge the smallest cell into its smaller neighbour until every cell
    reaches ``mincell``."""
    n_cat = expected.shape[1]
    for i in np.flatnonzero(flagged):
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
    observed, expected = np.array(observed, dtype=float), np.nan_to_num(expected)  # copies: merged in place below
    if impossible.size:  # the first half of the incomplete rows lie at the top, the rest at the bottom
        top, bottom = impossible[: impossible.size // 2], impossible[impossible.size // 2 :]
        for rows, target in ((top, top.max() + 1), (bottom, bottom.min() - 1)):
            expected[target] += expected[rows].sum(axis=0)
            observed[target] += observed[rows].sum(axis=0)
        keep = np.setdiff1d(np.arange(len(expected)), impossible)
        observed, expected = observed[keep], expected[keep]
    nonempty = observed.sum(axis=1) > 0
    observed, expected = observed[nonempty], expected[nonempty]
    # mirt flags the rows with a small cell here, before merging single-respondent rows, and then reads the flags
    # by row position in the merged table (utils.R collapseCells); the same is done here so that S-X2 agrees
    small_before_merge: np.ndarray = np.asarray((expected < mincell).any(axis=1))
    i = 0
    while i < len(observed) - 1:  # a row with a single respondent joins the next row
        if observed[i].sum() == 1:
            observed, expected = _merge_rows(observed, expected, i, i + 1)
            continue
        i += 1
    if len(observed) > 1 and observed[-1].sum() == 1:
        observed, expected = _merge_rows(observed, expected, len(observed) - 1, len(observed) - 2)
    if expected.shape[1] > 2:
        flagged = small_before_merge[: len(expected)]
        observed, expected = _collapse_within_rows(observed, expected, flagged, mincell)
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
    """S-X2 item fit (Orlando & Thissen 2000, 2003; Kang & Chen 2008 for graded items): observed vs expected
    category counts per summed score (the extreme scores left out).

    Expected proportions P(Y_j = k | S = s) come from the Lord-Wingersky recursion on the quadrature grid; cells
    are collapsed as mirt's ``itemfit`` does (``mincell = 1``, its ``collapseCells``: impossible rows into their
    neighbours, single-respondent rows forward, small cells within rows, rare last categories, then small rows into
    a neighbour). ``df`` = cells with an expected count - score groups - the item's estimated parameters - the
    latent distribution's. Columns ``s_x2``, ``df``, ``pvalue``, ``rmsea`` (mirt's ``RMSEA.S_X2``). Equivalent R:
    ``mirt::itemfit(mod, "S_X2")``.
    """
    _check_fit_input(result, "item_fit (S-X2)")
    data, pmap = result._data, result._problem.pmap
    probs, weights = _grid(result)
    totals = data.codes.sum(axis=1)
    n_obs = data.n_obs
    latent_free = int(pmap.matrix[pmap.n_item_full :].any(axis=1).sum())
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
        own = int(pmap.matrix[j * pmap.k_max : (j + 1) * pmap.k_max].any(axis=1).sum())
        df = max(int(cells.sum()) - len(e) - own - latent_free, 0)
        statistic = statistic if df > 0 else np.nan
        p = float(stats.chi2.sf(statistic, df)) if df > 0 else np.nan
        rmsea = np.sqrt(max(statistic / df - 1, 0) / (n_obs - 1)) if df > 0 else np.nan
        rows.append([statistic, df, rmsea, p])
    table = pd.DataFrame(rows, index=pd.Index(data.items, name="item"), columns=["s_x2", "df", "rmsea", "pvalue"])
    return TableResult(table=table)


# -------------------------------------------------------------------------------------------------------- M2

M2_TYPES = ("M2*", "M2", "C2")


def _statistics(n_categories: np.ndarray, k_max: int, kind: str):
    """The moments M2 compares, each a product over one or two items of a score of the item's category.

    Returns ``items`` (S, 2; -1 where a moment has one item) and ``scores`` (S, 2, Kmax). Univariate moments are
    the category indicators k >= 1 ("M2", "C2") or the item scores 0..K-1 ("M2*"); bivariate moments (i < j) are
    the products of the indicators of k >= 1 and l >= 1 ("M2") or of the item scores ("M2*", "C2").
    """
    item_score = [np.pad(np.arange(n, dtype=float), (0, k_max - n)) for n in n_categories]
    indicators = [[np.eye(k_max)[k] for k in range(1, n)] for n in n_categories]
    none = np.zeros(k_max)
    items, scores = [], []
    for j in range(len(n_categories)):
        for score in indicators[j] if kind != "M2*" else [item_score[j]]:
            items.append((j, -1))
            scores.append((score, none))
    for i in range(len(n_categories)):
        for j in range(i + 1, len(n_categories)):
            pairs = (
                [(a, b) for a in indicators[i] for b in indicators[j]]
                if kind == "M2"
                else [(item_score[i], item_score[j])]
            )
            items.extend([(i, j)] * len(pairs))
            scores.extend(pairs)
    return np.array(items), np.array(scores)


def _slot_factor(probs, items, scores, slot: int) -> np.ndarray:
    """E[score(Y_item) | theta_q] of one slot of every moment, (S, Q); 1 where the slot is empty."""
    item = items[:, slot]
    factor = np.einsum("sqk,sk->sq", probs[np.maximum(item, 0)], scores[:, slot])
    return np.where((item >= 0)[:, None], factor, 1.0)


def _moment_curves(probs, items, scores) -> np.ndarray:
    """E[moment | theta_q], (S, Q): the product of its slots by local independence."""
    return _slot_factor(probs, items, scores, 0) * _slot_factor(probs, items, scores, 1)


def _pair_curves(probs, items, scores, a, b) -> np.ndarray:
    """E[moment_a * moment_b | theta_q] for index arrays a, b: an item in both contributes E[score_a * score_b]."""
    value = np.ones((len(a), probs.shape[1]))
    for slot in range(2):  # A's items, each with B's score of the same item multiplied in
        item = items[a, slot]
        score = scores[a, slot].copy()
        for other in range(2):
            same = (items[b, other] == item) & (item >= 0)
            score = np.where(same[:, None], score * scores[b, other], score)
        factor = np.einsum("sqk,sk->sq", probs[np.maximum(item, 0)], score)
        value *= np.where((item >= 0)[:, None], factor, 1.0)
    for slot in range(2):  # B's items that A does not contain
        item = items[b, slot]
        extra = (item >= 0) & (item != items[a, 0]) & (item != items[a, 1])
        factor = np.einsum("sqk,sk->sq", probs[np.maximum(item, 0)], scores[b, slot])
        value *= np.where(extra[:, None], factor, 1.0)
    return value


def _moment_covariance(probs, weights, items, scores, model, chunk: int = 20000) -> np.ndarray:
    """Xi: the model covariance matrix of the moments (one response's), from one product over the quadrature,
    recomputed where two moments share an item."""
    curves = _moment_curves(probs, items, scores)
    joint = (curves * weights) @ curves.T
    member = np.zeros((len(items), probs.shape[0]))
    for slot in range(2):
        valid = items[:, slot] >= 0
        member[np.flatnonzero(valid), items[valid, slot]] = 1.0
    a_idx, b_idx = np.nonzero(member @ member.T > 0)
    for begin in range(0, len(a_idx), chunk):
        a, b = a_idx[begin : begin + chunk], b_idx[begin : begin + chunk]
        joint[a, b] = _pair_curves(probs, items, scores, a, b) @ weights
    return joint - np.outer(model, model)


def _observed_moments(data, items, scores) -> np.ndarray:
    """Sample means of the moments over the respondents (response patterns weighted by their counts)."""
    onehot = data.onehot()
    value = np.ones((len(data.patterns), len(items)))
    for slot in range(2):
        weights = np.zeros((onehot.shape[1], len(items)))
        valid = np.flatnonzero(items[:, slot] >= 0)
        for k in range(data.k_max):
            weights[items[valid, slot] * data.k_max + k, valid] = scores[valid, slot, k]
        value *= np.where(items[:, slot] >= 0, onehot @ weights, 1.0)
    return data.counts @ value / data.counts.sum()


def _model_moments(result, free: np.ndarray, items, scores) -> np.ndarray:
    pmap, theta = result._problem.pmap, result._problem.theta
    params, eta = pmap.split(pmap.full(free))
    probs = category_probabilities(params[0], theta, result._data.n_categories)
    return _moment_curves(probs, items, scores) @ latent_weights(eta[0], theta)


def _moment_jacobian(result, items, scores, step: float = 1e-6) -> np.ndarray:
    """Delta: derivatives of the model moments in the free parameters (central differences)."""
    free = result._fit.free
    return np.column_stack(
        [
            (
                _model_moments(result, free + step * unit, items, scores)
                - _model_moments(result, free - step * unit, items, scores)
            )
            / (2 * step)
            for unit in np.eye(len(free))
        ]
    )


def _srmsr(data, probs, weights) -> float:
    """mirt's SRMSR: root mean square of observed minus model correlations of the item scores (i < j)."""
    scores = np.arange(probs.shape[2], dtype=float)
    mean_q, square_q = probs @ scores, probs @ scores**2  # E[Y_j | theta_q], E[Y_j^2 | theta_q]
    mean = mean_q @ weights
    cov_model = (mean_q * weights) @ mean_q.T - np.outer(mean, mean)
    np.fill_diagonal(cov_model, square_q @ weights - mean**2)
    observed = np.corrcoef(data.codes, rowvar=False)
    sd = np.sqrt(np.diag(cov_model))
    lower = np.tril_indices(len(mean), -1)
    return float(np.sqrt(np.mean((observed - cov_model / np.outer(sd, sd))[lower] ** 2)))


def _noncentrality_root(statistic: float, df: int, probability: float, upper: float) -> float:
    """The noncentrality lambda in [0, upper] with P(chi2(df, lambda) <= statistic) = probability; 0 where there is
    none (mirt's ``uniroot`` failing)."""

    def gap(lam):
        cdf = stats.chi2.cdf(statistic, df) if lam == 0 else stats.ncx2.cdf(statistic, df, lam)
        return cdf - probability

    if gap(0.0) * gap(upper) > 0:
        return 0.0
    return float(optimize.brentq(gap, 0.0, upper, xtol=1e-12))


def _rmsea_interval(statistic: float, df: int, n_obs: int, level: float = 0.9) -> tuple[float, float]:
    """mirt's ``RMSEA.CI``: sqrt(lambda / (N df)) at the noncentralities that put the statistic at the
    (1 + level)/2 and (1 - level)/2 quantiles (Browne & Cudeck 1993)."""
    tail = (1 - level) / 2
    low = _noncentrality_root(statistic, df, 1 - tail, statistic)
    high = _noncentrality_root(statistic, df, tail, max(n_obs, 5 * statistic))
    return float(np.sqrt(low / (n_obs * df))), float(np.sqrt(high / (n_obs * df)))


def m2(result, type: str = "M2*") -> Result:  # noqa: A002 - mirt's argument name
    """The M2-type limited-information goodness-of-fit statistics of mirt's ``M2``.

    ``M2 = N e' C e`` with ``e`` = observed - model moments, ``C = Xi^-1 - Xi^-1 D (D' Xi^-1 D)^-1 D' Xi^-1``,
    ``Xi`` the model covariance matrix of the moments and ``D`` their derivatives in the free parameters (central
    differences), all evaluated at the estimates (Maydeu-Olivares & Joe 2005, 2006); ``df`` = moments - free
    parameters; RMSEA_2 = sqrt(max(M2/df - 1, 0) / (N - 1)) with mirt's 90% interval (``rmsea_2_lower``,
    ``rmsea_2_upper``); SRMSR as mirt's (item-score correlations).

    ``type``: ``"M2*"`` (mirt's default): item-score means and cross-products (Maydeu-Olivares & Joe 2006's
    statistic on the collapsed margins, Cai & Hansen 2013); ``"M2"``: all univariate and bivariate category
    margins (k >= 1), which mirt computes for binary items only; ``"C2"`` (Cai & Monroe 2014): univariate category
    margins and item-score cross-products. For binary items the three coincide. Unlike mirt, ``D`` includes the
    estimated latent variance of the Rasch model (mirt leaves group parameters out of ``D`` but counts them in
    ``df``). Equivalent R: ``mirt::M2(mod, type = "M2*" | "M2" | "C2")``.
    """
    if type not in M2_TYPES:
        raise ModelError(f"type={type!r} is not an M2 statistic; use one of {', '.join(M2_TYPES)}.")
    _check_fit_input(result, "m2")
    data = result._data
    items, scores = _statistics(data.n_categories, data.k_max, type)
    df = len(items) - len(result._fit.free)
    if df <= 0:
        raise ModelError(
            f"{type} has {df} degrees of freedom ({len(items)} moments, {len(result._fit.free)} parameters); "
            "the model has too many parameters for this statistic. For graded items try type='C2' (more moments) "
            "or more items."
        )
    probs, weights = _grid(result)
    model = _moment_curves(probs, items, scores) @ weights
    xi = _moment_covariance(probs, weights, items, scores, model)
    delta = _moment_jacobian(result, items, scores)
    residual = _observed_moments(data, items, scores) - model
    xi_inv_e, xi_inv_d = np.linalg.solve(xi, residual), np.linalg.solve(xi, delta)
    projected = delta.T @ xi_inv_e
    statistic = data.n_obs * float(residual @ xi_inv_e - projected @ np.linalg.solve(delta.T @ xi_inv_d, projected))
    rmsea = float(np.sqrt(max(statistic / df - 1, 0.0) / (data.n_obs - 1)))
    lower, upper = _rmsea_interval(statistic, df, data.n_obs)
    return M2Result(
        type=type,
        m2=statistic,
        df=df,
        pvalue=float(stats.chi2.sf(statistic, df)),
        rmsea_2=rmsea,
        rmsea_2_lower=lower,
        rmsea_2_upper=upper,
        srmsr=_srmsr(data, probs, weights),
    )


@dataclasses.dataclass(frozen=True, repr=False)
class M2Result(Result):
    """The M2-type statistic (``type``), its degrees of freedom, p-value, RMSEA_2 with its 90% interval, SRMSR."""

    type: str
    m2: float
    df: int
    pvalue: float
    rmsea_2: float
    rmsea_2_lower: float
    rmsea_2_upper: float
    srmsr: float
