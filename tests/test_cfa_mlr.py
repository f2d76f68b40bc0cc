"""Robust ML (estimator="MLR") against lavaan 0.6-14.

Source: tests/reference/cfa_robust.json written by tests/reference/cfa_robust.R (R 4.2.2, lavaan 0.6-14; the R call
of each case is stored with it): Huber-White standard errors, the Yuan-Bentler (Mplus) scaled chi-square, scaled
and robust (Brosseau-Liang & Savalei) CFI/TLI/RMSEA, and lavTestLRT's Satorra-Bentler (2001) scaled difference
tests for an invariance ladder. Tolerances: 1e-5 relative on chi-squares and log-likelihoods, 1e-4 absolute on
indices, estimates and SEs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_reference

import psychometrics as pm
from psychometrics.errors import DataError, ModelError

REF = load_reference("cfa_robust.json")
MODELS = REF["models"]
RELATIVE = {
    "chisq",
    "chisq.scaled",
    "baseline.chisq",
    "baseline.chisq.scaled",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "bic2",
}


@pytest.fixture(scope="module")
def hs():
    return pm.datasets.load("holzinger_swineford")


def check_fit_measures(fit_measures: dict, expected: dict) -> None:
    """Every fit measure lavaan reports for the case (names with '.' -> '_')."""
    for key, value in expected.items():
        mine = fit_measures[key.replace(".", "_")]
        if value is None:
            assert mine is None or not np.isfinite(mine), key
        elif key in RELATIVE:
            assert mine == pytest.approx(value, rel=1e-5), key
        else:
            assert mine == pytest.approx(value, abs=1e-4), key


def check_estimates(result, case: dict, tol: float = 1e-4) -> None:
    ref = pd.DataFrame(case["estimates"]).fillna({"rhs": ""}).astype({"group": str})
    mine = result.estimates.assign(group=result.estimates["group"].astype(str))
    table = ref.merge(mine, on=["lhs", "op", "rhs", "group"], suffixes=("_ref", ""), how="left", validate="one_to_one")
    assert len(table) == len(mine) and table["est"].notna().all()
    for column in ("est", "se", "std_all"):
        np.testing.assert_allclose(table[column], table[column + "_ref"], atol=tol, err_msg=column)


CASES = {
    "hs_mlr": dict(),
    "hs_mlr_std_lv": dict(std_lv=True),
    "hs_mlr_school": dict(group="school"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_mlr_matches_lavaan(hs, name):
    fit = pm.cfa(MODELS["hs"], hs, estimator="MLR", **CASES[name])
    case = REF["cases"][name]
    check_fit_measures(fit.fit_measures, case["fit"])
    check_estimates(fit, case)
    assert fit.estimator == "MLR"


def test_mlr_keeps_ml_estimates_and_changes_only_ses(hs):
    ml, mlr = pm.cfa(MODELS["hs"], hs), pm.cfa(MODELS["hs"], hs, estimator="MLR")
    np.testing.assert_allclose(ml.estimates["est"], mlr.estimates["est"], atol=1e-6)
    assert not np.allclose(ml.estimates["se"], mlr.estimates["se"], atol=1e-3)
    assert mlr.fit_measures["chisq"] == pytest.approx(ml.fit_measures["chisq"], rel=1e-8)
    assert "chisq_scaled" not in ml.fit_measures


def test_mlr_invariance_scaled_difference_tests(hs):
    """lavTestLRT(configural, metric, scalar, strict) with method = "satorra.bentler.2001" (MLR's default)."""
    ref = REF["invariance"]["hs_school"]
    result = pm.measurement_invariance(MODELS["hs"], hs, "school", estimator="MLR")
    table = result.table
    for level, expected in ref["fit"].items():
        check_fit_measures(result.fits[level].fit_measures, expected)
    lrt = ref["lrt"]
    np.testing.assert_allclose(table["delta_chisq"].iloc[1:], lrt["chisq_diff"][1:], rtol=1e-5)
    np.testing.assert_allclose(table["delta_df"].iloc[1:], lrt["df_diff"][1:])
    np.testing.assert_allclose(table["delta_pvalue"].iloc[1:], lrt["pvalue"][1:], rtol=1e-4, atol=1e-8)
    robust_cfi = [ref["fit"][level]["cfi.robust"] for level in table.index]
    np.testing.assert_allclose(table["delta_cfi"].iloc[1:], np.diff(robust_cfi), atol=1e-4)
    assert {"chisq_scaled", "cfi_robust", "rmsea_robust"} <= set(table.columns)
    assert table["holds_chisq"].tolist()[1:] == [True, False, True]


def test_mlr_bad_input(hs):
    cov = hs[[f"x{i}" for i in range(1, 10)]].cov()
    with pytest.raises(DataError, match="raw data"):
        pm.cfa(MODELS["hs"], sample_cov=cov, n_obs=301, estimator="MLR")
    with pytest.raises(DataError, match="estimator"):
        pm.cfa(MODELS["hs"], hs, estimator="GLS")
    with pytest.raises(ModelError, match="exogenous observed covariates"):
        pm.cfa("visual =~ x1 + x2 + x3\nvisual ~ ageyr", hs, estimator="MLR")


def test_mlr_leaves_the_data_alone(hs):
    before = hs.copy()
    pm.cfa(MODELS["hs"], hs, estimator="MLR", group="school")
    pd.testing.assert_frame_equal(hs, before)
