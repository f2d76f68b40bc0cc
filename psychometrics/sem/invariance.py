"""Measurement invariance across groups: a ladder of nested multi-group CFA models.

Levels (cumulative, Meredith 1993; Vandenberg & Lance 2000; the lavaan groups tutorial and
semTools::measurementInvariance): configural (same structure), metric (equal loadings), scalar (+ equal
intercepts), strict (+ equal residual variances); optionally means (+ equal latent means), lv.variances and
lv.covariances. Each level is compared with the previous one by the chi-square difference test (lavaan's
anova()/lavTestLRT for ML) and by the changes in CFI, RMSEA and SRMR with Chen's (2007, Structural Equation
Modeling 14:464-504, abstract) cut-offs: "a change of >= -.010 in CFI, supplemented by a change of >= .015 in
RMSEA or a change of >= .030 [loadings] / .010 [intercepts, residuals] in SRMR would indicate noninvariance", i.e.
invariance fails when CFI drops by .010 or more *and* RMSEA rises by .015 or more or SRMR by the SRMR cut-off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from .._results import TableResult
from .cfa import CFAResult
from .cfa._api import fit_ladder
from .cfa._data import wants_ordinal
from .cfa._model import Elements
from .cfa._modindices import score_tests
from .cfa._robust import difference_test
from ..errors import ModelError
from ._entry_checks import check_invariance_input
from .model_syntax import Model

__all__ = ["measurement_invariance", "InvarianceResult", "LEVEL_CONSTRAINTS"]

LEVEL_CONSTRAINTS = {
    "configural": (),
    "thresholds": ("thresholds",),
    "metric": ("loadings",),
    "scalar": ("intercepts",),
    "strict": ("residuals",),
    "means": ("means",),
    "lv.variances": ("lv.variances",),
    "lv.covariances": ("lv.covariances",),
}
CHEN_CFI = -0.010
CHEN_RMSEA = 0.015
CHEN_SRMR = {"metric": 0.030}
CHEN_SRMR_DEFAULT = 0.010
TABLE_FIT = ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
ROBUST_FIT = ("chisq_scaled", "chisq_scaling_factor", "pvalue_scaled", "cfi_robust", "tli_robust", "rmsea_robust")
SCALED_FIT = ("chisq_scaled", "chisq_scaling_factor", "pvalue_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled")
DEFAULT_LEVELS = ("configural", "metric", "scalar", "strict")
ORDINAL_LEVELS = ("configural", "thresholds", "metric", "scalar")  # Wu & Estabrook (2016)


def _cumulative(levels) -> dict[str, tuple[str, ...]]:
    constraints, out = [], {}
    for level in levels:
        if level not in LEVEL_CONSTRAINTS:
            raise ModelError(f"unknown invariance level {level!r}; choose from {', '.join(LEVEL_CONSTRAINTS)}")
        constraints += [c for c in LEVEL_CONSTRAINTS[level] if c not in constraints]
        out[level] = tuple(constraints)
    return out


def _chen_holds(level: str, delta_cfi: float, delta_rmsea: float, delta_srmr: float) -> bool:
    """Chen (2007): noninvariance when CFI drops by >= .010, supplemented by RMSEA or SRMR rising past its cut-off."""
    srmr_cut = CHEN_SRMR.get(level, CHEN_SRMR_DEFAULT)
    noninvariant = delta_cfi <= CHEN_CFI and (delta_rmsea >= CHEN_RMSEA or delta_srmr >= srmr_cut)
    return not noninvariant


def _comparison_table(fits: dict[str, CFAResult]) -> pd.DataFrame:
    rows, previous = [], None
    for level, fit in fits.items():
        fm = fit.fit_measures
        ordinal = bool(fit._options.get("ordered"))  # ordered items: scaled columns
        scaled = "chisq_scaling_factor" in fm and not ordinal  # a robust ML estimator: robust columns
        row: dict[str, Any] = {
            key: fm[key] for key in TABLE_FIT + (ROBUST_FIT if scaled else SCALED_FIT if ordinal else ())
        }
        if previous is None:
            row.update(
                delta_chisq=np.nan,
                delta_df=np.nan,
                delta_pvalue=np.nan,
                delta_cfi=np.nan,
                delta_rmsea=np.nan,
                delta_srmr=np.nan,
                holds_chisq=None,
                holds_chen=None,
                holds=None,
            )
        else:
            before = previous.fit_measures
            d_chisq, d_df, d_p = difference_test(previous, fit)
            cfi, rmsea = ("cfi_robust", "rmsea_robust") if scaled else ("cfi", "rmsea")
            cfi, rmsea = ("cfi_scaled", "rmsea_scaled") if ordinal else (cfi, rmsea)
            d_cfi, d_rmsea, d_srmr = fm[cfi] - before[cfi], fm[rmsea] - before[rmsea], fm["srmr"] - before["srmr"]
            chen = _chen_holds(level, d_cfi, d_rmsea, d_srmr)
            row.update(
                delta_chisq=d_chisq,
                delta_df=d_df,
                delta_pvalue=d_p,
                delta_cfi=d_cfi,
                delta_rmsea=d_rmsea,
                delta_srmr=d_srmr,
                holds_chisq=bool(d_p >= 0.05),
                holds_chen=chen,
                holds=chen,
            )
        rows.append(row)
        previous = fit
    return pd.DataFrame(rows, index=pd.Index(list(fits), name="level"))


@dataclasses.dataclass(frozen=True, repr=False)
class InvarianceResult(TableResult):
    """The invariance ladder.

    ``table`` (indexed by level): npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic and, against the
    previous level, delta_chisq, delta_df, delta_pvalue (chi-square difference test), delta_cfi, delta_rmsea,
    delta_srmr, holds_chisq (delta_pvalue >= .05), holds_chen (Chen 2007 cut-offs) and holds (= holds_chen, the
    decision: the chi-square test rejects trivial differences in large samples; both are shown).
    With a robust ML estimator (``estimator="MLR"``, "MLM", "MLMV") the table adds chisq_scaled,
    chisq_scaling_factor, pvalue_scaled, cfi_robust, tli_robust and rmsea_robust; delta_chisq/delta_pvalue are
    then lavTestLRT's default difference test: the Satorra-Bentler (2001) scaled difference (MLR, MLM: method = "satorra.bentler.2001", from the unscaled
    chi-squares and the scaling factors) or Satorra's (2000) scaled-shifted one (MLMV), and delta_cfi/delta_rmsea
    (and Chen's rule) use the robust CFI and RMSEA of Brosseau-Liang & Savalei (2018, 2019).
    With ordered items (WLSMV) the table adds chisq_scaled, chisq_scaling_factor, pvalue_scaled, cfi_scaled,
    tli_scaled and rmsea_scaled; delta_chisq/delta_pvalue are lavTestLRT's scaled-shifted difference test
    (method = "satorra.2000") and Chen's rule uses the scaled CFI and RMSEA.
    ``fits``: level -> CFAResult. ``constraints``: level -> group_equal used.
    """

    fits: dict
    constraints: dict
    group: str | None  # None: groups given as sample_cov={group: covariance}

    def _repr_fields(self) -> list[str]:
        shown = self.table[
            [
                "npar",
                "chisq",
                "df",
                "cfi",
                "rmsea",
                "srmr",
                "delta_chisq",
                "delta_df",
                "delta_pvalue",
                "delta_cfi",
                "delta_rmsea",
                "holds",
            ]
        ]
        return [f"  group: {self.group!r}", "  table:\n    " + shown.round(4).to_string().replace("\n", "\n    ")]

    def partial_suggestions(self, level: str | None = None, top: int = 10) -> pd.DataFrame:
        """Equality constraints of ``level`` whose release would improve fit most (univariate score tests).

        ``level`` defaults to the first level that does not hold (Chen's cut-offs), else the last level. One row
        per constrained parameter and group after the first: lhs, op, rhs, group, mi (chi-square, 1 df),
        pvalue, epc (expected change of that group's parameter), sorted by mi. The score test is lavaan's
        lavTestScore(fit) univariate test for the constraint (Sorbom 1989).
        """
        level = self._default_level() if level is None else level
        if level not in self.fits:
            raise ModelError(f"level {level!r} was not fitted; fitted levels: {list(self.fits)}")
        fit = self.fits[level]
        if fit._options.get("ordered") or not fit._options["estimator"].likelihood:
            raise ModelError(
                f"partial_suggestions() needs ML fits; score tests for ordered items or least "
                f"squares ({fit.estimator}) are not available"
            )
        table = fit._problem.model.table
        shared = table[(table["x"] >= 0) & table.duplicated("x", keep=False) & (table["group"] > 0)]
        columns = ["lhs", "op", "rhs", "group", "mi", "pvalue", "epc"]
        if shared.empty:
            return pd.DataFrame(columns=columns)
        mi, epc = score_tests(fit._problem, fit._x, Elements.from_table(shared))
        out = pd.DataFrame(
            {
                "lhs": shared["lhs"].to_numpy(),
                "op": shared["op"].to_numpy(),
                "rhs": shared["rhs"].to_numpy(),
                "group": [fit.groups[g] for g in shared["group"]],
                "mi": mi,
                "pvalue": st.chi2.sf(mi, 1),
                "epc": epc,
            }
        )
        return (
            out.dropna(subset=["mi"]).sort_values("mi", ascending=False, kind="stable").head(top).reset_index(drop=True)
        )

    def _default_level(self) -> str:
        failing = [lvl for lvl, holds in self.table["holds"].items() if holds is False]
        return failing[0] if failing else self.table.index[-1]


def measurement_invariance(
    model: Model,
    data: pd.DataFrame | None = None,
    group: str | None = None,
    levels: Sequence[str] = DEFAULT_LEVELS,
    **cfa_options: Any,
) -> InvarianceResult:
    """Fit a ladder of increasingly constrained multi-group CFA models and compare neighbouring levels.

    Parameters
    ----------
    model : str
        lavaan model syntax.
    data : DataFrame
        Respondents x variables, including the ``group`` column.
    group : str
        Column holding the group.
    levels : sequence of str
        Cumulative levels, from configural, thresholds, metric, scalar, strict, means, lv.variances,
        lv.covariances. With ordered items (``ordered=...``) the default ladder is Wu & Estabrook's (2016)
        configural, thresholds, metric, scalar, identified as semTools::measEq.syntax(ID.fac = "std.lv",
        ID.cat = "Wu.Estabrook.2016"): with equal thresholds the scaling factors and the items' intercepts are
        free in groups 2..G, and the latent means instead once the intercepts are equal.
    **cfa_options
        Passed to :func:`psychometrics.cfa` (e.g. ``std_lv``, ``group_partial``, ``sample_cov`` with a dict).

    The model may carry labels, constraints (``==``, ``<``, ``>``) and definitions (``:=``): every level keeps
    them and adds its group_equal constraints on top, as lavaan's group.equal, which leaves labelled parameters
    alone (``c(b1, b2)*x5`` keeps two loadings in the metric model; a single label ``a*x2`` is already one
    parameter in all groups).

    Returns
    -------
    InvarianceResult
        ``table``, ``fits``, ``constraints``; ``partial_suggestions()``.

    Notes
    -----
    Equivalent R calls (lavaan 0.6-14): ``cfa(model, data, group = group, group.equal = ...)`` per level and
    ``lavTestLRT()``; semTools 0.5-6 ``measurementInvariance()`` gives the same ladder.

    References
    ----------
    Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance. Psychometrika, 58, 525-543.
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance. Structural Equation Modeling, 14, 464-504.

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.datasets.load("holzinger_swineford")
    >>> model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    >>> res = pm.measurement_invariance(model, data, group="school")
    >>> res.table["df"].tolist()
    [48, 54, 60, 69]
    """
    check_invariance_input(model, data, levels, cfa_options.get("ordered"), group, cfa_options.get("missing"))
    if group is None and not isinstance(cfa_options.get("sample_cov"), dict):
        raise ModelError("measurement_invariance needs group= (a column of data with two or more groups)")
    if "group_equal" in cfa_options:
        raise ModelError("measurement_invariance sets group_equal itself from levels; pass levels=... instead")
    if wants_ordinal(cfa_options.get("ordered")) and tuple(levels) == DEFAULT_LEVELS:
        levels = ORDINAL_LEVELS
    constraints = _cumulative(tuple(levels))
    fits = dict(zip(constraints, fit_ladder(model, data, group, list(constraints.values()), **cfa_options)))
    return InvarianceResult(_comparison_table(fits), fits, constraints, group)
