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


# ---------------------------------------------------------------- cluster-robust MLR (cluster=)


@pytest.fixture(scope="module")
def services(survey):
    """The survey with the R script's stand-in cluster id: site:role:k, k = running number within site and role
    (from 0) // 6."""
    k = survey.groupby(["site", "role"]).cumcount() // 6
    return survey.assign(service=survey["site"] + ":" + survey["role"] + ":" + k.astype(str))


@pytest.mark.parametrize("case, options", [("ps_mlr_cluster", {}), ("ps_mlr_cluster_fiml", {"missing": "fiml"})])
def test_cluster_robust_mlr(services, case, options):
    fit = pm.cfa(MODELS["ps"], services, estimator="MLR", cluster="service", **options)
    assert CASES[case]["options"]["se"] == "robust.cluster"
    check_case(fit, case)


def test_cluster_robust_mlr_across_sites(services):
    with pytest.warns(UserWarning):  # a Heywood case at one site, as lavaan warns
        fit = pm.cfa(MODELS["ps"], services, estimator="MLR", cluster="service", group="site")
    check_case(fit, "ps_mlr_cluster_sites")


def test_clusters_change_only_the_robust_parts(services):
    plain = pm.cfa(MODELS["ps"] + "\noc1 ~ 1", services, estimator="MLR")  # intercepts: the same mean structure
    clustered = pm.cfa(MODELS["ps"], services, estimator="MLR", cluster="service")
    keys = ["lhs", "op", "rhs"]
    both = plain.estimates.merge(clustered.estimates, on=keys, suffixes=("", "_cluster"))
    assert len(both) == len(clustered.estimates)
    np.testing.assert_allclose(both["est"], both["est_cluster"], atol=1e-6)
    assert plain.fit_measures["chisq"] == pytest.approx(clustered.fit_measures["chisq"], rel=1e-8)
    assert plain.fit_measures["chisq_scaled"] != pytest.approx(clustered.fit_measures["chisq_scaled"], rel=1e-3)


def check_ladder(result, ladder: dict) -> None:
    for level, expected in ladder["fit"].items():
        check_fit_measures(result.fits[level], expected)
    lrt = ladder["lrt"]
    np.testing.assert_allclose(result.table["delta_chisq"].iloc[1:], lrt["chisq_diff"][1:], rtol=1e-5)
    np.testing.assert_allclose(result.table["delta_df"].iloc[1:], lrt["df_diff"][1:])
    np.testing.assert_allclose(result.table["delta_pvalue"].iloc[1:], lrt["pvalue"][1:], rtol=1e-4, atol=1e-6)


def test_invariance_ladder_with_clusters(services):
    """lavTestLRT(configural, metric, scalar) of the MLR fits with cluster = "service" (satorra.bentler.2001).
    The configural fit has a negative residual variance at one site (as in lavaan); its scaled chi-square agrees
    with lavaan's (numerical Hessian) to 5e-6 relative, hence the p-values to 1e-6 absolute."""
    with pytest.warns(UserWarning):
        result = pm.measurement_invariance(
            MODELS["ps"],
            services,
            "site",
            levels=("configural", "metric", "scalar"),
            estimator="MLR",
            cluster="service",
        )
    check_ladder(result, REF["ladders"]["ps_site_mlr_cluster"])


def test_ordinal_invariance_ladder_on_pairwise_data(bfi):
    """semTools' Wu & Estabrook ladder fitted by lavaan with missing = "pairwise"; lavTestLRT (satorra.2000)."""
    result = pm.measurement_invariance(MODELS["ac"], bfi, "gender", ordered=ITEMS["ac"], missing="pairwise")
    assert result.fits["configural"].n_obs == {1: 919, 2: 1881}
    check_ladder(result, REF["ladders"]["bfi_gender_pairwise"])


def test_cluster_is_checked(services):
    with pytest.raises(ModelError, match="estimator='MLR'"):
        pm.cfa(MODELS["ps"], services, cluster="service")
    with pytest.raises(ModelError, match="not available for ordered items"):
        pm.cfa(MODELS["ps"], services, ordered=ITEMS["ps"], missing="pairwise", cluster="service")
    with pytest.raises(DataError, match="cluster column 'clinic' is not in the data"):
        pm.cfa(MODELS["ps"], services, estimator="MLR", cluster="clinic")
    with pytest.raises(DataError, match="missing in row 3"):
        pm.cfa(
            MODELS["ps"],
            services.assign(service=services["service"].mask(services.index == 3)),
            estimator="MLR",
            cluster="service",
        )
    with pytest.raises(DataError, match="also the group column"):
        pm.cfa(MODELS["ps"], services, estimator="MLR", cluster="site", group="site")


# ---------------------------------------------------------------- sampling weights (sampling_weights=)


@pytest.fixture(scope="module")
def weighted_hs():
    """Holzinger-Swineford with the R script's deterministic weights w = 1 + (id mod 4) / 2."""
    hs = pm.datasets.load("holzinger_swineford")
    return hs.assign(w=1 + (hs["id"] % 4) / 2)


@pytest.mark.parametrize("estimator, case", [("ML", "hs_weighted_ml"), ("MLR", "hs_weighted_mlr")])
def test_sampling_weights(weighted_hs, estimator, case):
    fit = pm.cfa(MODELS["hs"], weighted_hs, sampling_weights="w", estimator=estimator)
    assert CASES[case]["options"]["se"] == "robust.huber.white"  # lavaan: weights make ML's SEs robust
    assert fit.n_obs == 301
    check_case(fit, case)


def test_sampling_weights_are_normalised(weighted_hs):
    scaled = pm.cfa(MODELS["hs"], weighted_hs.assign(w=weighted_hs["w"] * 7.5), sampling_weights="w")
    check_case(scaled, "hs_weighted_ml")


def test_sampling_weights_across_groups(weighted_hs):
    fit = pm.cfa(MODELS["hs"], weighted_hs, sampling_weights="w", group="school")
    assert fit.n_obs == dict(zip(fit.groups, CASES["hs_weighted_school"]["nobs"]))  # cases, not weight sums
    check_case(fit, "hs_weighted_school")


def test_sampling_weights_with_clusters(services):
    data = services.assign(w=1 + (np.arange(1, len(services) + 1) % 3) / 2)
    fit = pm.cfa(MODELS["ps"], data, sampling_weights="w", cluster="service", estimator="MLR")
    check_case(fit, "ps_weighted_cluster")


def test_sampling_weights_are_checked(weighted_hs, survey):
    with pytest.raises(DataError, match="'wt' is not in the data"):
        pm.cfa(MODELS["hs"], weighted_hs, sampling_weights="wt")
    with pytest.raises(DataError, match="has the value -1.0 in row 0"):
        pm.cfa(
            MODELS["hs"],
            weighted_hs.assign(w=weighted_hs["w"].mask(weighted_hs.index == 0, -1.0)),
            sampling_weights="w",
        )
    with pytest.raises(ModelError, match="not with ordered items"):
        pm.cfa(MODELS["ps"], survey.assign(w=1.0), ordered=ITEMS["ps"], sampling_weights="w")
