"""CFA on survey data as collected (issue 14) against lavaan 0.6-14: ordinal items with pairwise-present answers.

Source: tests/reference/cfa_survey.json written by tests/reference/cfa_survey.R (R 4.2.2, lavaan 0.6-14,
semTools 0.5-6; each case stores its R call): bfi agreeableness and conscientiousness items A1-A5, C1-C5 and the
peer-support survey's oc1-oc4, tr1-tr3 as ordered with ``missing = "pairwise"`` (WLSMV, ULSMV; one group and across
gender). Tolerances: 1e-5 relative on the chi-squares, 1e-4 absolute on indices, estimates and standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load_reference
from test_cfa import check_estimates
from test_cfa_ordinal import check_fit_measures

import psychometrics as pm
from psychometrics.errors import DataError, ModelError

REF = load_reference("cfa_survey.json")
MODELS = REF["models"]
ITEMS = REF["items"]
CASES = REF["cases"]


@pytest.fixture(scope="module")
def bfi():
    return pm.datasets.load("bfi")


@pytest.fixture(scope="module")
def survey():
    return pm.datasets.load("peer_support_survey")


def check_case(fit, name: str) -> None:
    case = CASES[name]
    check_fit_measures(fit, case["fit"])
    if "estimates" in case:
        check_estimates(fit, case)


@pytest.mark.parametrize("estimator, case", [("WLSMV", "bfi_pairwise"), ("ULSMV", "bfi_pairwise_ulsmv")])
def test_pairwise_ordinal_bfi(bfi, estimator, case):
    fit = pm.cfa(MODELS["ac"], bfi, ordered=ITEMS["ac"], missing="pairwise", estimator=estimator)
    assert CASES[case]["options"]["missing"] == "pairwise"
    assert fit.n_obs == CASES[case]["nobs"][0] == 2800  # every respondent, not the 2632 complete cases
    check_case(fit, case)


def test_pairwise_ordinal_survey(survey):
    fit = pm.cfa(MODELS["ps"], survey, ordered=ITEMS["ps"], missing="pairwise")
    assert fit.n_obs == 489
    check_case(fit, "ps_pairwise")


def test_pairwise_ordinal_groups(bfi):
    fit = pm.cfa(MODELS["ac"], bfi, ordered=ITEMS["ac"], missing="pairwise", group="gender")
    assert fit.n_obs == dict(zip(fit.groups, CASES["bfi_pairwise_gender"]["nobs"]))
    check_case(fit, "bfi_pairwise_gender")


def test_pairwise_on_complete_data_is_listwise(bfi):
    complete = bfi.dropna(subset=ITEMS["ac"])
    pairwise = pm.cfa(MODELS["ac"], complete, ordered=ITEMS["ac"], missing="pairwise")
    listwise = pm.cfa(MODELS["ac"], complete, ordered=ITEMS["ac"])
    assert pairwise.fit_measures["chisq_scaled"] == pytest.approx(listwise.fit_measures["chisq_scaled"], rel=1e-12)


def test_pairwise_drops_rows_without_answers_and_keeps_the_frame(survey):
    data = survey.copy()
    data.loc[:4, ITEMS["ps"]] = np.nan
    before = data.copy()
    fit = pm.cfa(MODELS["ps"], data, ordered=ITEMS["ps"], missing="pairwise")
    assert fit.n_obs == len(data) - 5
    assert data.equals(before)


def test_pairwise_needs_ordered_items(survey):
    with pytest.raises(DataError, match="missing='pairwise' is for ordered items"):
        pm.cfa(MODELS["ps"], survey, missing="pairwise")
    with pytest.raises(ModelError, match="use 'pairwise'"):
        pm.cfa(MODELS["ps"], survey, ordered=ITEMS["ps"], missing="fiml")
