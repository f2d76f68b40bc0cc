"""standardizedSolution() as lavaan 0.6-14: standardised estimates with delta-method standard errors.

The standardised values are those of ``_standardize`` (std.lv, std.all, with cov.std = TRUE); std.nox is std.all
without standardising the exogenous observed covariates (lavaan's lav_standardize_all_nox: a regression on a
covariate keeps the covariate's scale, the covariates' variances, covariances and means stay raw). Defined
parameters are their definitions evaluated on the standardised parameters. Standard errors: ``sqrt(diag(J V J'))``
with ``J`` the Jacobian of the standardised values with respect to the free parameters and ``V`` the fit's
parameter covariance matrix (lavaan's lav_object_inspect_vcov(standardized = TRUE)); as lavaan, a standard error
below 1.2e-4 (machine epsilon to the 1/4) is reported as 0 with z, p missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ...errors import ModelError
from ._defined import Definitions, defined_items, interval_columns, interval_quantile, numerical_jacobian
from ._standardize import standardize

TYPES = ("std.all", "std.lv", "std.nox")
_SE_ZERO = np.finfo(float).eps ** 0.25  # lavaan's standardizedSolution: smaller standard errors are 0


def _std_nox(std_all: np.ndarray, raw: np.ndarray, rows: dict, model, x: np.ndarray, variables) -> np.ndarray:
    """std.all undone where the exogenous covariates (ov.x) are involved."""
    out = std_all.copy()
    ov = {n: i for i, n in enumerate(variables.observed)}
    sd = {g: np.sqrt(np.abs(np.diag(model.matrices(x, g).sigma()))) for g in set(rows["group"])}
    exo = set(variables.ov_x)
    for k, (lhs, op, rhs, g) in enumerate(zip(rows["lhs"], rows["op"], rows["rhs"], rows["group"])):
        if op == "~" and rhs in exo:
            out[k] = std_all[k] / sd[g][ov[rhs]]
        elif op in ("~~", "~1") and lhs in exo:
            out[k] = raw[k]
    return out


def standardized_values(result, x: np.ndarray, kind: str) -> np.ndarray:
    """Standardised values of the parameter rows (without ``:=`` rows) at the free parameters ``x``."""
    model, variables = result._problem.model, result._options["variables"]
    rows = model.columns
    raw = model.values(x)
    ov = {n: i for i, n in enumerate(variables.observed)}
    lv = {n: i for i, n in enumerate(variables.structural)}
    std_lv, std_all = standardize(rows, raw, model, x, ov, lv, set(variables.latent))
    if kind == "std.lv":
        return std_lv
    return std_all if kind == "std.all" else _std_nox(std_all, raw, rows, model, x, variables)


def standardized_solution(result, kind: str = "std.all", confidence: float | None = None) -> pd.DataFrame:
    """lavaan's standardizedSolution(fit, type = kind, level = confidence): lhs, op, rhs, (group), est_std, se, z,
    pvalue, ci_lower, ci_upper (at ``confidence``, by default the fit's; lavaan's ci.lower, ci.upper), ci_low,
    ci_high (the same interval under the package's names, psychometrics._results), with the ``:=`` rows of defined
    parameters."""
    if kind not in TYPES:
        raise ModelError(f"type must be one of {', '.join(TYPES)}; got {kind!r}")
    quantile = interval_quantile(result, confidence)
    estimates = result.estimates
    base = estimates[estimates["op"] != ":="]
    defs = Definitions.from_estimates(defined_items(estimates), base)

    def values(x):
        std = standardized_values(result, x, kind)
        return np.concatenate([std, defs.values(std)])

    x = result._x
    est = values(x)
    jac = numerical_jacobian(values, x)
    variance = np.einsum("ij,jk,ik->i", jac, result._vcov, jac)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.where(variance < 0, np.nan, variance))
        se = np.where(se < _SE_ZERO, 0.0, se)
        z = est / np.where(se == 0, np.nan, se)
    table = pd.DataFrame(
        {
            "lhs": estimates["lhs"].to_numpy(object),
            "op": estimates["op"].to_numpy(object),
            "rhs": estimates["rhs"].to_numpy(object),
            "group": estimates["group"].to_numpy(object),
            "est_std": est,
            "se": se,
            "z": z,
            "pvalue": 2 * special.ndtr(-np.abs(z)),
            **interval_columns(est, se, quantile),
        }
    )
    return table if len(result.groups) > 1 else table.drop(columns="group")
