"""Intraclass correlations (psychometrics.icc) against Shrout & Fleiss (1979), psych::ICC and pingouin.

R values: tests/reference/reliability.json from tests/reference/reliability.R (R 4.2.2, psych 2.2.9).
"""

import json
import pathlib

import numpy as np
import pandas as pd
import pingouin
import pytest

import psychometrics as pm

REFERENCE = json.loads((pathlib.Path(__file__).parent / "reference" / "reliability.json").read_text())
TOL = 1e-4
FORMS = ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]


@pytest.fixture(scope="module")
def shrout_fleiss():
    return pm.datasets.load("shrout_fleiss")


def test_shrout_fleiss_published(shrout_fleiss):
    # Shrout & Fleiss (1979), Psychological Bulletin 86:420-428, Table 1 data; exact values from psych::ICC.
    res = pm.icc(shrout_fleiss)
    ms = res.mean_squares
    assert (ms["between_targets"], ms["within_targets"], ms["raters"], ms["residual"]) == pytest.approx(
        (11.2417, 6.2639, 32.4861, 1.0194), abs=1e-4
    )
    table = res.to_frame()
    assert list(table.index) == FORMS
    assert list(table.columns) == ["icc", "f", "df1", "df2", "pvalue", "ci_low", "ci_high", "description"]
    np.testing.assert_allclose(table["icc"], [0.165742, 0.289764, 0.714841, 0.442797, 0.620051, 0.909316], atol=1e-6)
    np.testing.assert_allclose(table["icc"].round(2), [0.17, 0.29, 0.71, 0.44, 0.62, 0.91])  # as printed
    np.testing.assert_allclose(table["f"], [1.79468, 11.02725, 11.02725, 1.79468, 11.02725, 11.02725], atol=1e-5)
    np.testing.assert_array_equal(table["df1"], [5] * 6)
    np.testing.assert_array_equal(table["df2"], [18, 15, 15, 18, 15, 15])
    np.testing.assert_allclose(table["ci_low"], [-0.1329, 0.0188, 0.3425, -0.8844, 0.0711, 0.6757], atol=1e-4)
    np.testing.assert_allclose(table["ci_high"], [0.7226, 0.7611, 0.9459, 0.9124, 0.9272, 0.9859], atol=1e-4)
    assert "ICC(A,1)" in table.loc["ICC2", "description"] and "ICC(C,k)" in table.loc["ICC3k", "description"]
    assert res.value("ICC3") == pytest.approx(0.714841, abs=1e-6)


@pytest.mark.parametrize("name", ["shrout_fleiss", "attitude_1_4"])
def test_icc_matches_psych(shrout_fleiss, name):
    case = REFERENCE["icc"][name]  # R: case["call"]
    data = shrout_fleiss if name == "shrout_fleiss" else pm.datasets.load("attitude").iloc[:, :4]
    table = pm.icc(data).to_frame()
    assert list(table.index) == case["forms"]
    for column, key in [
        ("icc", "icc"),
        ("f", "f"),
        ("df1", "df1"),
        ("df2", "df2"),
        ("pvalue", "pvalue"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
    ]:
        np.testing.assert_allclose(table[column], case[key], atol=TOL, err_msg=column)
    # psych's default lmer = TRUE gives the same ICCs with complete data (to its optimiser's precision).
    if name == "attitude_1_4":
        np.testing.assert_allclose(table["icc"], REFERENCE["icc"]["attitude_1_4_lmer"]["icc"], atol=TOL)


def test_confidence_changes_only_the_intervals(shrout_fleiss):
    wide = pm.icc(shrout_fleiss, confidence=0.99).to_frame()
    narrow = pm.icc(shrout_fleiss).to_frame()
    np.testing.assert_allclose(wide["icc"], narrow["icc"])
    assert (wide["ci_low"] < narrow["ci_low"]).all() and (wide["ci_high"] > narrow["ci_high"]).all()


def test_results_do_not_share_their_tables(shrout_fleiss):
    # The labels and descriptions are built once per session; changing one result's table leaves the next alone.
    first = pm.icc(shrout_fleiss)
    first.table.loc["ICC1", "description"] = "changed"
    first.table.loc["ICC2", "icc"] = 9.0
    second = pm.icc(shrout_fleiss)
    assert second.table.loc["ICC1", "description"].startswith("Single rater, one-way random")
    assert second.loc["ICC2", "icc"] == pytest.approx(0.289764, abs=1e-6)


def test_icc_agrees_with_pingouin_and_icc_long(shrout_fleiss):
    long = (
        shrout_fleiss.rename_axis("target").reset_index().melt(id_vars="target", var_name="judge", value_name="score")
    )
    ours = pm.icc_long(long, targets="target", raters="judge", ratings="score").to_frame()
    theirs = pingouin.intraclass_corr(long, targets="target", raters="judge", ratings="score").set_index("Type")
    # pingouin 0.7 labels the forms with McGraw & Wong's names
    names = {
        "ICC1": "ICC(1,1)",
        "ICC2": "ICC(A,1)",
        "ICC3": "ICC(C,1)",
        "ICC1k": "ICC(1,k)",
        "ICC2k": "ICC(A,k)",
        "ICC3k": "ICC(C,k)",
    }
    for ours_name, theirs_name in names.items():
        assert ours.loc[ours_name, "icc"] == pytest.approx(theirs.loc[theirs_name, "ICC"], abs=1e-10)
        assert ours.loc[ours_name, "f"] == pytest.approx(theirs.loc[theirs_name, "F"], abs=1e-10)
        assert ours.loc[ours_name, "pvalue"] == pytest.approx(theirs.loc[theirs_name, "pval"], abs=1e-10)
        low, high = theirs.loc[theirs_name, "CI95"]
        # pingouin rounds its intervals to 2 decimals
        assert ours.loc[ours_name, ["ci_low", "ci_high"]].to_numpy(dtype=float) == pytest.approx([low, high], abs=0.006)


def test_missing_ratings_name_the_targets(shrout_fleiss):
    data = shrout_fleiss.copy()
    data.iloc[2, 1] = np.nan
    data.iloc[4, 3] = np.nan
    before = data.copy()
    with pytest.raises(pm.DataError, match=r"missing ratings in 2 row\(s\) \(targets \[2, 4\]\)"):
        pm.icc(data, method="anova")
    pd.testing.assert_frame_equal(data, before)
    assert pm.icc(data).method == "reml"  # missing ratings: psych's default lmer = TRUE
    pd.testing.assert_frame_equal(data, before)


def test_unrated_targets_are_dropped():
    # A target without any rating is left out: the numbers are those of the table without it, to the last bit.
    # A complete table skips the row bookkeeping, so this compares both paths; 200 targets, because the sums of
    # a small table do not depend on the array's memory order.
    rng = np.random.default_rng(3)
    complete = pd.DataFrame(rng.normal(size=(200, 1)) + rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    data = pd.concat([complete, pd.DataFrame(np.nan, index=["unrated"], columns=complete.columns)])
    res = pm.icc(data)
    assert res.n_dropped == 1 and res.n_targets == 200 and res.method == "anova"
    pd.testing.assert_frame_equal(res.to_frame(), pm.icc(complete).to_frame(), check_exact=True)
    assert res.mean_squares == pm.icc(complete).mean_squares


def test_icc_long_errors():
    long = pd.DataFrame(
        {"t": [1, 1, 2, 2, 3, 3, 3], "r": ["a", "b", "a", "b", "a", "b", "b"], "y": [1, 2, 3, 4, 5, 6, 7]}
    )
    with pytest.raises(pm.DataError, match=r"\(3, 'b'\)"):
        pm.icc_long(long, "t", "r", "y")
    with pytest.raises(pm.DataError, match=r"targets \[3\]"):
        pm.icc_long(long.iloc[:5], "t", "r", "y", method="anova")
    with pytest.raises(pm.DataError, match="columns"):
        pm.icc_long(long, "target", "r", "y")


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"a": [1, 2, 3], "b": [1, "x", 3]}), r"'x'.*'b'.*row 1"),
        (pd.DataFrame({"a": [1, 2, 3]}), "at least 2 raters"),
        (pd.DataFrame({"a": [1, 2], "b": [1, 3]}), "at least 3 targets"),
        (pd.DataFrame({"a": [2, 2, 2], "b": [2, 2, 2]}), "same value"),
    ],
)
def test_bad_input(frame, message):
    with pytest.raises(pm.PsychometricsError, match=message):
        pm.icc(frame)


def test_bad_confidence(shrout_fleiss):
    with pytest.raises(pm.DataError, match="confidence"):
        pm.icc(shrout_fleiss, confidence=1.5)
    with pytest.raises(pm.DataError, match="unknown ICC form"):
        pm.icc(shrout_fleiss).value("ICC4")
