"""Likelihood-ratio (chi-square difference) tests of nested models, as lavaan 0.6-14's lavTestLRT() / anova().

The models are ordered by their degrees of freedom (fewest first) and each is tested against the one before it:

- ML: the plain difference of the chi-square statistics;
- MLR: the scaled difference of Satorra & Bentler (2001), lavTestLRT's default for a scaled test
  (``psychometrics.sem.cfa._robust.chisq_difference``);
- WLSMV (ordered items): the mean-and-variance-adjusted difference of Satorra (2000), lavTestLRT's
  ``method = "satorra.2000"`` default for scaled-shifted tests (``psychometrics.sem.cfa._ordinal.ordinal_difference``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._results import TableResult
from ..errors import ModelError
from .cfa._ordinal import ordinal_difference
from .cfa._result import CFAResult
from .cfa._robust import chisq_difference

__all__ = ["ModelComparison", "compare_models"]

COLUMNS = ["df", "aic", "bic", "chisq", "chisq_diff", "df_diff", "pvalue"]


@dataclasses.dataclass(frozen=True, repr=False)
class ModelComparison(TableResult):
    """lavTestLRT's table (one row per model, fewest degrees of freedom first): df, aic, bic, chisq (the
    unscaled statistic), chisq_diff, df_diff, pvalue (against the row above; NaN in the first row), and
    ``method``: "standard" (ML), "satorra.bentler.2001" (MLR) or "satorra.2000" (WLSMV)."""

    method: str


def _check_comparable(fits, names) -> str:
    for name, fit in zip(names, fits):
        if not isinstance(fit, CFAResult):
            raise ModelError(f"{name} is a {type(fit).__name__}, not a fitted model (psychometrics.cfa)")
    estimators = {fit.estimator for fit in fits}
    if len(estimators) > 1:
        raise ModelError(f"the models were fitted with different estimators {sorted(estimators)}; refit them alike")
    first = fits[0]
    for name, fit in zip(names[1:], fits[1:]):
        if sorted(fit.observed_variables) != sorted(first.observed_variables) or fit.n_obs != first.n_obs:
            raise ModelError(f"{name} is not fitted to the same variables and cases as {names[0]}; nested models "
                             "must share their data")
    return estimators.pop()


def _difference(estimator: str, free: CFAResult, restricted: CFAResult) -> tuple[float, float, float]:
    if estimator == "WLSMV":
        return ordinal_difference(free, restricted)
    return chisq_difference(free.fit_measures, restricted.fit_measures)


def compare_models(*fits: CFAResult, names=None) -> ModelComparison:
    """Chi-square difference tests of nested models (lavaan's lavTestLRT / anova).

    Parameters
    ----------
    *fits : CFAResult
        Two or more fits of nested models to the same data with the same estimator.
    names : sequence of str, optional
        Row labels (default "model1", "model2", ... in the order given).

    Returns
    -------
    ModelComparison
        ``table`` indexed by model name, ordered by df: df, aic, bic, chisq, chisq_diff, df_diff, pvalue;
        ``method``.

    Notes
    -----
    Equivalent R call (lavaan 0.6-14): ``lavTestLRT(fit1, fit0)``. Differences: ML plain; MLR Satorra-Bentler
    (2001) scaled; WLSMV Satorra (2000) mean-and-variance adjusted (see the module docstring). AIC and BIC are
    missing for WLSMV fits, as in lavaan.
    """
    if len(fits) < 2:
        raise ModelError("compare_models needs two or more fitted models")
    names = [f"model{k + 1}" for k in range(len(fits))] if names is None else [str(n) for n in names]
    if len(names) != len(fits) or len(set(names)) != len(names):
        raise ModelError(f"names must give {len(fits)} distinct labels, one per model")
    estimator = _check_comparable(fits, names)
    order = sorted(range(len(fits)), key=lambda k: fits[k].fit_measures["df"])  # stable: ties keep their order
    rows, previous = [], None
    for k in order:
        fm = fits[k].fit_measures
        row = {"df": fm["df"], "aic": fm.get("aic", np.nan), "bic": fm.get("bic", np.nan), "chisq": fm["chisq"],
               "chisq_diff": np.nan, "df_diff": np.nan, "pvalue": np.nan}
        if estimator == "WLSMV":
            row["aic"] = row["bic"] = np.nan
        if previous is not None:
            row["chisq_diff"], row["df_diff"], row["pvalue"] = _difference(estimator, previous, fits[k])
        rows.append(row)
        previous = fits[k]
    table = pd.DataFrame(rows, index=pd.Index([names[k] for k in order], name="model"), columns=COLUMNS)
    method = {"ML": "standard", "MLR": "satorra.bentler.2001", "WLSMV": "satorra.2000"}.get(estimator, "standard")
    return ModelComparison(table=table, method=method)
