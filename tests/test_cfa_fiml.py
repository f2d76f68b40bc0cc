"""Full-information ML on incomplete data (missing="fiml") against lavaan 0.6-14.

Source: tests/reference/cfa_robust.json written by tests/reference/cfa_robust.R (R 4.2.2, lavaan 0.6-14): the bfi
agreeableness and conscientiousness items (A1-A5, C1-C5, N = 2800, their own missing answers) with missing = "fiml",
ML and MLR, one and two groups (gender), the EM saturated moments (lavInspect(fit, "sampstat.h1")) and an MLR
invariance ladder with lavTestLRT's scaled difference tests. Tolerances as tests/test_cfa_mlr.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_reference
from test_cfa_mlr import check_estimates, check_fit_measures

import psychometrics as pm
from psychometrics.errors import DataError

REF = load_reference("cfa_robust.json")
MODEL = REF["models"]["ac"]
ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]


@pytest.fixture(scope="module")
def items():
    return pm.datasets.load("bfi")[ITEMS + ["gender"]]


CASES = {
    "bfi_fiml": dict(),
    "bfi_fiml_mlr": dict(estimator="MLR"),
    "bfi_fiml_gender": dict(group="gender"),
    "bfi_fiml_mlr_gender": dict(estimator="MLR", group="gender", group_equal="loadings"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fiml_matches_lavaan(items, name):
    fit = pm.cfa(MODEL, items, missing="fiml", **CASES[name])
    case = REF["cases"][name]
    check_fit_measures(fit.fit_measures, case["fit"])
    check_estimates(fit, case)
    expected_n = case["nobs"][0] if len(case["nobs"]) == 1 else dict(zip(map(int, case["groups"]), case["nobs"]))
    assert fit.n_obs == expected_n


def test_em_saturated_moments(items):
    fit = pm.cfa(MODEL, items, missing="fiml")
    em = REF["em_bfi"]
    np.testing.assert_allclose(fit.sample_cov().to_numpy(), np.array(em["cov"]), atol=1e-8)
    np.testing.assert_allclose(fit._problem.stats[0].mean, em["mean"], atol=1e-8)


def test_ml_alias_and_empty_rows(items):
    """lavaan's missing = "ml" is the same; cases with every item missing are dropped and not counted."""
    padded = pd.concat([items, pd.DataFrame({c: [np.nan] * 3 for c in ITEMS})], ignore_index=True)
    fit = pm.cfa(MODEL, padded[ITEMS], missing="ml")
    assert fit.fit_measures["ntotal"] == 2800
    assert fit.fit_measures["chisq"] == pytest.approx(REF["cases"]["bfi_fiml"]["fit"]["chisq"], rel=1e-6)


def test_fiml_on_complete_data_is_ml(items):
    complete = items[ITEMS].dropna()
    ml, fiml = pm.cfa(MODEL, complete, missing="listwise"), pm.cfa(MODEL, complete, missing="fiml")
    assert fiml.fit_measures["chisq"] == pytest.approx(ml.fit_measures["chisq"], rel=1e-6)
    est = fiml.estimates.merge(ml.estimates, on=["lhs", "op", "rhs"], suffixes=("", "_ml"))
    np.testing.assert_allclose(est["est"], est["est_ml"], atol=1e-5)


def test_fiml_mlr_invariance(items):
    ref = REF["invariance"]["bfi_gender_fiml"]
    result = pm.measurement_invariance(
        MODEL, items, "gender", levels=("configural", "metric", "scalar"), estimator="MLR", missing="fiml"
    )
    for level in result.table.index:
        check_fit_measures(result.fits[level].fit_measures, ref["fit"][level])
    np.testing.assert_allclose(result.table["delta_chisq"].iloc[1:], ref["lrt"]["chisq_diff"][1:3], rtol=1e-5)
    np.testing.assert_allclose(result.table["delta_pvalue"].iloc[1:], ref["lrt"]["pvalue"][1:3], rtol=1e-4, atol=1e-10)


def test_unidentified_covariance_names_the_variables(items):
    data = items[ITEMS].reset_index(drop=True)
    data.loc[:1399, "A1"] = np.nan
    data.loc[1400:, "C5"] = np.nan
    with pytest.raises(DataError, match="'A1' and 'C5' are never observed together"):
        pm.cfa(MODEL, data, missing="fiml")


def test_fiml_leaves_the_data_alone(items):
    before = items.copy()
    pm.cfa(MODEL, items, missing="fiml", group="gender")
    pd.testing.assert_frame_equal(items, before)


def test_fiml_modification_indices(items):
    """modindices() with FIML: score tests on the expected information of the incomplete data."""
    ref = pd.DataFrame(REF["modindices_fiml"]["table"])
    mine = pm.cfa(MODEL, items[ITEMS], missing="fiml").modification_indices()
    table = ref.merge(mine, on=["lhs", "op", "rhs"], suffixes=("_ref", ""), how="left", validate="one_to_one")
    assert len(table) == len(mine)
    np.testing.assert_allclose(table["mi"], table["mi_ref"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(table[["epc", "sepc_all"]], table[["epc_ref", "sepc_all_ref"]], atol=1e-4)


def test_fiml_partial_suggestions(items):
    """partial_suggestions() = lavTestScore()'s univariate tests of the equal loadings (FIML)."""
    ref = pd.DataFrame(REF["modindices_fiml"]["score"])
    result = pm.measurement_invariance(MODEL, items, "gender", levels=("configural", "metric"), missing="fiml")
    mine = result.partial_suggestions("metric").merge(ref, on="rhs")
    assert len(mine) == len(ref)
    np.testing.assert_allclose(mine["mi"], mine["X2"], rtol=1e-4, atol=1e-5)


def test_fiml_bad_input(items):
    cov = items[ITEMS].cov()
    with pytest.raises(DataError, match="raw data"):
        pm.cfa(MODEL, sample_cov=cov, n_obs=2800, missing="fiml")
    with pytest.raises(DataError, match="missing"):
        pm.cfa(MODEL, items, missing="pairwise")
    one_answer = items[ITEMS].reset_index(drop=True)
    one_answer.loc[1:, "A1"] = np.nan
    with pytest.raises(DataError, match="'A1' has fewer than two observed values"):
        pm.cfa(MODEL, one_answer, missing="fiml")
