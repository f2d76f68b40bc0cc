"""CFA of ordinal items (WLSMV) against lavaan 0.6-14 and semTools 0.5-6.

Source: tests/reference/cfa_ordinal.json written by tests/reference/cfa_ordinal.R (R 4.2.2, lavaan 0.6-14,
semTools 0.5-6; each case stores its R call): bfi agreeableness and conscientiousness items A1-A5, C1-C5 as ordered
(listwise), one group and across gender. Tolerances: 1e-5 relative on the chi-squares, 1e-4 absolute on indices,
estimates (thresholds included) and standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_reference
from test_cfa import check_estimates

import psychometrics as pm
from psychometrics.errors import DataError, ModelError

REF = load_reference("cfa_ordinal.json")
MODELS = REF["models"]
ITEMS = REF["items"]
CASES = REF["cases"]
RELATIVE = {"chisq", "chisq.scaled", "baseline.chisq", "baseline.chisq.scaled"}
AC_GENDER = {
    "gender_configural": (),
    "gender_thresholds": ("thresholds",),
    "gender_thresholds_loadings": ("thresholds", "loadings"),
    "gender_thresholds_loadings_intercepts": ("thresholds", "loadings", "intercepts"),
}


@pytest.fixture(scope="module")
def bfi():
    return pm.datasets.load("bfi")


@pytest.fixture(scope="module")
def ac_fit(bfi):
    return pm.cfa(MODELS["ac"], bfi, ordered=ITEMS)


def check_fit_measures(result, expected: dict) -> None:
    for key, value in expected.items():
        mine = result.fit_measures[key.replace(".", "_")]
        if value is None:
            assert np.isnan(mine), key
        elif key in RELATIVE:
            assert mine == pytest.approx(value, rel=1e-5), key
        else:
            assert mine == pytest.approx(value, abs=1e-4), key


def test_options_are_lavaans_wlsmv():
    assert CASES["ac"]["options"] == {
        "estimator": "DWLS",
        "test": "scaled.shifted",
        "se": "robust.sem",
        "parameterization": "delta",
        "missing": "listwise",
    }


def test_single_group_fit_measures(ac_fit):
    check_fit_measures(ac_fit, CASES["ac"]["fit"])
    assert ac_fit.estimator == "WLSMV"
    assert ac_fit.n_obs == 2632
    assert np.isnan(ac_fit.fit_measures["aic"])


def test_single_group_estimates_thresholds_and_ses(ac_fit):
    check_estimates(ac_fit, CASES["ac"])
    thresholds = ac_fit.estimates[ac_fit.estimates["op"] == "|"]
    assert len(thresholds) == 50
    assert list(thresholds["rhs"][:5]) == ["t1", "t2", "t3", "t4", "t5"]
    assert list(ac_fit.estimates["op"].drop_duplicates()) == ["=~", "|", "~~", "~*~", "~1"]


def test_ordered_true_equals_the_list_of_items(bfi, ac_fit):
    fit = pm.cfa(MODELS["ac"], bfi, ordered=True, estimator="WLSMV")
    assert fit.fit_measures["chisq_scaled"] == pytest.approx(ac_fit.fit_measures["chisq_scaled"], rel=1e-12)


def test_sample_and_implied_correlations(ac_fit):
    implied = ac_fit.implied_cov()
    np.testing.assert_allclose(np.diag(implied), 1.0)
    assert ac_fit.sample_cov().loc["A1", "A2"] == pytest.approx(-0.4101778, abs=1e-6)  # lavInspect(fit, "sampstat")
    residual = ac_fit.residuals().to_numpy()
    assert np.abs(np.diag(residual)).max() < 1e-12


def test_std_lv_and_correlated_residual(bfi):
    fit = pm.cfa(MODELS["ac_corr"], bfi, ordered=ITEMS, std_lv=True)
    check_fit_measures(fit, CASES["ac_corr_std_lv"]["fit"])
    check_estimates(fit, CASES["ac_corr_std_lv"])


@pytest.mark.parametrize("case", list(AC_GENDER))
def test_multi_group_as_lavaan_group_equal(bfi, case):
    fit = pm.cfa(MODELS["ac"], bfi, ordered=ITEMS, group="gender", group_equal=AC_GENDER[case])
    check_fit_measures(fit, CASES[case]["fit"])
    check_estimates(fit, CASES[case])


def test_input_frame_is_not_modified(bfi):
    before = bfi.copy()
    pm.cfa(MODELS["ac"], bfi, ordered=ITEMS)
    pd.testing.assert_frame_equal(bfi, before)


def test_item_with_a_single_category_is_rejected(bfi):
    data = bfi.assign(A1=3)
    with pytest.raises(DataError, match="'A1' has a single observed category"):
        pm.cfa(MODELS["ac"], data, ordered=ITEMS)


def test_category_missing_in_one_group_is_rejected(bfi):
    data = bfi.copy()
    data.loc[(data["gender"] == 2) & (data["C3"] == 1), "C3"] = 2
    with pytest.raises(DataError, match="'C3': category 1 is observed in other groups but not in group 2"):
        pm.cfa(MODELS["ac"], data, ordered=ITEMS, group="gender")


def test_mixed_ordinal_and_continuous_indicators_are_rejected(bfi):
    with pytest.raises(ModelError, match=r"\['C5'\] are not ordered"):
        pm.cfa(MODELS["ac"], bfi, ordered=ITEMS[:-1])


def test_non_numeric_items_and_other_estimators_are_rejected(bfi):
    with pytest.raises(DataError, match="'A2' must hold numeric category codes"):
        pm.cfa(MODELS["ac"], bfi.assign(A2=bfi["A2"].astype(str)), ordered=ITEMS)
    with pytest.raises(ModelError, match="estimator 'MLR' is not available for ordered items"):
        pm.cfa(MODELS["ac"], bfi, ordered=ITEMS, estimator="MLR")


@pytest.fixture(scope="module")
def ladder(bfi):
    return pm.measurement_invariance(MODELS["ac"], bfi, group="gender", ordered=ITEMS, std_lv=True)


def test_invariance_ladder_follows_wu_estabrook(ladder):
    assert list(ladder.table.index) == ["configural", "thresholds", "metric", "scalar"]
    assert ladder.constraints["metric"] == ("thresholds", "loadings")
    for level, fit in ladder.fits.items():
        check_fit_measures(fit, CASES[f"ladder_{level}"]["fit"])
    check_estimates(ladder.fits["thresholds"], CASES["ladder_thresholds"])


def test_invariance_ladder_scaled_difference_tests(ladder):
    """lavTestLRT(configural, thresholds, metric, scalar): method "satorra.2000", scaled and shifted."""
    expected = pd.DataFrame(REF["ladder_lrt"]).set_index("level")
    assert "satorra.2000" in REF["lrt_method"]
    np.testing.assert_allclose(ladder.table["delta_chisq"][1:], expected["delta_chisq"][1:], rtol=1e-5)
    np.testing.assert_allclose(ladder.table["delta_df"][1:], expected["delta_df"][1:])
    np.testing.assert_allclose(ladder.table["delta_pvalue"][1:], expected["delta_pvalue"][1:], atol=1e-6)
    assert ladder.table.loc["thresholds", "cfi_scaled"] == pytest.approx(
        CASES["ladder_thresholds"]["fit"]["cfi.scaled"], abs=1e-4
    )


def test_invariance_ladder_with_three_groups(bfi):
    ages = bfi[(bfi["age"] >= 10) & (bfi["age"] < 40)]
    ladder = pm.measurement_invariance(
        MODELS["ac"], ages.assign(agegrp=ages["age"] // 10), group="agegrp", ordered=True
    )
    assert [str(g) for g in ladder.fits["scalar"].groups] == CASES["age_ladder_scalar"]["groups"]
    for level, fit in ladder.fits.items():
        check_fit_measures(fit, CASES[f"age_ladder_{level}"]["fit"])
    expected = pd.DataFrame(REF["age_ladder_lrt"]).set_index("level")
    np.testing.assert_allclose(ladder.table["delta_chisq"][1:], expected["delta_chisq"][1:], rtol=1e-5)


def test_invariance_ladder_does_not_depend_on_the_identification(bfi, ladder):
    marker = pm.measurement_invariance(MODELS["ac"], bfi, group="gender", ordered=True)
    np.testing.assert_allclose(marker.table["chisq_scaled"], ladder.table["chisq_scaled"], rtol=1e-6)
    np.testing.assert_allclose(marker.table["delta_chisq"][1:], ladder.table["delta_chisq"][1:], rtol=1e-6)


def test_modification_indices_are_refused_clearly(ac_fit, ladder):
    with pytest.raises(ModelError, match="not available for ordered items"):
        ac_fit.modification_indices()
    with pytest.raises(ModelError, match="ordered items"):
        ladder.partial_suggestions()


def test_binary_items_with_an_empty_cell(bfi):
    """lavaan corrects a 2 x 2 table with one empty cell (zero.add = c(0.5, 0), margins kept)."""
    binary = (bfi[ITEMS].dropna() >= 5).astype(int)
    binary = binary[~((binary["A1"] == 1) & (binary["C2"] == 1))]
    fit = pm.cfa(MODELS["ac"], binary, ordered=True)
    check_fit_measures(fit, CASES["binary_zero_cell"]["fit"])
    check_estimates(fit, CASES["binary_zero_cell"])
    with pytest.raises(DataError, match="'A1' and 'C2' have two empty cells"):
        pm.cfa(MODELS["ac"], binary[binary["A1"] + binary["C2"] > 0], ordered=True)


def test_partial_threshold_invariance(bfi):
    fit = pm.cfa(
        MODELS["ac"],
        bfi,
        ordered=ITEMS,
        group="gender",
        group_equal=["thresholds", "loadings"],
        group_partial=["A1 | t1", "C5|t5", "consc =~ C4"],
    )
    check_fit_measures(fit, CASES["gender_partial"]["fit"])
    check_estimates(fit, CASES["gender_partial"])


def test_ordered_categoricals_and_an_empty_ordered_list(bfi, ac_fit):
    labels = [
        "very inaccurate",
        "moderately inaccurate",
        "slightly inaccurate",
        "slightly accurate",
        "moderately accurate",
        "very accurate",
    ]
    answers = bfi["A3"].map(dict(enumerate(labels, start=1)))
    recoded = bfi.assign(A3=pd.Categorical(answers, categories=labels, ordered=True))
    assert recoded["A3"].dtype.ordered
    fit = pm.cfa(MODELS["ac"], recoded, ordered=ITEMS)
    assert fit.fit_measures["chisq_scaled"] == pytest.approx(ac_fit.fit_measures["chisq_scaled"], rel=1e-10)
    assert pm.cfa(MODELS["ac"], bfi, ordered=[]).estimator == "ML"
