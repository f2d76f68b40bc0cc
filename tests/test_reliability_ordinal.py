"""Ordinal reliability, interval estimates, rows with no answer, ICC by REML and score interpretability.

References: tests/reference/reliability_ordinal.R (R 4.2.2, psych 2.2.9, lavaan 0.6-14, semTools 0.5-6, lme4), each
case naming its R call in ``call``; the interpretability formulas against their published definitions.
"""

import json
import math
import pathlib

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm

REF = json.loads((pathlib.Path(__file__).parent / "reference" / "reliability_ordinal.json").read_text())
TOL = 1e-4
A = [f"A{i}" for i in range(1, 6)]
C = [f"C{i}" for i in range(1, 6)]


@pytest.fixture(scope="module")
def bfi():
    return pm.datasets.load("bfi")


@pytest.fixture(scope="module")
def bfi_empty(bfi):
    """bfi with the A and C answers of the first 7 respondents removed (as the R script does)."""
    data = bfi.copy()
    data.loc[data.index[np.array(REF["empty_rows"]["rows"]) - 1], A + C] = np.nan
    return data


# ------------------------------------------------------------------------------------ rows with no answer
def test_alpha_drops_rows_with_no_answer(bfi_empty):
    case = REF["empty_rows"]  # R: case["call"]
    before = bfi_empty.copy()
    res = pm.cronbach_alpha(bfi_empty[A], keys=["A1"])
    pd.testing.assert_frame_equal(bfi_empty, before)
    assert (res.n_used, res.n_dropped) == (case["n_answered"], case["n_rows"] - case["n_answered"])
    same, kept = case["alpha_all_rows"], case["alpha_answered_rows"]
    for field in ("alpha", "std_alpha", "g6_smc", "average_r", "signal_noise"):
        assert getattr(res, field) == pytest.approx(same[field], abs=TOL)
    # ase and Feldt's interval depend on n: psych on the answered rows (psych counts empty rows in n)
    assert res.ase == pytest.approx(kept["ase"], abs=1e-6)
    assert res.ci == pytest.approx(tuple(kept["feldt"]), abs=1e-6)


def test_item_statistics_guttman_split_half_omega_drop_rows_with_no_answer(bfi_empty):
    case = REF["empty_rows"]
    items = pm.item_statistics(bfi_empty[A], keys=["A1"])
    assert (items.n_used, items.n_dropped) == (2793, 7)
    for column, key in (
        ("n", "item_n"),
        ("mean", "item_mean"),
        ("sd", "item_sd"),
        ("r", "item_r"),
        ("r_cor", "item_r_cor"),
        ("r_drop", "item_r_drop"),
        ("alpha_if_deleted", "alpha_if_deleted"),
    ):
        np.testing.assert_allclose(items[column].to_numpy(), case[key], atol=TOL)
    g = pm.guttman(bfi_empty[A + C])
    assert (g.n_used, g.n_dropped) == (2793, 7)
    # lambda 4: psych reverses negatively keyed items itself (check.keys), guttman() never does (its docstring)
    lambdas = [g.lambda1, g.lambda2, g.lambda3, g.lambda5, g.lambda6]
    assert lambdas == pytest.approx(case["guttman"][:3] + case["guttman"][4:], abs=TOL)
    s = pm.split_half(bfi_empty[A + C], keys=["A1", "C4", "C5"])
    assert (s.maximum, s.minimum, s.average) == pytest.approx(tuple(case["split_half"]), abs=TOL)
    assert s.n_dropped == 7
    o = pm.omega(bfi_empty[A + C], 2)
    assert (o.omega_hierarchical, o.omega_total, o.alpha) == pytest.approx(
        (case["omega"]["omega_h"], case["omega"]["omega_total"], case["omega"]["alpha"]), abs=TOL
    )
    assert (o.n_used, o.n_dropped) == (2793, 7)


def test_an_item_without_answers_is_still_an_error(bfi):
    data = bfi[A].copy()
    data["A3"] = np.nan
    for function in (pm.cronbach_alpha, pm.item_statistics, pm.guttman, pm.split_half, pm.omega):
        with pytest.raises(pm.DataError, match="'A3' has no observed values"):
            function(data)


def test_known_groups_and_scores_leave_out_rows_without_scores():
    data = pm.datasets.load("peer_support_survey")
    scores = pm.score(data, "peer_support_implementation", keep_items=False)
    blanked = scores.copy()
    blanked.iloc[:4] = np.nan
    res = pm.known_groups(blanked, data["site"].to_numpy())
    expected = pm.known_groups(scores.iloc[4:], data["site"].iloc[4:].to_numpy())
    assert (res.n_used, res.n_dropped) == (len(scores) - 4, 4)
    pd.testing.assert_frame_equal(res.to_frame(), expected.to_frame())
    instrument = pm.load_instrument("peer_support_implementation")
    items = list(instrument.scales["training"].items)
    partial = data.copy()
    partial.loc[partial.index[:3], items] = np.nan
    scored = pm.score(partial, instrument, keep_items=False)
    assert scored["training"].iloc[:3].isna().all()
    assert scored.attrs["n_dropped"]["training"] == int(scored["training"].isna().sum())


# ------------------------------------------------------------------------------------ ordinal alpha and omega
@pytest.mark.parametrize("name", list(REF["alpha_ordinal"]))
def test_ordinal_alpha_matches_psych(bfi, name):
    case = REF["alpha_ordinal"][name]  # R: case["call"]
    res = pm.cronbach_alpha(bfi[case["items"]], cor="polychoric", keys=case["keys"])
    assert res.cor == "polychoric" and res.n_used == case["n_obs"]
    for field in ("alpha", "std_alpha", "g6_smc", "average_r", "ase"):
        assert getattr(res, field) == pytest.approx(case[field], abs=TOL)
    assert res.ci == pytest.approx(tuple(case["feldt"]), abs=TOL)
    with pytest.raises(pm.DataError, match="Feldt and Duhachek"):
        pm.cronbach_alpha(bfi[case["items"]], cor="polychoric", ci="bootstrap")


@pytest.mark.parametrize("name", list(REF["omega_ordinal"]))
def test_polychoric_omega_matches_psych(bfi, name):
    case = REF["omega_ordinal"][name]  # R: case["call"]
    res = pm.omega(bfi[case["items"]], case["nfactors"], cor="polychoric")
    assert res.cor == "polychoric"
    assert res.omega_hierarchical == pytest.approx(case["omega_h"], abs=TOL)
    assert res.omega_total == pytest.approx(case["omega_total"], abs=TOL)
    assert res.omega_asymptotic == pytest.approx(case["omega_lim"], abs=TOL)
    assert res.alpha == pytest.approx(case["alpha"], abs=TOL)


# ------------------------------------------------------------------------------------ categorical omega, AVE
@pytest.fixture(scope="module")
def ordered_fits(bfi):
    return {
        "AC": pm.cfa(
            "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5", bfi[A + C].dropna(), ordered=True
        ),
        "A4": pm.cfa("agree =~ A2 + A3 + A4 + A5", bfi[A[1:]].dropna(), ordered=True, std_lv=True),
    }


@pytest.mark.parametrize("name", ["AC", "A4"])
def test_categorical_omega_and_ave_match_semtools(ordered_fits, name):
    case = REF["composite"][name]  # R: case["call"]
    fit = ordered_fits[name]
    for result, key in (
        (pm.composite_reliability(fit), "omega_obs"),
        (pm.composite_reliability(fit, obs_var=False), "omega_implied"),
        (pm.composite_reliability(fit, ord_scale=False), "omega_continuous_scale"),
        (pm.ave(fit), "ave"),
    ):
        assert result.to_dict() == pytest.approx(case[key], abs=TOL)


# ------------------------------------------------------------------------------------ bootstrap intervals
def test_omega_bootstrap_intervals_are_seeded_and_cover_the_estimate(bfi):
    data = bfi[A + C].iloc[:150]
    first = pm.omega(data, 2, ci="percentile", n_boot=12, seed=5)
    again = pm.omega(data, 2, ci="percentile", n_boot=12, seed=5)
    assert first.omega_total_ci == again.omega_total_ci
    assert first.omega_hierarchical_ci == again.omega_hierarchical_ci
    assert first.omega_total_ci[0] < first.omega_total < first.omega_total_ci[1]
    assert (first.ci_method, first.n_boot) == ("percentile", 12)
    assert math.isnan(pm.omega(data, 2).omega_total_ci[0])
    with pytest.raises(pm.DataError, match="raw data"):
        pm.omega(data.corr(), 2, n_obs=150, ci="bca")


def test_bca_interval_follows_efron_tibshirani():
    """BCa levels Phi(z0 + (z0 + z) / (1 - a (z0 + z))) (Efron & Tibshirani 1993, eq. 14.10) on a statistic with
    a closed-form jackknife: the mean, whose acceleration is skew / (6 sqrt(n)) of the data."""
    from scipy import stats

    from psychometrics._bootstrap import acceleration, bootstrap_interval, resampled_statistics

    x = np.random.default_rng(1).exponential(size=40)

    def mean(rows):
        return np.array([x[rows].mean()])

    draws = resampled_statistics(mean, len(x), 400, seed=2)
    jack = np.array([[np.delete(x, i).mean()] for i in range(len(x))])
    d = x - x.mean()
    assert acceleration(jack)[0] == pytest.approx((d**3).sum() / (6 * ((d**2).sum()) ** 1.5), rel=1e-12)
    a = acceleration(jack)[0]
    z0 = stats.norm.ppf(np.mean(draws[:, 0] < x.mean()))
    z = stats.norm.ppf([0.025, 0.975])
    levels = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    expected = np.quantile(draws[:, 0], levels)
    ((low, high),) = bootstrap_interval(np.array([x.mean()]), draws, "bca", 0.95, mean, len(x))
    assert (low, high) == pytest.approx(tuple(expected), abs=1e-12)
    ((p_low, p_high),) = bootstrap_interval(np.array([x.mean()]), draws, "percentile", 0.95, mean, len(x))
    assert (p_low, p_high) == pytest.approx(tuple(np.quantile(draws[:, 0], [0.025, 0.975])), abs=1e-12)


def test_composite_reliability_interval(bfi):
    hs = pm.datasets.load("holzinger_swineford")
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    res = pm.composite_reliability_ci(model, hs, n_boot=8, seed=3)
    again = pm.composite_reliability_ci(model, hs, n_boot=8, seed=3)
    pd.testing.assert_frame_equal(res.to_frame(), again.to_frame())
    expected = pm.composite_reliability(pm.cfa(model, hs))
    np.testing.assert_allclose(res["estimate"].to_numpy(), expected.to_numpy(), atol=1e-12)
    assert (res["ci_low"] < res["estimate"]).all() and (res["estimate"] < res["ci_high"]).all()
    assert res.to_dict()["n_used"] == 301 and res.n_boot == 8
    with pytest.raises(pm.DataError, match="ci="):
        pm.composite_reliability_ci(model, hs, ci="normal")


# ------------------------------------------------------------------------------------ ICC by REML
@pytest.mark.parametrize("name", list(REF["icc"]))
def test_icc_reml_matches_psych_lmer(bfi, name):
    case = REF["icc"][name]  # R: case["call"]
    if name == "bfi":
        data = bfi.iloc[:300][["A2", "A3", "A4", "A5"]]
        data = data[data.notna().any(axis=1)]
    else:
        data = pm.datasets.load("shrout_fleiss")
        if name == "shrout_fleiss_missing":
            data.iloc[1, 2] = np.nan
            data.iloc[4, 0] = np.nan
    res = pm.icc(data, method="reml")
    assert res.method == "reml" and res.n_targets == case["n"]
    table = res.to_frame()
    for column, key in (
        ("icc", "icc"),
        ("f", "f"),
        ("df1", "df1"),
        ("df2", "df2"),
        ("pvalue", "p"),
        ("ci_low", "lower"),
        ("ci_high", "upper"),
    ):
        np.testing.assert_allclose(table[column].to_numpy(), case[key], atol=TOL, rtol=0)
    components = res.variance_components
    assert [components["targets"], components["raters"], components["residual"]] == pytest.approx(
        case["variance"], abs=TOL
    )


def test_complete_tables_keep_the_anova(bfi):
    data = pm.datasets.load("shrout_fleiss")
    assert pm.icc(data).method == "anova"
    assert pm.icc(data).variance_components is None
    ratings = data.copy()
    ratings.loc[len(ratings)] = np.nan  # a target nobody rated is left out
    res = pm.icc(ratings)
    assert (res.method, res.n_dropped, res.n_targets) == ("anova", 1, 6)
    with pytest.raises(pm.DataError, match="column 'V2' has no ratings"):
        pm.icc(data.assign(V2=np.nan))


# ------------------------------------------------------------------------------------ interpretability
def test_floor_and_ceiling_effects_terwee_2007():
    scores = pd.DataFrame({"a": [1, 1, 1, 2, 3, 4, 5, 5, np.nan, 3], "b": [2, 3, 3, 3, 4, 4, 4, 2, 3, 5]})
    res = pm.floor_ceiling(scores, 1, 5)
    table = res.to_frame()
    assert table.loc["a", "n"] == 9 and res.n_dropped == {"a": 1, "b": 0}
    assert table.loc["a", "floor_share"] == pytest.approx(3 / 9)
    assert table.loc["a", "ceiling_share"] == pytest.approx(2 / 9)
    assert table.loc["b", "ceiling_share"] == pytest.approx(1 / 10)
    assert table["floor_effect"].tolist() == [True, False]  # > 15% at the minimum (Terwee et al. 2007)
    assert table["ceiling_effect"].tolist() == [True, False]
    assert res.threshold == 0.15
    with pytest.raises(pm.DataError, match="outside its possible range"):
        pm.floor_ceiling(scores, 2, 5)


def test_sem_sdc_and_mic_from_test_retest():
    attitude = pm.datasets.load("attitude")
    res = pm.measurement_error(attitude["rating"], attitude["complaints"])
    icc2 = pm.icc(attitude[["rating", "complaints"]]).value("ICC2")
    sd = math.sqrt((attitude["rating"].var() + attitude["complaints"].var()) / 2)
    assert res.icc == pytest.approx(icc2, abs=1e-12)
    assert res.sem == pytest.approx(sd * math.sqrt(1 - icc2), abs=1e-12)  # de Vet et al. 2006
    assert res.sdc == pytest.approx(1.959963984540054 * math.sqrt(2) * res.sem, abs=1e-12)
    assert res.sdc_group == pytest.approx(res.sdc / math.sqrt(30), abs=1e-12)
    assert res.mic == pytest.approx(0.5 * sd, abs=1e-12)  # Norman, Sloan & Wyrwich 2003
    assert res.to_frame().loc["ICC2", "sdc"] == res.sdc and res.to_dict()["n_used"] == 30
    assert pm.smallest_detectable_change(1.0) == pytest.approx(2.771807, abs=1e-6)  # 1.96 * sqrt(2)
    assert pm.minimal_important_change(attitude["rating"]) == pytest.approx(0.5 * attitude["rating"].std())
    first = attitude["rating"].copy()
    first.iloc[0] = np.nan
    assert pm.measurement_error(first, attitude["complaints"]).n_dropped == 1
