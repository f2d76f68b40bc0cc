"""Measurement invariance ladders against lavaan 0.6-14.

Sources: the lavaan groups tutorial (Rosseel 2012, J Stat Softw 48(2); project PUBLISHED_VALUES.md: invariance by
school) and tests/reference/cfa.json (tests/reference/cfa.R, R 4.2.2, lavaan 0.6-14: hs_school_* and
bfi_gender_* cases, lavTestScore() for the released constraints).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_reference

import psychometrics as pm

REF = load_reference("cfa.json")
MODELS = REF["models"]
LEVELS = ("configural", "metric", "scalar", "strict")


@pytest.fixture(scope="module")
def hs_ladder():
    return pm.measurement_invariance(MODELS["hs"], pm.datasets.load("holzinger_swineford"), group="school")


def test_published_school_ladder(hs_ladder):
    """lavaan groups tutorial: configural 115.851 (48), metric 124.044 (54), scalar 164.103 (60); strict (R) 181.511 (69)."""
    table = hs_ladder.table
    assert list(table.index) == list(LEVELS)
    assert table["chisq"].tolist() == pytest.approx([115.851, 124.044, 164.103, 181.511], abs=5e-4)
    assert table["df"].tolist() == [48, 54, 60, 69]
    assert table.loc["metric", "aic"] == pytest.approx(7480.6, abs=0.05)
    assert table.loc["metric", "bic"] == pytest.approx(7680.8, abs=0.05)
    assert table.loc["scalar", "aic"] == pytest.approx(7508.6, abs=0.05)
    assert table.loc["scalar", "bic"] == pytest.approx(7686.6, abs=0.05)
    assert table.loc["metric", "delta_chisq"] == pytest.approx(8.192, abs=5e-4)
    assert table.loc["metric", "delta_df"] == 6
    assert table.loc["metric", "delta_pvalue"] == pytest.approx(0.2244, abs=5e-5)
    assert table.loc["scalar", "delta_chisq"] == pytest.approx(40.059, abs=5e-4)
    assert table.loc["scalar", "delta_pvalue"] == pytest.approx(4.435e-07, rel=1e-3)


def test_school_ladder_matches_lavaan_fit_measures(hs_ladder):
    for level in LEVELS:
        expected = REF["cases"][f"hs_school_{level}"]["fit"]
        row = hs_ladder.table.loc[level]
        for key in ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
            rel = key in ("chisq", "aic", "bic")
            assert row[key] == pytest.approx(expected[key], rel=1e-5 if rel else 0, abs=0 if rel else 1e-4), (
                level,
                key,
            )


def test_deltas_and_decisions(hs_ladder):
    table = hs_ladder.table
    assert np.isnan(table.loc["configural", "delta_chisq"]) and table.loc["configural", "holds"] is None
    metric, scalar = table.loc["metric"], table.loc["scalar"]
    assert metric["delta_cfi"] == pytest.approx(metric["cfi"] - table.loc["configural", "cfi"])
    assert metric["delta_rmsea"] == pytest.approx(metric["rmsea"] - table.loc["configural", "rmsea"])
    # metric: chi-square difference not significant, CFI drop .0025 -> holds by both criteria
    assert metric["holds_chisq"] is True and metric["holds_chen"] is True and metric["holds"] is True
    # scalar: p < .001; CFI drops by .039 (>= .010), supplemented by SRMR rising .0107 (>= .010) -> fails both
    assert scalar["delta_srmr"] == pytest.approx(0.0107, abs=1e-4) and scalar["delta_rmsea"] < 0.015
    assert scalar["holds_chisq"] is False and scalar["holds_chen"] is False and scalar["holds"] is False
    assert set(hs_ladder.fits) == set(LEVELS)
    assert hs_ladder.constraints["strict"] == ("loadings", "intercepts", "residuals")


@pytest.mark.parametrize(
    "level, d_cfi, d_rmsea, d_srmr, holds",
    [
        ("metric", -0.011, 0.001, 0.001, True),  # CFI drop not supplemented by RMSEA or SRMR
        ("metric", -0.011, 0.016, 0.001, False),
        ("metric", -0.011, 0.001, 0.031, False),
        ("metric", -0.011, 0.001, 0.020, True),  # SRMR cut-off .030 for loadings
        ("scalar", -0.011, 0.001, 0.020, False),  # .010 for intercepts and residuals
        ("scalar", -0.005, 0.050, 0.050, True),  # no CFI drop
    ],
)
def test_chen_cutoffs(level, d_cfi, d_rmsea, d_srmr, holds):
    from psychometrics.sem.invariance import _chen_holds

    assert _chen_holds(level, d_cfi, d_rmsea, d_srmr) is holds


def test_levels_share_the_baseline_of_a_lone_fit(hs_ladder):
    """The independence model is fitted once per ladder: every level's baseline records are those of a lone cfa()
    of that level (lavaan refits the same model each time)."""
    metric = pm.cfa(MODELS["hs"], pm.datasets.load("holzinger_swineford"), group="school", group_equal=("loadings",))
    shared = {id(fit._baseline_tests) for fit in hs_ladder.fits.values()}
    assert len(shared) == 1
    assert hs_ladder.fits["metric"]._baseline_tests == metric._baseline_tests


def test_partial_suggestions_match_lavtestscore(hs_ladder):
    """lavTestScore(fit_scalar)$uni: univariate score tests of the equality constraints."""
    mine = hs_ladder.partial_suggestions("scalar", top=100)
    ref = pd.DataFrame(REF["cases"]["hs_school_scalar"]["score_tests"])
    ref["rhs"] = ref["rhs"].fillna("")
    merged = ref.merge(mine, on=["lhs", "op", "rhs", "group"], suffixes=("_ref", ""), validate="one_to_one")
    assert len(merged) == len(ref) == len(mine)
    np.testing.assert_allclose(merged["mi"], merged["mi_ref"], rtol=1e-4)
    top = hs_ladder.partial_suggestions()  # default: the first level that does not hold (scalar)
    assert (top.loc[0, "lhs"], top.loc[0, "op"]) == ("x3", "~1")
    assert top["mi"].is_monotonic_decreasing and len(top) == 10


def test_partial_invariance_fit_via_options():
    hs = pm.datasets.load("holzinger_swineford")
    ladder = pm.measurement_invariance(
        MODELS["hs"],
        hs,
        group="school",
        levels=("configural", "metric", "scalar"),
        group_partial=("visual =~ x2", "x7 ~ 1"),
    )
    expected = REF["cases"]["hs_school_partial"]["fit"]
    assert ladder.table.loc["scalar", "chisq"] == pytest.approx(expected["chisq"], rel=1e-5)
    assert ladder.table.loc["scalar", "df"] == expected["df"]


def test_bfi_gender_ladder_matches_lavaan():
    """5-factor, 25-item model on the 2,436 complete bfi cases by gender."""
    ladder = pm.measurement_invariance(MODELS["bfi"], pm.datasets.load("bfi"), group="gender")
    for level in LEVELS:
        expected = REF["cases"][f"bfi_gender_{level}"]["fit"]
        row = ladder.table.loc[level]
        assert row["chisq"] == pytest.approx(expected["chisq"], rel=1e-5)
        assert row["bic"] == pytest.approx(expected["bic"], rel=1e-5)
        for key in ("npar", "df", "cfi", "tli", "rmsea", "srmr"):
            assert row[key] == pytest.approx(expected[key], abs=1e-4), (level, key)
    assert ladder.fits["configural"].n_obs == {1: 805, 2: 1631}
    assert [str(g) for g in ladder.fits["configural"].groups] == REF["cases"]["bfi_gender_configural"]["groups"]


def test_bad_input():
    hs = pm.datasets.load("holzinger_swineford")
    with pytest.raises(pm.ModelError, match="unknown invariance level"):
        pm.measurement_invariance(MODELS["hs"], hs, group="school", levels=("configural", "weak"))
    with pytest.raises(pm.ModelError, match="group"):
        pm.measurement_invariance(MODELS["hs"], hs)
    with pytest.raises(pm.ModelError, match="levels"):
        pm.measurement_invariance(MODELS["hs"], hs, group="school", group_equal=("loadings",))
    with pytest.raises(pm.ModelError, match="single group"):
        pm.measurement_invariance(MODELS["hs"], hs.assign(one="a"), group="one")


def test_means_level_matches_lavaan():
    hs = pm.datasets.load("holzinger_swineford")
    ladder = pm.measurement_invariance(MODELS["hs"], hs, group="school", levels=LEVELS + ("means",))
    expected = REF["cases"]["hs_school_means"]["fit"]
    assert ladder.constraints["means"] == ("loadings", "intercepts", "residuals", "means")
    assert ladder.table.loc["means", "chisq"] == pytest.approx(expected["chisq"], rel=1e-5)
    assert ladder.table.loc["means", "delta_df"] == 3
