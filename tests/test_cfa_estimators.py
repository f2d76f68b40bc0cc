"""Every key of lavaan's fitMeasures() and the estimates of each estimator, against lavaan 0.6-14.

Source: tests/reference/cfa_estimators.json written by tests/reference/cfa_estimators.R (R 4.2.2, lavaan 0.6-14; the
R call of each case is stored with it): fitMeasures(fit) (fit.measures = "all") and parameterEstimates() /
standardizedSolution() for the Holzinger-Swineford model (continuous: ML, MLR, MLM, MLMV, ULS, DWLS, WLS, one group
and across schools with equal loadings), a saturated MLR model, FIML with ML and MLR, and the bfi A/C model with ordered
items (WLSMV, ULSMV, DWLS, WLS; across gender with equal loadings, and with equal thresholds and loadings,
where lavaan 0.6-14 gives no robust indices; the first 200 complete cases, where the WLSMV standard errors were
too small by sqrt((n - 1)/n)); and lavTestLRT() on MLM and MLMV invariance ladders. Tolerances: 1e-4 absolute, or
1e-5 relative on chi-squares, log-likelihoods and information criteria.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_reference

import psychometrics as pm

REF = load_reference("cfa_estimators.json")
MODELS = REF["models"]
ITEMS = REF["items"]
RELATIVE = ("chisq", "logl", "aic", "bic", "cn_0")
# the saturated model's chi-square is rounding noise (lavaan: 4e-13): Hoelter's N = qchisq(., 0) / (X2 / N) + 1
# is 1 or undefined depending on that noise
NOISE = {"hs_saturated_mlr": {"cn_05", "cn_01"}}


@pytest.fixture(scope="module")
def data():
    bfi = pm.datasets.load("bfi")
    return {
        "hs": pm.datasets.load("holzinger_swineford"),
        "bfi": bfi,
        "ac": bfi[ITEMS + ["gender"]].dropna(subset=ITEMS),
    }


def _fit(name: str, data):
    hs, ac = data["hs"], data["ac"]
    if name.startswith("hs_school_"):
        return pm.cfa(
            MODELS["hs"], hs, estimator=name.rsplit("_", 1)[1].upper(), group="school", group_equal="loadings"
        )
    if name == "hs_ml_level90":
        return pm.cfa(MODELS["hs"], hs, confidence=0.90)
    if name == "hs_saturated_mlr":
        return pm.cfa("visual =~ x1 + x2 + x3", hs, estimator="MLR")
    if name.startswith("ac_fiml_"):
        return pm.cfa(MODELS["ac"], data["bfi"][ITEMS], missing="fiml", estimator=name.rsplit("_", 1)[1].upper())
    if name.startswith("hs_"):
        return pm.cfa(MODELS["hs"], hs, estimator=name[3:].upper())
    if name == "ac_gender_wlsmv":
        return pm.cfa(MODELS["ac"], ac, ordered=True, group="gender", group_equal=["thresholds", "loadings"])
    if name == "ac_gender_loadings_wlsmv":
        return pm.cfa(MODELS["ac"], ac, ordered=True, group="gender", group_equal="loadings")
    if name == "small_wlsmv":
        return pm.cfa(MODELS["ac"], ac.iloc[:200], ordered=True)
    return pm.cfa(MODELS["ac"], ac, ordered=True, estimator=name[3:].upper())


def check_all_fit_measures(fit_measures: dict, expected: dict, skip=()) -> None:
    for key, value in expected.items():
        name = key.replace(".", "_")
        if name in skip:
            continue
        assert name in fit_measures, name
        mine = fit_measures[name]
        if value is None:
            assert mine is None or not np.isfinite(mine), name
        elif any(part in name for part in RELATIVE):
            assert mine == pytest.approx(value, rel=1e-5, abs=1e-4), name
        else:
            assert mine == pytest.approx(value, abs=1e-4), name


def check_estimates(result, case: dict) -> None:
    ref = pd.DataFrame(case["estimates"]).fillna({"rhs": ""}).astype({"group": str})
    mine = result.estimates.assign(group=result.estimates["group"].astype(str))
    table = ref.merge(mine, on=["lhs", "op", "rhs", "group"], suffixes=("_ref", ""), how="left", validate="one_to_one")
    assert len(table) == len(mine) and table["est"].notna().all()
    for column in ("est", "se", "ci_lower", "ci_upper", "std_all"):
        np.testing.assert_allclose(table[column], table[column + "_ref"], atol=1e-4, err_msg=column)


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_fit_measures_and_estimates_match_lavaan(data, name):
    case = REF["cases"][name]
    fit = _fit(name, data)
    check_all_fit_measures(fit.fit_measures, case["fit"], NOISE.get(name, set()))
    check_estimates(fit, case)


def test_saturated_mlr_has_a_zero_scaled_statistic(data):
    # lavaan 0.6-14 gives the saturated model's standard statistic as the scaled one (no scaling factor), robust
    # RMSEA 0 and no robust CFI (NA): cfa('visual =~ x1 + x2 + x3', HS, estimator = 'MLR')
    fit = _fit("hs_saturated_mlr", data)
    assert fit.fit_measures["chisq_scaled"] == pytest.approx(0, abs=1e-8)
    assert fit.fit_measures["rmsea_robust"] == 0
    assert np.isnan(fit.fit_measures["cfi_robust"])


@pytest.mark.parametrize("name", [n for n in REF["cases"] if n.startswith(("hs_", "ac_")) and n.count("_") == 1])
def test_estimator_options_are_lavaans(name):
    # lavInspect(fit, "options"): the discrepancy, SE and test each estimator name stands for
    from psychometrics.sem.cfa._options import resolve_estimator

    expected = REF["cases"][name]["options"]
    options = resolve_estimator(name.split("_")[1].upper(), categorical=name.startswith("ac_"))
    assert (options.discrepancy, options.se, options.test) == (expected["estimator"], expected["se"], expected["test"])


def test_least_squares_fits_refuse_modification_indices(data):
    with pytest.raises(pm.ModelError, match="ML estimator"):
        pm.cfa(MODELS["hs"], data["hs"], estimator="ULS").modification_indices()


def test_confidence_level_is_checked(data):
    with pytest.raises(pm.DataError, match="confidence"):
        pm.cfa(MODELS["hs"], data["hs"], confidence=95)


def test_wlsmv_standard_errors_at_small_n(data):
    # the robust.sem covariance is divided by N - G (lavaan's lav_model_vcov for non-ML estimators); dividing by N
    # made every SE too small by sqrt((n - 1)/n), 0.25% at n = 200: a relative check at 1e-5 catches it
    case = REF["cases"]["small_wlsmv"]
    fit = _fit("small_wlsmv", data)
    ref = pd.DataFrame(case["estimates"]).fillna({"rhs": ""})
    table = ref.merge(fit.estimates, on=["lhs", "op", "rhs"], suffixes=("_ref", ""))
    free = table["se_ref"] > 0
    np.testing.assert_allclose(table.loc[free, "se"], table.loc[free, "se_ref"], rtol=1e-4)
    assert fit.n_obs == 200


@pytest.mark.parametrize("estimator", ["MLM", "MLMV"])
def test_invariance_ladder_difference_tests(data, estimator):
    # lavTestLRT's default: Satorra-Bentler (2001) for MLM, Satorra (2000) for MLMV (reference "ladders");
    # the chi-square differences at 1e-4 relative (lavaan's own optimiser stops at about 1e-5 of them)
    ref = REF["ladders"][estimator.lower()]
    ladder = pm.measurement_invariance(
        MODELS["hs"], data["hs"], group="school", levels=("configural", "metric", "scalar"), estimator=estimator
    )
    np.testing.assert_allclose(ladder.table["delta_chisq"][1:], ref["chisq_diff"][1:], rtol=1e-4)
    np.testing.assert_allclose(ladder.table["delta_df"][1:], ref["df_diff"][1:])
    np.testing.assert_allclose(ladder.table["delta_pvalue"][1:], ref["pvalue"][1:], atol=1e-4)
