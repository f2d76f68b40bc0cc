"""Likelihood-ratio (chi-square difference) tests of nested models, as lavaan 0.6-14's lavTestLRT() / anova().

The models are ordered by their degrees of freedom (fewest first) and each is tested against the one before it:

- a standard test (ML, ULS, ...): the plain difference of the chi-square statistics;
- satorra.bentler and yuan.bentler.mplus tests (MLM, MLR): the scaled difference of Satorra & Bentler (2001),
  lavTestLRT's default for a scaled test;
- scaled.shifted and mean.var.adjusted tests (WLSMV, ULSMV, MLMV): the mean-and-variance-adjusted difference of
  Satorra (2000), lavTestLRT's ``method = "satorra.2000"`` default for those tests.

The engine's ``psychometrics.sem.cfa._robust.difference_test`` computes each difference, as for the invariance
ladder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._results import TableResult
from .._checks import label_list
from ..errors import ModelError
from .cfa._result import CFAResult
from .cfa._robust import difference_test

__all__ = ["ModelComparison", "compare_models"]

COLUMNS = ["df", "aic", "bic", "chisq", "chisq_diff", "df_diff", "pvalue"]


@dataclasses.dataclass(frozen=True, repr=False)
class ModelComparison(TableResult):
    """lavTestLRT's table (one row per model, fewest degrees of freedom first): df, aic, bic, chisq (the
    unscaled statistic), chisq_diff, df_diff, pvalue (against the row above; NaN in the first row), and
    ``method``: "standard" (ML), "satorra.bentler.2001" (MLR) or "satorra.2000" (WLSMV)."""

    method: str


def _check_comparable(fits, names) -> None:
    for name, fit in zip(names, fits):
        if not isinstance(fit, CFAResult):
            raise ModelError(f"{name} is a {type(fit).__name__}, not a fitted model (psychometrics.cfa)")
    estimators = {fit.estimator for fit in fits}
    if len(estimators) > 1:
        raise ModelError(f"the models were fitted with different estimators {sorted(estimators)}; refit them alike")
    first = fits[0]
    for name, fit in zip(names[1:], fits[1:]):
        if sorted(fit.observed_variables) != sorted(first.observed_variables) or fit.n_obs != first.n_obs:
            raise ModelError(
                f"{name} is not fitted to the same variables and cases as {names[0]}; nested models "
                "must share their data"
            )


def _method(fit: CFAResult) -> str:
    """lavTestLRT's name of the difference test for the fit's test statistic."""
    test = fit._options["estimator"].test
    if test in ("scaled.shifted", "mean.var.adjusted"):
        return "satorra.2000"
    return "satorra.bentler.2001" if test in ("satorra.bentler", "yuan.bentler.mplus") else "standard"


def compare_models(*fits: CFAResult, names: Sequence[str] | None = None) -> ModelComparison:
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
    Equivalent R call (lavaan 0.6-14): ``lavTestLRT(fit1, fit0)``. Differences: ML plain; MLR/MLM Satorra-Bentler
    (2001) scaled; WLSMV/MLMV Satorra (2000) mean-and-variance adjusted (see the module docstring). AIC and BIC are
    missing for estimators without a likelihood (WLSMV, ULS, ...), as in lavaan.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> one = pm.cfa("g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9", hs)
    >>> three = pm.cfa("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9", hs)
    >>> res = pm.compare_models(one, three)
    >>> res.to_frame()["df"].tolist()
    [24, 27]
    """
    if len(fits) < 2:
        raise ModelError("compare_models needs two or more fitted models")
    names = (
        [f"model{k + 1}" for k in range(len(fits))]
        if names is None
        else [str(n) for n in label_list(names, name="names", error=ModelError)]
    )
    if len(names) != len(fits) or len(set(names)) != len(names):
        raise ModelError(f"names must give {len(fits)} distinct labels, one per model")
    _check_comparable(fits, names)
    order = sorted(range(len(fits)), key=lambda k: fits[k].fit_measures["df"])  # stable: ties keep their order
    rows, previous = [], None
    for k in order:
        fm = fits[k].fit_measures
        row = {
            "df": fm["df"],
            "aic": fm.get("aic", np.nan),
            "bic": fm.get("bic", np.nan),
            "chisq": fm["chisq"],
            "chisq_diff": np.nan,
            "df_diff": np.nan,
            "pvalue": np.nan,
        }
        if not fits[k]._options["estimator"].likelihood:  # no log-likelihood, as in lavaan
            row["aic"] = row["bic"] = np.nan
        if previous is not None:
            row["chisq_diff"], row["df_diff"], row["pvalue"] = difference_test(previous, fits[k])
        rows.append(row)
        previous = fits[k]
    table = pd.DataFrame(rows, index=pd.Index([names[k] for k in order], name="model"), columns=COLUMNS)
    return ModelComparison(table=table, method=_method(fits[0]))
