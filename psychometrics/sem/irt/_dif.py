"""Differential item functioning by likelihood-ratio tests between multiple-group IRT models.

For every tested item j, the *constrained* model holds item j (and the anchors) equal across groups and the
*free* model estimates item j's parameters in every group; both estimate the mean and variance of every group but
the first. ``chisq = 2 (loglik_free - loglik_constrained)`` on ``(groups - 1) x (item j's parameters)`` degrees of
freedom (Thissen, Steinberg & Wainer 1993). Without anchors every other item is an anchor, so all items share one
constrained model: the all-equal baseline of mirt's ``DIF(multipleGroup(..., invariance = c(items, "free_means",
"free_var")), which.par, scheme = "add")``. P-values are adjusted for the number of items by Benjamini-Hochberg by
default (Thissen, Steinberg & Kuang 2002 recommend it for DIF).

Effect size: the expected item score difference (Meade 2010's signed and unsigned expected score differences)
between each focal group and the reference group under the free model, averaged over the focal group's latent
density, on the item's own scale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..._results import TableResult
from ..._checks import label_list
from ...errors import ConvergenceError, DataError, ModelError
from ._model import ItemData, build_map, latent_weights, prepare
from ._result import _anchor_indices, _check_group_categories, fit_model
from ._scores import expected_scores

P_ADJUST = ("fdr_bh", "holm", "bonferroni", "none")


@dataclasses.dataclass(frozen=True, repr=False)
class DIFResult(TableResult):
    """One row per tested item: ``chisq``, ``df``, ``pvalue``, ``p_adjusted`` and the expected score differences
    ``esd_<group>`` (signed) of every focal group and ``max_abs_esd``; ``note`` says why a row is empty."""

    model: str
    groups: list
    reference_group: str
    anchors: list
    p_adjust: str
    baseline_loglik: float


def _restart(full, pmap_to) -> np.ndarray:
    """Free values of ``pmap_to`` closest to a full vector of another map (warm start)."""
    free, *_ = np.linalg.lstsq(pmap_to.matrix, full - pmap_to.base, rcond=None)
    return free


def _effect_sizes(data: ItemData, pmap, full: np.ndarray, j: int, theta: np.ndarray) -> np.ndarray:
    """Signed expected score difference of item j, focal minus reference, over each focal group's density."""
    items, eta = pmap.split(full)
    reference = expected_scores(items[0][[j]], theta, data.n_categories[[j]], [data.labels[j]])[0]
    out = []
    for g in range(1, len(data.group_names)):
        focal = expected_scores(items[g][[j]], theta, data.n_categories[[j]], [data.labels[j]])[0]
        out.append(float(latent_weights(eta[g], theta) @ (focal - reference)))
    return np.array(out)


def dif(
    data: pd.DataFrame,
    group: str | npt.ArrayLike,
    model: str = "grm",
    anchors: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
    p_adjust: str = "fdr_bh",
    quadrature: int = 61,
) -> DIFResult:
    """Likelihood-ratio DIF test of every item across groups (sites, languages, ...).

    Parameters
    ----------
    data : DataFrame
        Respondents x items (integer categories; NaN = missing, skipped in the likelihood).
    group : str or array-like
        A column of ``data`` or one label per row. The first group in sorted order is the reference.
    model : {"grm", "2pl", "1pl", "rasch"}
        As in :func:`irt`. For "1pl" and "rasch" only the intercepts of the tested item are freed.
    anchors : list of item names, optional
        Items assumed free of DIF (equal across groups in every model); the other items are tested one at a time
        with the non-anchors free (each group must then use every category of every non-anchor item). Default:
        every item is tested against the all-equal baseline; an item with a category unused in some group gets
        an empty row whose ``note`` says so (as does an item whose free model does not converge).
    items : list of item names, optional
        Items to test (default: every item that is not an anchor).
    p_adjust : {"fdr_bh", "holm", "bonferroni", "none"}
        Multiplicity adjustment of the p-values over the tested items (statsmodels ``multipletests`` names).

    Returns
    -------
    DIFResult
        A TableResult, one row per tested item, ready for a report.

    Notes
    -----
    Equivalent R: ``mod <- mirt::multipleGroup(data, 1, group, itemtype = "graded", invariance = c(colnames(data),
    "free_means", "free_var")); mirt::DIF(mod, which.par = c("a1", paste0("d", 1:(K - 1))), scheme = "add")``.

    References
    ----------
    Thissen, D., Steinberg, L., & Wainer, H. (1988). Use of item response theory in the study of group differences in trace lines. In H. Wainer & H. I. Braun (Eds.), Test validity (pp. 147-169). Erlbaum.

    Examples
    --------
    >>> import numpy as np
    >>> import psychometrics as pm
    >>> lsat = pm.datasets.load("lsat6")
    >>> group = np.where(np.arange(len(lsat)) % 2 == 0, "a", "b")
    >>> res = pm.dif(lsat, group, model="rasch")
    >>> res.to_frame()["df"].tolist()
    [1, 1, 1, 1, 1]
    """
    if p_adjust not in P_ADJUST:
        raise ModelError(f"p_adjust={p_adjust!r} is not supported; choose one of {', '.join(map(repr, P_ADJUST))}.")
    if group is None:
        raise DataError("dif needs group=...: a column of data or one label per row.")
    prepared = prepare(data, group, model)
    anchor_idx = _anchor_indices(prepared, anchors, group) if anchors is not None else []
    tested = _tested_items(prepared, items, anchor_idx)
    if anchor_idx:  # every non-anchor item is free in every group
        _check_group_categories(prepared, anchor_idx)
    all_idx = list(range(len(prepared.items)))
    theta = np.linspace(-6, 6, quadrature)
    baseline = None
    rows, index = [], []
    for j in tested:
        constrained = all_idx if not anchor_idx else sorted(set(anchor_idx) | {j})
        released = [i for i in constrained if i != j]
        try:
            _check_group_categories_of(prepared, j)
        except DataError as exc:
            rows.append(_empty_row(prepared, str(exc)))
            index.append(prepared.items[j])
            continue
        if baseline is None or anchor_idx:
            base_problem, base_fit = fit_model(prepared, model, constrained, True, quadrature, standard_errors=False)
            baseline = (base_problem, base_fit)
        base_problem, base_fit = baseline
        pmap_free = build_map(prepared, model, released, True)
        try:
            problem, fitted = fit_model(
                prepared,
                model,
                released,
                True,
                quadrature,
                start=_restart(base_fit.full, pmap_free),
                standard_errors=False,
            )
        except ConvergenceError as exc:
            rows.append(_empty_row(prepared, f"the model with item {prepared.items[j]!r} free did not converge: {exc}"))
            index.append(prepared.items[j])
            continue
        chisq = max(2 * (fitted.loglik - base_fit.loglik), 0.0)
        df = len(fitted.free) - len(base_fit.free)
        esd = _effect_sizes(prepared, problem.pmap, fitted.full, j, theta)
        rows.append([chisq, df, float(stats.chi2.sf(chisq, df)), np.nan, *esd, float(np.max(np.abs(esd))), ""])
        index.append(prepared.items[j])
    focal = prepared.group_names[1:]
    table = pd.DataFrame(
        rows,
        index=pd.Index(index, name="item"),
        columns=["chisq", "df", "pvalue", "p_adjusted", *[f"esd_{g}" for g in focal], "max_abs_esd", "note"],
    )
    table["df"] = table["df"].astype("Int64")
    table["p_adjusted"] = _adjust(table["pvalue"].to_numpy(), p_adjust)
    return DIFResult(
        table=table,
        model=model,
        groups=list(prepared.group_names),
        reference_group=prepared.group_names[0],
        anchors=[prepared.items[i] for i in anchor_idx],
        p_adjust=p_adjust,
        baseline_loglik=float(baseline[1].loglik) if baseline is not None else np.nan,
    )


def _tested_items(data: ItemData, items, anchor_idx: list[int]) -> list[int]:
    if items is None:
        return [j for j in range(len(data.items)) if j not in anchor_idx]
    items = label_list(items, name="items", error=ModelError)
    if not items:
        raise ModelError("items names no item to test; list one or more items, or leave items out to test all.")
    unknown = [name for name in items if name not in data.items]
    if unknown:
        raise ModelError(f"item(s) {unknown} to test are not items of the data; items are {data.items}.")
    return [data.items.index(name) for name in items]


def _check_group_categories_of(data: ItemData, j: int) -> None:
    """The tested item is free in every group, so every group needs all its categories."""
    others = [i for i in range(len(data.items)) if i != j]
    _check_group_categories(data, others)


def _empty_row(data: ItemData, note: str) -> list:
    return [np.nan, pd.NA, np.nan, np.nan, *[np.nan] * (len(data.group_names) - 1), np.nan, note]


def _adjust(pvalues: np.ndarray, method: str) -> np.ndarray:
    out = np.full(len(pvalues), np.nan)
    ok = ~np.isnan(pvalues)
    if method == "none" or not ok.any():
        out[ok] = pvalues[ok]
        return out
    out[ok] = multipletests(pvalues[ok], method=method)[1]
    return out
