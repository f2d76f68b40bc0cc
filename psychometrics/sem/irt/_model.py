"""Data preparation, item response functions and the parameter map of the unidimensional IRT models.

Every item is a logistic graded response item (Samejima 1969) in the slope/intercept form of mirt:
``P(Y >= k | theta) = 1 / (1 + exp(-(a * theta + d_k)))`` for k = 1..K-1, so a binary item is the 2PL. The item
parameters of group g are stored padded as ``B[g, j] = (a_j, d_j1, ..., d_j,Kmax-1)``; slots past an item's own
categories are never used (their boundary probability is 0).

The latent density of group g on the fixed quadrature grid is the normal density normalised over the grid, written
as an exponential family: ``pi_q ∝ exp(eta1 * theta_q + eta2 * theta_q^2)``, ``mean = -eta1 / (2 eta2)``,
``variance = -1 / (2 eta2)`` (mirt, like this module, keeps the grid fixed and reweights it).

All parameters (items of every group, then the two eta of every group) form the *full* vector; the estimated
(*free*) parameters map onto it linearly, ``full = base + M @ free``, which expresses fixed values, the common slope of
the 1PL and the equality of anchor items across groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from ..._checks import as_item_frame, check_column_labels
from ...errors import DataError, ModelError

MODELS = ("grm", "2pl", "1pl", "rasch")
REFERENCE_ETA = np.array([0.0, -0.5])  # N(0, 1)


@dataclass(frozen=True)
class ItemData:
    """Respondents coded 0..K-1 (-1 missing), collapsed into unique response patterns per group."""

    items: list
    labels: list  # per item: the observed values of its categories, in order
    n_categories: np.ndarray  # (J,)
    codes: np.ndarray  # (n, J) int, -1 missing
    group_codes: np.ndarray  # (n,) int
    group_names: list
    patterns: np.ndarray  # (P, J) int
    pattern_group: np.ndarray  # (P,) int
    counts: np.ndarray  # (P,) float
    respondent_pattern: np.ndarray  # (n,) index into patterns
    index: pd.Index

    @property
    def n_obs(self) -> int:
        return len(self.codes)

    @property
    def k_max(self) -> int:
        return int(self.n_categories.max())

    @property
    def has_missing(self) -> bool:
        return bool((self.codes < 0).any())

    def onehot(self, patterns: np.ndarray | None = None) -> np.ndarray:
        """Indicator matrix (P, J * Kmax): column j * Kmax + k is 1 when item j was answered in category k."""
        patterns = self.patterns if patterns is None else patterns
        n_items, k_max = patterns.shape[1], self.k_max
        onehot = np.zeros((len(patterns), n_items * k_max))
        rows, cols = np.nonzero(patterns >= 0)
        onehot[rows, cols * k_max + patterns[rows, cols]] = 1.0
        return onehot


def _check_integers(frame: pd.DataFrame, values: np.ndarray) -> None:
    observed = ~np.isnan(values)
    fractional = observed & (values != np.round(np.where(observed, values, 0)))
    if fractional.any():
        i, j = np.argwhere(fractional)[0]
        raise DataError(
            f"item {frame.columns[j]!r} has the non-integer value {float(values[i, j])!r} (row {frame.index[i]!r}); IRT "
            "models need ordered categories coded as integers. Recode the item (e.g. round or bin it)."
        )


def _category_labels(frame: pd.DataFrame, values: np.ndarray) -> list:
    labels = []
    for j, column in enumerate(frame.columns):
        used = np.unique(values[~np.isnan(values[:, j]), j])
        full = np.arange(used[0], used[-1] + 1)
        missing = np.setdiff1d(full, used)
        if missing.size:
            raise DataError(
                f"item {column!r} uses the values {used.astype(int).tolist()} but never category "
                f"{int(missing[0])}; the graded model needs every category between the lowest and highest to be "
                "observed. Merge the empty category with a neighbour (recode) before the analysis."
            )
        labels.append(used.astype(int).tolist())
    return labels


def _group_codes(group, data: pd.DataFrame) -> tuple[np.ndarray, list, pd.DataFrame]:
    """Group codes 0..G-1 (first group = reference: the first in sorted order) and the item columns."""
    if group is None:
        return np.zeros(len(data), dtype=int), ["all"], data
    if isinstance(group, str) and group in data.columns:
        labels, data = data[group], data.drop(columns=[group])
    else:
        values = group.to_numpy() if isinstance(group, pd.Series) else np.asarray(group, dtype=object)
        if values.ndim != 1 or len(values) != len(data):
            raise DataError(
                f"group has {values.size} values but data has {len(data)} rows; pass one label per row "
                "or the name of a column of data."
            )
        labels = pd.Series(values, index=data.index)
    if labels.isna().any():
        row = labels.index[labels.isna().to_numpy()][0]
        raise DataError(f"group label is missing for row {row!r}; drop the row or give it a group.")
    names = sorted(labels.unique(), key=str)
    if len(names) < 2:
        raise DataError(f"group has a single value {names[0]!r}; a multiple-group model needs at least two groups.")
    codes = pd.Categorical(labels, categories=names).codes.astype(int)
    return codes, list(names), data


def prepare(data, group=None, model: str = "grm") -> ItemData:
    """Check the responses, code every item 0..K-1 and collapse identical response patterns (per group)."""
    if model not in MODELS:
        raise ModelError(f"model={model!r} is not supported; choose one of {', '.join(map(repr, MODELS))}.")
    if not isinstance(data, pd.DataFrame):
        data = as_item_frame(data)
    check_column_labels(data, "data")  # a repeated group column would be read as a frame
    group_codes, group_names, data = _group_codes(group, data)
    frame = as_item_frame(data, min_items=2, min_obs=3)
    values = frame.to_numpy()
    _check_integers(frame, values)
    labels = _category_labels(frame, values)
    n_categories = np.array([len(lab) for lab in labels])
    if model != "grm" and (n_categories > 2).any():
        j = int(np.argmax(n_categories > 2))
        raise ModelError(
            f"model={model!r} is for binary items but item {frame.columns[j]!r} has {n_categories[j]} categories; "
            "use model='grm' for ordered items."
        )
    lowest = np.array([lab[0] for lab in labels], dtype=float)
    codes = np.where(np.isnan(values), -1, np.nan_to_num(values - lowest, nan=0.0)).astype(int)
    keyed = np.column_stack([group_codes, codes])
    unique, inverse, counts = np.unique(keyed, axis=0, return_inverse=True, return_counts=True)
    return ItemData(
        items=list(frame.columns),
        labels=labels,
        n_categories=n_categories,
        codes=codes,
        group_codes=group_codes,
        group_names=group_names,
        patterns=unique[:, 1:],
        pattern_group=unique[:, 0],
        counts=counts.astype(float),
        respondent_pattern=inverse.ravel(),
        index=frame.index,
    )


# ---------------------------------------------------------------------------------------------- item functions


def boundary_mask(n_categories: np.ndarray, k_max: int) -> np.ndarray:
    """(J, Kmax + 1) True where the boundary P(Y >= k) is a logistic curve (1 <= k < K_j)."""
    k = np.arange(k_max + 1)
    return (k >= 1) & (k[None, :] < n_categories[:, None])


def category_mask(n_categories: np.ndarray, k_max: int) -> np.ndarray:
    """(J, Kmax) True for the categories an item has."""
    return np.arange(k_max)[None, :] < n_categories[:, None]


def _logits(params: np.ndarray, theta: np.ndarray, n_categories: np.ndarray) -> np.ndarray:
    """a theta + d_k (J, Q, Kmax+1), with +inf for k = 0 and -inf for k >= K_j."""
    n_items, k_max = params.shape
    mask = boundary_mask(n_categories, k_max)
    intercepts = np.full((n_items, k_max + 1), -np.inf)
    intercepts[:, 0] = np.inf
    intercepts[:, 1:k_max] = np.where(mask[:, 1:k_max], params[:, 1:], -np.inf)
    slope = np.where(np.isfinite(intercepts), params[:, 0:1], 0.0)
    return slope[:, None, :] * theta[None, :, None] + intercepts[:, None, :]


def boundary_curves(params: np.ndarray, theta: np.ndarray, n_categories: np.ndarray):
    """Boundary curves P*_k (J, Q, Kmax+1) with P*_0 = 1 and P*_k = 0 for k >= K_j, and psi = P*(1 - P*)
    computed as expit(x) expit(-x), accurate in both tails."""
    logits = _logits(params, theta, n_categories)
    return expit(logits), expit(logits) * expit(-logits)


def category_probabilities(params: np.ndarray, theta: np.ndarray, n_categories: np.ndarray) -> np.ndarray:
    """P(Y_j = k | theta_q), shape (J, Q, Kmax); 0 for categories an item does not have.

    P*_k - P*_{k+1} = expit(x_k) expit(-x_{k+1}) (1 - exp(x_{k+1} - x_k)), free of cancellation when both
    boundaries are near 1 (steep items); negative when the intercepts are out of order.
    """
    logits = _logits(params, theta, n_categories)
    upper, lower = logits[:, :, :-1], logits[:, :, 1:]
    with np.errstate(invalid="ignore"):
        gap = np.where(np.isinf(upper) & np.isinf(lower), -np.inf, lower - upper)
    return expit(upper) * expit(-lower) * -np.expm1(gap)


def intercepts_ordered(params: np.ndarray, n_categories: np.ndarray) -> bool:
    """True when every item's intercepts decrease (d_1 > d_2 > ...), so that every P(Y = k) is positive."""
    steps = np.diff(params[:, 1:], axis=1)
    used = boundary_mask(n_categories, params.shape[1])[:, 2 : params.shape[1]]
    return bool(np.all(steps[used] < 0))


def probability_derivatives(params: np.ndarray, theta: np.ndarray, n_categories: np.ndarray):
    """P (J, Q, K), dP/dparam (J, Q, K, K) and d2P/dparam2 (J, Q, K, K, K); param 0 is a, param k is d_k.

    From dP*_k/da = theta psi_k, dP*_k/dd_k = psi_k and psi' = psi (1 - 2 P*) (Samejima 1969).
    """
    n_items, k_max = params.shape
    star, psi = boundary_curves(params, theta, n_categories)
    dpsi = psi * (1.0 - 2.0 * star)
    n_q = len(theta)
    # derivatives of the boundaries P*_k (k = 0..Kmax) with respect to (a, d_1..d_{Kmax-1})
    dstar = np.zeros((n_items, n_q, k_max + 1, k_max))
    d2star = np.zeros((n_items, n_q, k_max + 1, k_max, k_max))
    dstar[..., 0] = theta[None, :, None] * psi
    d2star[..., 0, 0] = theta[None, :, None] ** 2 * dpsi
    for k in range(1, k_max):
        dstar[:, :, k, k] = psi[:, :, k]
        d2star[:, :, k, 0, k] = d2star[:, :, k, k, 0] = theta[None, :] * dpsi[:, :, k]
        d2star[:, :, k, k, k] = dpsi[:, :, k]
    probs = category_probabilities(params, theta, n_categories)
    return probs, dstar[:, :, :-1] - dstar[:, :, 1:], d2star[:, :, :-1] - d2star[:, :, 1:]


def latent_weights(eta: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Normal density of natural parameters eta on the grid, normalised to sum 1."""
    log_w = eta[0] * theta + eta[1] * theta**2
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def eta_from_moments(mean: float, variance: float) -> np.ndarray:
    return np.array([mean / variance, -0.5 / variance])


def moments_from_eta(eta: np.ndarray) -> tuple[float, float]:
    return float(-eta[0] / (2 * eta[1])), float(-0.5 / eta[1])


# ------------------------------------------------------------------------------------------------ parameter map


@dataclass(frozen=True)
class ParameterMap:
    """``full = base + matrix @ free``; names label the free parameters."""

    base: np.ndarray
    matrix: np.ndarray
    names: list
    n_groups: int
    n_items: int
    k_max: int

    @property
    def n_item_full(self) -> int:
        return self.n_groups * self.n_items * self.k_max

    def split(self, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Item parameters (G, J, Kmax) and latent eta (G, 2) of a full vector."""
        items = full[: self.n_item_full].reshape(self.n_groups, self.n_items, self.k_max)
        return items, full[self.n_item_full :].reshape(self.n_groups, 2)

    def full(self, free: np.ndarray) -> np.ndarray:
        return self.base + self.matrix @ free


def build_map(data: ItemData, model: str, equal_items, free_latent: bool) -> ParameterMap:
    """The parameter map of ``model``; ``equal_items`` (item indices) share parameters across groups;
    ``free_latent`` frees the mean and variance of every group but the first."""
    n_groups, n_items, k_max = len(data.group_names), len(data.items), data.k_max
    n_item_full = n_groups * n_items * k_max
    base = np.zeros(n_item_full + 2 * n_groups)
    base[n_item_full:] = np.tile(REFERENCE_ETA, n_groups)
    keys: dict = {}
    rows: list[tuple[int, object]] = []
    equal = set(equal_items)
    for g in range(n_groups):
        for j in range(n_items):
            owner = "all" if j in equal else g
            offset = (g * n_items + j) * k_max
            if model == "rasch":
                base[offset] = 1.0
            else:
                slope_key = ("a", "all", "all" if equal else g) if model == "1pl" else ("a", j, owner)
                rows.append((offset, slope_key))
            for k in range(1, data.n_categories[j]):
                rows.append((offset + k, (f"d{k}" if data.n_categories[j] > 2 else "d", j, owner)))
    for g in range(n_groups):
        offset = n_item_full + 2 * g
        if g > 0 and free_latent:
            rows.append((offset, ("eta1", g)))
        if (g > 0 and free_latent) or model == "rasch":
            rows.append((offset + 1, ("eta2", g)))
    for _, key in rows:
        keys.setdefault(key, len(keys))
    matrix = np.zeros((len(base), len(keys)))
    for position, key in rows:
        matrix[position, keys[key]] = 1.0
    base[matrix.any(axis=1)] = 0.0  # a free parameter's value is its free coordinate
    return ParameterMap(base, matrix, list(keys), n_groups, n_items, k_max)


def start_values(data: ItemData, pmap: ParameterMap) -> np.ndarray:
    """Slopes 1, latent N(0, 1) and intercepts 1.2 logit P(Y >= k) from the pooled proportions (the marginal of a
    logistic item with slope 1 over N(0, 1) is close to a logistic curve in d / 1.2)."""
    full = pmap.base.copy()
    items, eta = pmap.split(full)
    eta[:] = REFERENCE_ETA
    observed = data.codes >= 0
    for j, n_cat in enumerate(data.n_categories):
        answers = data.codes[observed[:, j], j]
        at_least = np.array([(answers >= k).mean() for k in range(1, n_cat)])
        at_least = np.clip(at_least, 1e-3, 1 - 1e-3)
        items[:, j, 1:n_cat] = 1.2 * np.log(at_least / (1 - at_least))
        if pmap.matrix[(np.arange(pmap.n_groups) * pmap.n_items + j) * pmap.k_max].any():
            items[:, j, 0] = 1.0
    free, *_ = np.linalg.lstsq(pmap.matrix, full - pmap.base, rcond=None)
    return free
