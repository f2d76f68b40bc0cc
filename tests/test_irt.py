"""Item response theory (issue 18): psychometrics.irt and psychometrics.dif.

Sources:
- tests/reference/irt_published.json (+ .md): printed mirt and ltm results for the LSAT sections 6 and 7 (Bock &
  Lieberman 1970 data), each entry naming its source (mirt test suite at commit 2fc2b23, ltm summaries); all in
  the logistic metric. Compared at their printed precision, with the exceptions the JSON and the tests explain.
- tests/reference/irt.json written by tests/reference/irt.R (R 4.2.2, eRm 1.0.2): conditional ML Rasch estimates.
- tests/reference/irt_rasch_mml.json written by tests/reference/irt_rasch_mml.R (R 4.2.2, lme4 1.1-31): the LSAT6 1PL by
  marginal ML (glmer, adaptive quadrature).
- Seeded simulations: parameter recovery within 3 standard errors; consistency with the ordinal CFA (WLSMV).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_reference

import psychometrics as pm
from psychometrics.errors import DataError, ModelError, PsychometricsError

PUBLISHED = load_reference("irt_published.json")
ERM = load_reference("irt.json")
GLMER = load_reference("irt_rasch_mml.json")


MIRT_TOL = 1e-4  # mirt's EM stops when no parameter changes by more than TOL = 1e-4


def within_printed(mine, printed, decimals: int, slack: float = 0.0) -> None:
    """|mine - printed| <= half a unit of the last printed decimal (+ the printing program's own convergence
    tolerance ``slack``, + float noise)."""
    np.testing.assert_allclose(
        np.asarray(mine, float), np.asarray(printed, float), rtol=0, atol=0.5 * 10.0**-decimals + slack + 1e-9
    )


def simulate_grm(n: int, slopes, thresholds, seed: int) -> pd.DataFrame:
    """Graded responses (coded 1..K) of n respondents with theta ~ N(0, 1); thresholds are b's (J, K-1)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(n, 1, 1))
    slopes, thresholds = np.asarray(slopes, float), np.asarray(thresholds, float)
    at_least = 1 / (1 + np.exp(-slopes[None, :, None] * (theta - thresholds[None])))
    answers = (rng.uniform(size=(n, len(slopes), 1)) < at_least).sum(axis=2)
    return pd.DataFrame(answers + 1, columns=[f"i{j + 1}" for j in range(len(slopes))])


@pytest.fixture(scope="module")
def lsat6():
    return pm.datasets.load("lsat6")


@pytest.fixture(scope="module")
def lsat7():
    return pm.datasets.load("lsat7")


@pytest.fixture(scope="module")
def lsat7_2pl(lsat7):
    return pm.irt(lsat7, "2pl")


@pytest.fixture(scope="module")
def lsat6_2pl(lsat6):
    return pm.irt(lsat6, "2pl")


# ------------------------------------------------------------------------------------- published LSAT values


def test_lsat7_2pl_matches_mirt(lsat7_2pl):
    ref = PUBLISHED["lsat7_2pl_mirt"]
    within_printed(lsat7_2pl.items["slope"], ref["slope"], 4, MIRT_TOL)
    within_printed(lsat7_2pl.items["intercept"], ref["intercept"], 4, MIRT_TOL)
    within_printed(lsat7_2pl.loglik, PUBLISHED["lsat7_2pl_loglik_mirt"]["loglik"], 3)


def test_lsat7_2pl_standard_errors_match_mirt_richardson(lsat7_2pl):
    """mirt's Richardson SEs (CI half-widths / 1.96) were computed at its default-tolerance estimates, which for
    the steepest item 3 stop 1.5e-3 short (slope 1.706 vs 1.7075): items 1, 2, 4, 5 agree to 1e-4, item 3 to 1e-3."""
    ref = PUBLISHED["lsat7_2pl_mirt"]
    for column, key in (("se_slope", "richardson_ci_slope"), ("se_intercept", "richardson_ci_intercept")):
        ci = np.asarray(ref[key])
        se = (ci[:, 1] - ci[:, 0]) / (2 * 1.959963984540054)
        mine = lsat7_2pl.items[column].to_numpy()
        np.testing.assert_allclose(np.delete(mine, 2), np.delete(se, 2), atol=1e-4)
        assert mine[2] == pytest.approx(se[2], abs=1e-3)


def test_standard_errors_are_the_observed_information(lsat7_2pl):
    """Louis's Hessian equals central second differences of the marginal log-likelihood."""
    problem, free = lsat7_2pl._problem, lsat7_2pl._fit.free

    def loglik(x):
        return problem.estep(problem.pmap.full(x)).loglik

    h, n = 1e-4, len(free)
    steps = np.eye(n) * h
    numeric = np.array(
        [
            [
                (
                    loglik(free + steps[i] + steps[j])
                    - loglik(free + steps[i] - steps[j])
                    - loglik(free - steps[i] + steps[j])
                    + loglik(free - steps[i] - steps[j])
                )
                / (4 * h * h)
                for j in range(n)
            ]
            for i in range(n)
        ]
    )
    np.testing.assert_allclose(lsat7_2pl._fit.hessian, numeric, atol=1e-3)


def test_lsat7_1pl_matches_mirt(lsat7):
    ref = PUBLISHED["lsat7_1pl_mirt"]
    fit = pm.irt(lsat7, "1pl")
    within_printed(fit.items["slope"], [ref["slope"]] * 5, ref["decimals"], MIRT_TOL)
    within_printed(fit.items["intercept"], ref["intercept"], ref["decimals"], MIRT_TOL)


def test_lsat6_rasch_matches_mirt(lsat6):
    ref = PUBLISHED["lsat6_rasch_mirt"]
    fit = pm.irt(lsat6, "rasch")
    within_printed(fit.items["intercept"], ref["intercept"], ref["intercept_decimals"], MIRT_TOL)
    within_printed(fit.groups.loc["all", "variance"], ref["variance"], ref["variance_decimals"], MIRT_TOL)
    assert (fit.items["a"] == 1).all() and fit.items["se_a"].isna().all()


def test_lsat6_2pl_loglik_and_criteria_match_ltm(lsat6_2pl):
    ref = PUBLISHED["lsat6_2pl_ltm"]
    within_printed([lsat6_2pl.loglik, lsat6_2pl.aic, lsat6_2pl.bic], [ref["loglik"], ref["aic"], ref["bic"]], 3)


def test_lsat6_1pl_matches_ltm_rasch(lsat6):
    ref = PUBLISHED["lsat6_1pl_ltm"]
    fit = pm.irt(lsat6, "1pl")
    within_printed(fit.items["b"], ref["difficulty"], 4)
    within_printed(fit.items["se_b"], ref["se_difficulty"], 4)
    within_printed(fit.items["a"], [ref["discrimination"]] * 5, 4)
    within_printed(fit.items["se_a"], [ref["se_discrimination"]] * 5, 4)
    within_printed(fit.loglik, ref["loglik"], 3)


def test_lsat6_1pl_matches_glmer_mml(lsat6):
    # R: lme4 1.1-31 glmer(x ~ 0 + item + (1 | person), binomial, nAGQ = 25) (tests/reference/irt_rasch_mml.R):
    # the 1PL with a = sd of the person effect and b = -intercept / a.
    ref = GLMER
    fit = pm.irt(lsat6, "1pl")
    np.testing.assert_allclose(fit.items["b"], ref["b"], atol=1e-4)
    np.testing.assert_allclose(fit.items["a"], ref["a"], atol=1e-4)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=1e-4)


def test_rasch_and_1pl_are_the_same_model(lsat6):
    rasch, one = pm.irt(lsat6, "rasch"), pm.irt(lsat6, "1pl")
    assert rasch.loglik == pytest.approx(one.loglik, abs=1e-6)
    assert rasch.groups.loc["all", "variance"] == pytest.approx(one.items["a"].iloc[0] ** 2, abs=1e-5)
    np.testing.assert_allclose(rasch.items["intercept"], one.items["intercept"], atol=1e-5)
    assert rasch.m2().m2 == pytest.approx(one.m2().m2, abs=1e-5)


def test_s_x2_matches_mirt_itemfit(lsat6_2pl):
    ref = PUBLISHED["lsat6_2pl_sx2_mirt"]
    fit = lsat6_2pl.item_fit()
    within_printed(fit.loc["Q1", "pvalue"], ref["p_sx2_item1"], ref["decimals"])
    assert list(fit.columns) == ["s_x2", "df", "rmsea", "pvalue"]


def test_m2_degrees_of_freedom(lsat6_2pl, lsat6):
    m2 = lsat6_2pl.m2()
    assert m2.df == 15 - 10 and 0 < m2.pvalue < 1 and m2.rmsea_2 >= 0
    assert pm.irt(lsat6, "1pl").m2().df == 9


@pytest.mark.parametrize("name", ["lsat6", "lsat7"])
def test_rasch_mml_agrees_with_erm_cml(name):
    """eRm's conditional estimates and the marginal ones coincide up to sampling error: centred difficulties
    within a tenth of eRm's standard errors (the two estimators differ by O(1/n), here about 1e-3)."""
    ref = ERM[name]
    b = pm.irt(pm.datasets.load(name), "rasch").items["b"].to_numpy()
    centred = b - b.mean()
    assert np.all(np.abs(centred - ref["difficulty"]) < 0.1 * np.asarray(ref["se_difficulty"]))


# ------------------------------------------------------------------------------------ scores and information


def test_map_scores_and_information_formulas(lsat6_2pl, lsat6):
    scores = lsat6_2pl.scores("map")
    assert scores.index.equals(lsat6.index) and list(scores.columns) == ["theta", "se"]
    a, b = lsat6_2pl.items["a"].to_numpy(), lsat6_2pl.items["b"].to_numpy()
    first = lsat6.iloc[0].to_numpy()  # all wrong: the mode solves sum(x - P) = theta
    theta = scores["theta"].iloc[0]
    p = 1 / (1 + np.exp(-a * (theta - b)))
    assert np.sum(a * (first - p)) - theta == pytest.approx(0, abs=1e-8)
    assert scores["se"].iloc[0] == pytest.approx(1 / np.sqrt(np.sum(a**2 * p * (1 - p)) + 1), abs=1e-10)
    info = lsat6_2pl.information([theta])
    np.testing.assert_allclose(info[lsat6.columns].to_numpy()[0], a**2 * p * (1 - p), atol=1e-12)
    assert info["test"].iloc[0] == pytest.approx(np.sum(a**2 * p * (1 - p)), abs=1e-12)


def test_eap_scores_are_posterior_moments(lsat6_2pl):
    eap = lsat6_2pl.scores("eap")
    grid = np.linspace(-6, 6, 61)
    a, d = lsat6_2pl.items["slope"].to_numpy(), lsat6_2pl.items["intercept"].to_numpy()
    p = 1 / (1 + np.exp(-(np.outer(grid, a) + d)))
    post = np.prod(p, axis=1) * np.exp(-(grid**2) / 2)  # last respondent answered every item correctly
    post /= post.sum()
    assert eap["theta"].iloc[-1] == pytest.approx(post @ grid, abs=1e-10)
    assert eap["se"].iloc[-1] == pytest.approx(np.sqrt(post @ grid**2 - (post @ grid) ** 2), abs=1e-10)


def test_expected_score_and_reliability(lsat6_2pl):
    curve = lsat6_2pl.expected_score([0.0])
    intercept = lsat6_2pl.items["intercept"].to_numpy()
    np.testing.assert_allclose(curve.iloc[0, :5], 1 / (1 + np.exp(-intercept)), atol=1e-12)
    assert curve["total"].iloc[0] == pytest.approx(curve.iloc[0, :5].sum())
    # mirt's marginal_rxx: the N(0, 1) mean of I / (I + 1), here by a fine Riemann sum
    grid = np.linspace(-8, 8, 16001)
    info = lsat6_2pl.information(grid)["test"].to_numpy()
    density = np.exp(-(grid**2) / 2) / np.sqrt(2 * np.pi)
    expected = np.sum(info / (info + 1) * density) * (grid[1] - grid[0])
    assert lsat6_2pl.marginal_reliability() == pytest.approx(expected, abs=1e-8)


def test_result_is_serialisable(lsat6_2pl):
    as_dict = lsat6_2pl.to_dict()
    assert {"items", "groups", "loglik", "aic", "bic"} <= set(as_dict)
    assert "_data" not in as_dict and "IRTResult(" in repr(lsat6_2pl)


# --------------------------------------------------------------------------------------- simulated recovery


def test_grm_recovers_known_parameters():
    slopes = [0.8, 1.2, 1.6, 2.0, 1.0, 1.4]
    thresholds = [
        [-1.5, -0.5, 0.5, 1.5],
        [-2.0, -1.0, 0.0, 1.0],
        [-1.0, -0.2, 0.6, 1.4],
        [-1.2, -0.4, 0.4, 1.2],
        [-0.5, 0.0, 0.8, 2.0],
        [-1.8, -0.6, 0.2, 0.9],
    ]
    data = simulate_grm(4000, slopes, thresholds, seed=18)
    fit = pm.irt(data, "grm")
    items = fit.items
    assert np.all(np.abs(items["a"] - slopes) < 3 * items["se_a"])
    b = items[[f"b{k}" for k in range(1, 5)]].to_numpy()
    se = items[[f"se_b{k}" for k in range(1, 5)]].to_numpy()
    assert np.all(np.abs(b - np.asarray(thresholds)) < 3 * se)
    np.testing.assert_allclose(items["b1"], -items["intercept1"] / items["slope"])


def test_2pl_with_missing_answers_matches_mirt(lsat7):
    """mirt test 'dich': data[1, 1] <- data[2, 2] <- NA (answers skipped in the likelihood). Printed to 3
    decimals; mirt's default EM stopping rule leaves item 3 about 2e-3 short, as in the complete-data fit."""
    expected = [0.969, 1.851, 1.074, 0.808, 1.717, 1.811, 0.763, 0.486, 0.731, 1.852]
    data = lsat7.astype(float)
    data.iloc[0, 0] = data.iloc[1, 1] = np.nan
    fit = pm.irt(data, "2pl")
    mine = fit.items[["slope", "intercept"]].to_numpy().ravel()
    np.testing.assert_allclose(np.delete(mine, [4, 5]), np.delete(expected, [4, 5]), atol=5e-4 + 1e-9)
    np.testing.assert_allclose(mine[[4, 5]], np.asarray(expected)[[4, 5]], atol=2.5e-3)


def test_consistent_with_ordinal_cfa():
    """Normal-ogive slopes a = 1.702 lambda / sqrt(1 - lambda^2) and thresholds b = tau / lambda from the WLSMV
    loadings agree with the logistic GRM within 3 standard errors (the 1.702 scaling is approximate)."""
    slopes = [1.0, 1.5, 2.0, 1.2, 0.9]
    thresholds = [[-1.0, 0.0, 1.0], [-1.5, -0.5, 0.8], [-0.8, 0.2, 1.2], [-1.2, 0.1, 0.9], [-0.5, 0.5, 1.5]]
    data = simulate_grm(3000, slopes, thresholds, seed=7)
    items = pm.irt(data, "grm").items
    cfa = pm.cfa("f =~ " + " + ".join(data.columns), data, ordered=list(data.columns), std_lv=True).estimates
    loadings = cfa[cfa["op"] == "=~"].set_index("rhs")["std_all"]
    a_cfa = 1.702 * loadings / np.sqrt(1 - loadings**2)
    assert np.all(np.abs(items["a"] - a_cfa[items.index]) < 3 * items["se_a"])
    taus = cfa[cfa["op"] == "|"]
    for k in range(1, 4):
        tau = taus[taus["rhs"] == f"t{k}"].set_index("lhs")["std_all"]
        b_cfa = tau[items.index] / loadings[items.index]
        assert np.all(np.abs(items[f"b{k}"] - b_cfa) < 3 * items[f"se_b{k}"])


# ------------------------------------------------------------------------------------- groups and DIF


def _dif_data(seed: int = 5) -> pd.DataFrame:
    """Two groups of 1500; item i4 is harder by 0.8 in the focal group, whose mean is 0.3 higher."""
    slopes = [1.2, 1.5, 1.0, 1.3, 1.1, 1.6]
    thresholds = np.array(
        [[-1.0, 0.0, 1.0], [-1.2, -0.2, 0.8], [-0.8, 0.2, 1.2], [-1.0, 0.0, 1.0], [-0.6, 0.4, 1.4], [-1.4, -0.4, 0.6]]
    )
    reference = simulate_grm(1500, slopes, thresholds, seed=seed)
    shifted = thresholds.copy()
    shifted[3] += 0.8
    focal = simulate_grm(1500, slopes, shifted - 0.3, seed=seed + 1)
    focal.iloc[:, [0, 1, 2, 4, 5]] = simulate_grm(1500, slopes, thresholds - 0.3, seed=seed + 1).iloc[
        :, [0, 1, 2, 4, 5]
    ]
    data = pd.concat([reference, focal], ignore_index=True)
    data["site"] = ["A"] * 1500 + ["B"] * 1500
    return data


def test_dif_flags_the_shifted_item():
    result = pm.dif(_dif_data(), "site", model="grm")
    assert isinstance(result, pm.DIFResult)
    assert {"chisq", "df", "pvalue", "p_adjusted"} <= set(result.columns)
    assert list(result.index) == [f"i{j}" for j in range(1, 7)]
    assert (result["df"] == 4).all()
    assert result.loc["i4", "p_adjusted"] < 1e-6
    assert result.loc["i4", "esd_B"] < -0.3  # harder in the focal group: lower expected score
    assert (result["p_adjusted"] >= result["pvalue"] - 1e-15).all()


def test_multiple_group_model_with_anchors_estimates_group_mean():
    data = _dif_data()
    anchors = ["i1", "i2", "i3", "i5", "i6"]
    fit = pm.irt(data.drop(columns="site"), "grm", group=data["site"], anchors=anchors)
    groups = fit.groups
    assert groups.loc["A", "mean"] == 0 and np.isnan(groups.loc["A", "se_mean"])
    assert abs(groups.loc["B", "mean"] - 0.3) < 3 * groups.loc["B", "se_mean"]
    assert fit.items.index.names == ["group", "item"]
    np.testing.assert_allclose(fit.items.loc[("A", "i1"), "a"], fit.items.loc[("B", "i1"), "a"])
    # the likelihood-ratio statistic of i4 equals the DIF table's when every other item is an anchor
    equal = pm.irt(data.drop(columns="site"), "grm", group=data["site"], anchors="all")
    dif = pm.dif(data, "site", items=["i4"])
    assert dif.loc["i4", "chisq"] == pytest.approx(2 * (fit.loglik - equal.loglik), abs=1e-6)


def test_dif_smoke_on_peer_support_survey():
    survey = pm.datasets.load("peer_support_survey")
    items = ["oc1", "oc2", "oc3"]
    answers = survey[items].where(survey[items] != 9)  # 9 = not applicable
    keep = answers.notna().any(axis=1)
    for column in ("site", "language"):
        result = pm.dif(answers[keep].assign(**{column: survey.loc[keep, column]}), column)
        table = result.to_frame()
        assert list(table.index) == items
        ok = table["note"] == ""
        assert ok.any()
        assert ((table.loc[ok, "pvalue"] >= 0) & (table.loc[ok, "pvalue"] <= 1)).all()
        assert table.loc[~ok, "note"].str.contains("never takes the value").all()


# ----------------------------------------------------------------------------------------------- bad input


def test_non_integer_answers_are_rejected(lsat6):
    data = lsat6.astype(float)
    data.iloc[3, 2] = 0.5
    with pytest.raises(DataError, match=r"'Q3' has the non-integer value 0.5 \(row 3\)"):
        pm.irt(data, "2pl")


def test_unused_category_is_rejected():
    data = pd.DataFrame({"x": [1, 2, 4, 4, 1, 2], "y": [1, 2, 3, 1, 2, 3], "z": [2, 1, 3, 3, 2, 1]})
    with pytest.raises(DataError, match="never category 3"):
        pm.irt(data)


def test_single_category_item_is_rejected(lsat6):
    data = lsat6.assign(Q6=1)
    with pytest.raises(DataError, match="constant"):
        pm.irt(data, "2pl")


def test_model_and_anchor_errors(lsat6):
    ordinal = pd.DataFrame({"x": [1, 2, 3, 1, 2, 3], "y": [1, 2, 3, 3, 2, 1]})
    with pytest.raises(ModelError, match="binary"):
        pm.irt(ordinal, "2pl")
    with pytest.raises(ModelError, match="not supported"):
        pm.irt(lsat6, "3pl")
    with pytest.raises(ModelError, match="anchors need groups"):
        pm.irt(lsat6, "2pl", anchors=["Q1"])
    with pytest.raises(ModelError, match="not items"):
        pm.irt(lsat6, "2pl", group=np.repeat(["a", "b"], 500), anchors=["Q9"])
    with pytest.raises(PsychometricsError):
        pm.dif(lsat6, None)
    with pytest.raises(DataError, match="group has 10 values but data has 1000 rows"):
        pm.dif(lsat6, ["a"] * 10)
    with pytest.raises(DataError, match="group label is missing for row 3"):
        pm.irt(lsat6, group=pd.Series(["a", "b"] * 500).where(lambda s: s.index != 3), anchors="all")


def test_fit_statistics_need_complete_data(lsat6):
    data = lsat6.astype(float)
    data.iloc[0, 0] = np.nan
    fit = pm.irt(data, "2pl")
    with pytest.raises(DataError, match="complete data"):
        fit.item_fit()
    with pytest.raises(DataError, match="complete data"):
        fit.m2()
    assert fit.scores().shape == (1000, 2)


def test_caller_data_unchanged(lsat6):
    before = lsat6.copy()
    pm.irt(lsat6, "1pl")
    pd.testing.assert_frame_equal(lsat6, before)


def test_configural_model_is_the_separate_fits():
    data = _dif_data()
    items = data.drop(columns="site")
    both = pm.irt(items, "grm", group=data["site"])
    separate = [pm.irt(items[data["site"] == name].reset_index(drop=True), "grm") for name in ("A", "B")]
    assert both.loglik == pytest.approx(sum(fit.loglik for fit in separate), abs=1e-6)
    np.testing.assert_allclose(both.items.loc["B"].to_numpy(), separate[1].items.to_numpy(), atol=1e-5)


def test_mixed_binary_and_graded_items_table():
    data = simulate_grm(
        800, [1.0, 1.5, 1.2, 1.3], [[-1.0, 0.0, 1.0], [-0.5, 0.5, 1.5], [-1.2, 0.2, 0.9], [0.3, 10.0, 10.0]], seed=3
    )
    data = data.assign(bin=data.pop("i4") - 1)  # thresholds beyond 10: a binary item
    items = pm.irt(data, "grm").items
    assert ["a", "b1", "b2", "b3", "slope", "intercept1"] == list(items.columns[:6])
    assert np.isnan(items.loc["bin", "b2"]) and np.isfinite(items.loc["bin", "b1"])


def test_dif_with_anchors_tests_the_other_items():
    data = _dif_data()
    result = pm.dif(data, "site", anchors=["i1", "i2", "i3"])
    assert list(result.index) == ["i4", "i5", "i6"] and result.anchors == ["i1", "i2", "i3"]
    assert result.loc["i4", "p_adjusted"] < 1e-6 and result.loc["i5", "p_adjusted"] > 0.01
