"""``irt()`` and its result object."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..._results import Result, TableResult
from ..._typing import FloatOrArray
from ..._checks import label_list
from ...errors import DataError, ModelError
from . import _scores
from ._estimation import EStep, Fit, Problem, covariance, fit
from ._model import (
    ItemData,
    ParameterMap,
    build_map,
    moments_from_eta,
    prepare,
    start_values,
)

THETA_LIMIT = 6.0  # the quadrature grid spans [-6, 6], as mirt's default for one factor
WARM_EM_TOLERANCE = 0.1  # from a neighbouring model's estimates a few EM cycles suffice before Newton


@dataclasses.dataclass(frozen=True, repr=False)
class IRTResult(Result):
    """A unidimensional IRT model fitted by marginal maximum likelihood.

    ``items``: one row per item (per group and item in a multiple-group model) with the IRT parameters ``a`` and
    ``b`` (binary items) or ``b1``..``b{K-1}`` (graded items) of ``P(Y >= k) = 1 / (1 + exp(-a (theta - b_k)))``
    (ltm's ``IRT.param = TRUE``), the slope/intercept form ``slope``, ``intercept*`` of
    ``1 / (1 + exp(-(slope theta + intercept_k)))`` (mirt's ``coef``) and ``se_*`` standard errors from the observed
    information (b's by the delta method). ``groups``: mean and variance of the latent trait per group.
    """

    model: str
    items: pd.DataFrame
    groups: pd.DataFrame
    loglik: float
    aic: float
    bic: float
    n_obs: int
    n_parameters: int
    iterations: int
    quadrature: int
    _data: ItemData = dataclasses.field(repr=False, compare=False)
    _problem: Problem = dataclasses.field(repr=False, compare=False)
    _fit: Fit = dataclasses.field(repr=False, compare=False)
    _estep: EStep = dataclasses.field(repr=False, compare=False)
    _covariance: np.ndarray = dataclasses.field(repr=False, compare=False)

    # ------------------------------------------------------------------------------------------ parameters

    def _group_index(self, group) -> int:
        names = self._data.group_names
        if group is None:
            return 0
        if group not in names:
            raise DataError(f"group {group!r} is not in the model; groups are {names}.")
        return names.index(group)

    def _params(self, group=None) -> np.ndarray:
        items, _ = self._problem.pmap.split(self._fit.full)
        return items[self._group_index(group)]

    def _moments(self, g: int) -> tuple[float, float]:
        _, eta = self._problem.pmap.split(self._fit.full)
        return moments_from_eta(eta[g])

    # ----------------------------------------------------------------------------------------------- scores

    def scores(self, method: str = "eap") -> pd.DataFrame:
        """Theta and its standard error per respondent (index of the data).

        ``"eap"``: posterior mean and SD on the quadrature grid (mirt ``fscores(method = "EAP")``); ``"map"``:
        posterior mode and ``1 / sqrt(-d2 log posterior)`` (``fscores(method = "MAP")``), each under the
        respondent's group's latent normal density.
        """
        if method not in ("eap", "map"):
            raise ModelError(f"method={method!r} is not supported; choose 'eap' or 'map'.")
        data, theta = self._data, self._problem.theta
        n_patterns = len(data.patterns)
        estimate, se = np.empty(n_patterns), np.empty(n_patterns)
        for g in range(len(data.group_names)):
            rows = np.flatnonzero(data.pattern_group == g)
            mean, sd = _scores.eap(self._estep.posterior[g], theta)
            if method == "map":
                variance = self._moments(g)[1]
                mean, sd = _scores.map_scores(
                    self._params(data.group_names[g]),
                    data.patterns[rows],
                    data.n_categories,
                    self._moments(g)[0],
                    variance,
                    mean,
                )
            estimate[rows], se[rows] = mean, sd
        pick = data.respondent_pattern
        return pd.DataFrame({"theta": estimate[pick], "se": se[pick]}, index=data.index)

    def information(self, theta: FloatOrArray | None = None, group: Hashable | None = None) -> pd.DataFrame:
        """Item information (one column per item) and test information (``test``) at ``theta`` (default -4..4
        by 0.1), from the parameters of ``group`` (default: the first / only group). mirt's ``iteminfo``,
        ``testinfo``."""
        grid = np.round(np.arange(-4, 4.0001, 0.1), 10) if theta is None else np.atleast_1d(np.asarray(theta, float))
        info = _scores.item_information(self._params(group), grid, self._data.n_categories)
        frame = pd.DataFrame(info.T, index=pd.Index(grid, name="theta"), columns=self._data.items)
        frame["test"] = info.sum(axis=0)
        return frame

    def expected_score(self, theta: FloatOrArray | None = None, group: Hashable | None = None) -> pd.DataFrame:
        """Expected item scores on the items' own coding (one column per item) and their sum (``total``): the
        item and test characteristic curves (mirt's ``expected.item``, ``expected.test``)."""
        grid = np.round(np.arange(-4, 4.0001, 0.1), 10) if theta is None else np.atleast_1d(np.asarray(theta, float))
        scores = _scores.expected_scores(self._params(group), grid, self._data.n_categories, self._data.labels)
        frame = pd.DataFrame(scores.T, index=pd.Index(grid, name="theta"), columns=self._data.items)
        frame["total"] = scores.sum(axis=0)
        return frame

    def marginal_reliability(self, group: Hashable | None = None) -> float:
        """mirt's ``marginal_rxx``: the mean over N(0, 1) of I(theta) / (I(theta) + variance of theta)."""
        variance = self._moments(self._group_index(group))[1]
        return _scores.marginal_reliability(self._params(group), self._data.n_categories, variance)

    # ------------------------------------------------------------------------------------------------- fit

    def item_fit(self) -> TableResult:
        """S-X2 item fit (Orlando & Thissen 2000), one row per item; see :func:`._fit.s_x2`."""
        from ._fit import s_x2

        return s_x2(self)

    def m2(self, type: str = "M2*") -> Result:  # noqa: A002 - mirt's argument name
        """The M2-type limited-information statistic with RMSEA_2 and SRMSR (mirt's ``M2``); see
        :func:`._fit.m2` for ``type`` ("M2*", "M2", "C2")."""
        from ._fit import m2

        return m2(self, type)


def _items_table(data: ItemData, pmap: ParameterMap, full: np.ndarray, cov_full: np.ndarray) -> pd.DataFrame:
    items, _ = pmap.split(full)
    k_max, n_items = data.k_max, len(data.items)
    binary = k_max == 2
    b_names = ["b"] if binary else [f"b{k}" for k in range(1, k_max)]
    d_names = ["intercept"] if binary else [f"intercept{k}" for k in range(1, k_max)]
    rows, index = [], []
    se_full = np.sqrt(np.maximum(np.diag(cov_full), 0.0))
    for g, group in enumerate(data.group_names):
        for j, item in enumerate(data.items):
            start = (g * n_items + j) * k_max
            a, d = items[g, j, 0], items[g, j, 1:]
            n_b = data.n_categories[j] - 1
            b = np.full(k_max - 1, np.nan)
            se_b = np.full(k_max - 1, np.nan)
            b[:n_b] = -d[:n_b] / a
            for k in range(n_b):  # delta method for b = -d / a
                grad = np.zeros(len(full))
                grad[start] = d[k] / a**2
                grad[start + 1 + k] = -1 / a
                se_b[k] = np.sqrt(grad @ cov_full @ grad)
            se_d = np.where(np.arange(k_max - 1) < n_b, se_full[start + 1 : start + k_max], np.nan)
            intercepts = np.where(np.arange(k_max - 1) < n_b, d, np.nan)
            se_a = se_full[start] if pmap.matrix[start].any() else np.nan
            rows.append([a, *b, a, *intercepts, se_a, *se_b, se_a, *se_d])
            index.append(item if len(data.group_names) == 1 else (group, item))
    columns = [
        "a",
        *b_names,
        "slope",
        *d_names,
        "se_a",
        *[f"se_{n}" for n in b_names],
        "se_slope",
        *[f"se_{n}" for n in d_names],
    ]
    frame_index = (
        pd.Index(index, name="item")
        if len(data.group_names) == 1
        else pd.MultiIndex.from_tuples(index, names=["group", "item"])
    )
    return pd.DataFrame(rows, index=frame_index, columns=columns)


def _groups_table(data: ItemData, pmap: ParameterMap, full: np.ndarray, cov_full: np.ndarray) -> pd.DataFrame:
    _, eta = pmap.split(full)
    rows = []
    for g in range(len(data.group_names)):
        e1, e2 = eta[g]
        start = pmap.n_item_full + 2 * g
        block = cov_full[start : start + 2, start : start + 2]
        jac = np.array([[-1 / (2 * e2), e1 / (2 * e2**2)], [0.0, 1 / (2 * e2**2)]])  # d(mean, var) / d(eta)
        se = np.sqrt(np.maximum(np.diag(jac @ block @ jac.T), 0.0))
        fixed = cast(np.ndarray, ~pmap.matrix[start : start + 2].any(axis=1))  # a 2-D any(axis=1): an array
        se_mean = np.nan if fixed[0] else se[0]
        se_var = np.nan if fixed[1] else se[1]
        mean, variance = moments_from_eta(eta[g])
        rows.append([mean, variance, se_mean, se_var, int((data.group_codes == g).sum())])
    return pd.DataFrame(
        rows,
        index=pd.Index(data.group_names, name="group"),
        columns=["mean", "variance", "se_mean", "se_variance", "n_obs"],
    )


def _anchor_indices(data: ItemData, anchors, group) -> list[int]:
    if anchors is None:
        return []
    if group is None:
        raise ModelError("anchors need groups: pass group=... (a column of data or one label per row).")
    names = (
        data.items
        if isinstance(anchors, str) and anchors == "all"
        else label_list(anchors, name="anchors", error=ModelError)
    )
    unknown = [name for name in names if name not in data.items]
    if unknown:
        raise ModelError(f"anchor item(s) {unknown} are not items of the data; items are {data.items}.")
    return [data.items.index(name) for name in names]


def _check_group_categories(data: ItemData, equal: list[int]) -> None:
    """An item estimated separately in a group needs every category observed in that group."""
    if len(data.group_names) == 1:
        return
    for j, n_cat in enumerate(data.n_categories):
        if j in equal:
            continue
        for g, name in enumerate(data.group_names):
            answers = data.codes[(data.group_codes == g) & (data.codes[:, j] >= 0), j]
            unused = np.setdiff1d(np.arange(n_cat), answers)
            if unused.size:
                raise DataError(
                    f"item {data.items[j]!r} never takes the value {data.labels[j][unused[0]]} in group {name!r}, "
                    "so its parameters cannot be estimated in that group. Make the item an anchor (equal across "
                    "groups) or merge the sparse category with a neighbour."
                )


def fit_model(
    data: ItemData,
    model: str,
    equal: list[int],
    free_latent: bool,
    quadrature: int,
    start=None,
    standard_errors: bool = True,
):
    """Fit one model to prepared data; returns the problem and the fit."""
    pmap = build_map(data, model, equal, free_latent)
    theta = np.linspace(-THETA_LIMIT, THETA_LIMIT, quadrature)
    problem = Problem(data, pmap, theta)
    if start is None:
        return problem, fit(problem, start_values(data, pmap), standard_errors)
    return problem, fit(problem, start, standard_errors, em_tolerance=WARM_EM_TOLERANCE)


def irt(
    data: pd.DataFrame,
    model: str = "grm",
    group: str | npt.ArrayLike | None = None,
    anchors: str | Sequence[str] | None = None,
    quadrature: int = 61,
) -> IRTResult:
    """Fit a unidimensional logistic IRT model by marginal maximum likelihood.

    Parameters
    ----------
    data : DataFrame
        Respondents x items, integer-coded ordered categories (binary items 0/1). Missing answers (NaN) are
        skipped in the likelihood (missing at random), as mirt does.
    model : {"grm", "2pl", "1pl", "rasch"}
        ``"grm"``: Samejima's graded response model (binary items are 2PL items); ``"2pl"``: binary items with
        their own slopes; ``"1pl"``: one common slope, theta ~ N(0, 1) (ltm's ``rasch``); ``"rasch"``: slopes
        fixed to 1 and the latent variance estimated (mirt's ``itemtype = "Rasch"``).
    group : str or array-like, optional
        A column of ``data`` or one label per row: a multiple-group model (first group in sorted order is the
        reference, N(0, 1)).
    anchors : list of item names or "all", optional
        Items whose parameters are equal across groups; with anchors the mean and variance of every other group
        are estimated. Without anchors every group is fitted separately with N(0, 1).
    quadrature : int
        Number of fixed quadrature nodes on [-6, 6] (mirt's default 61).

    Returns
    -------
    IRTResult
        ``items``, ``groups``, ``loglik``, ``aic``, ``bic`` and the methods ``scores``, ``information``,
        ``expected_score``, ``marginal_reliability``, ``item_fit`` and ``m2``.

    Notes
    -----
    Bock & Aitkin (1981) EM on the fixed grid, then Newton steps with Louis's (1982) observed information, whose
    inverse gives the standard errors. Equivalent R: ``mirt::mirt(data, 1, itemtype = "graded" | "2PL" |
    "Rasch", SE = TRUE)``, ``mirt::multipleGroup(data, 1, group, invariance = c(anchors, "free_means",
    "free_var"))``; ``ltm::grm``, ``ltm::ltm(data ~ z1)``, ``ltm::rasch`` with ``IRT.param = TRUE`` for ``a``, ``b``.

    References
    ----------
    Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item parameters: Application of an EM algorithm. Psychometrika, 46, 443-459.
    Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores. Psychometrika Monograph Supplement, 17.

    Examples
    --------
    >>> import psychometrics as pm
    >>> res = pm.irt(pm.datasets.load("lsat6"), model="2pl")
    >>> round(res.loglik, 3)
    -2466.653
    >>> res.items.loc["Q1", ["a", "b"]].round(3).tolist()
    [0.826, -3.359]
    """
    if not isinstance(quadrature, (int, np.integer)) or quadrature < 5:
        raise ModelError(f"quadrature={quadrature!r} must be a whole number of nodes, at least 5 (mirt uses 61).")
    prepared = prepare(data, group, model)
    equal = _anchor_indices(prepared, anchors, group)
    _check_group_categories(prepared, equal)
    problem, fitted = fit_model(prepared, model, equal, bool(equal), int(quadrature))
    pmap = problem.pmap
    cov_free = covariance(fitted.hessian, pmap.names)
    cov_full = pmap.matrix @ cov_free @ pmap.matrix.T
    n_par = len(fitted.free)
    return IRTResult(
        model=model,
        items=_items_table(prepared, pmap, fitted.full, cov_full),
        groups=_groups_table(prepared, pmap, fitted.full, cov_full),
        loglik=fitted.loglik,
        aic=-2 * fitted.loglik + 2 * n_par,
        bic=-2 * fitted.loglik + n_par * np.log(prepared.n_obs),
        n_obs=prepared.n_obs,
        n_parameters=n_par,
        iterations=fitted.iterations,
        quadrature=int(quadrature),
        _data=prepared,
        _problem=problem,
        _fit=fitted,
        _estep=problem.estep(fitted.full),
        _covariance=cov_free,
    )
