"""Known-groups and criterion validity (issue 6).

References: tests/reference/validity.json from tests/reference/validity.R (R 4.2.2 stats: cor.test, t.test,
oneway.test(var.equal = FALSE)); Hedges' g by its formula (Hedges & Olkin 1985, Statistical Methods for
Meta-Analysis, ch. 5: g = J d, J = 1 - 3 / (4 N - 9)).
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import psychometrics as pm
from conftest import load_reference

REF = load_reference("validity.json")["criterion"]


@pytest.fixture(scope="module")
def hs():
    return pm.datasets.load("holzinger_swineford")


@pytest.fixture(scope="module")
def visual(hs):
    return hs[["x1", "x2", "x3"]].mean(axis=1).rename("visual")


def test_criterion_validity_matches_cor_test(hs, visual):
    # R: cor.test(rowMeans(hs[, c("x1", "x2", "x3")]), hs$x7).
    result = pm.criterion_validity(visual, hs["x7"])
    row = result.to_frame().loc["visual"]
    for key in ["r", "ci_low", "ci_high", "pvalue", "n"]:
        assert row[key] == pytest.approx(REF["criterion"][key], rel=1e-8, abs=1e-12)
    assert result.criterion == "x7"


def test_criterion_validity_several_scales_and_missing(hs):
    scores = hs[["x1", "x2", "x3"]].copy()
    scores.loc[:9, "x2"] = np.nan
    before = scores.copy()
    table = pm.criterion_validity(scores, hs["x7"], method="spearman").table
    pd.testing.assert_frame_equal(scores, before)
    assert table.loc["x2", "n"] == 291 and table.loc["x1", "n"] == 301
    rho = stats.spearmanr(scores["x2"].iloc[10:], hs["x7"].iloc[10:])
    assert table.loc["x2", "r"] == pytest.approx(rho.statistic)
    assert table.loc["x2", "pvalue"] == pytest.approx(rho.pvalue)


def test_known_groups_two_groups(hs, visual):
    # R: t.test(visual[Pasteur], visual[Grant-White]) (Welch); g by Hedges & Olkin's formula.
    result = pm.known_groups(visual, hs["school"], order=["Pasteur", "Grant-White"])
    row = result.table.loc["visual"]
    assert row["t"] == pytest.approx(REF["welch_t_school"]["t"], rel=1e-8)
    assert row["df"] == pytest.approx(REF["welch_t_school"]["df"], rel=1e-8)
    assert row["pvalue"] == pytest.approx(REF["welch_t_school"]["pvalue"], rel=1e-8)
    a, b = visual[hs.school == "Pasteur"], visual[hs.school == "Grant-White"]
    n1, n2 = len(a), len(b)
    pooled = np.sqrt(((n1 - 1) * a.var() + (n2 - 1) * b.var()) / (n1 + n2 - 2))
    g = (a.mean() - b.mean()) / pooled * (1 - 3 / (4 * (n1 + n2) - 9))
    se = np.sqrt((n1 + n2) / (n1 * n2) + g**2 / (2 * (n1 + n2)))
    crit = stats.t.ppf(0.975, n1 + n2 - 2)
    assert row["hedges_g"] == pytest.approx(g, rel=1e-10)
    assert row["ci_low"] == pytest.approx(g - crit * se, abs=1e-10)
    assert row["ci_high"] == pytest.approx(g + crit * se, abs=1e-10)
    assert result.test == "welch_t" and result.groups == ["Pasteur", "Grant-White"]
    described = result.descriptives.set_index("group")
    assert described.loc["Pasteur", "n"] == 156
    assert described.loc["Pasteur", "mean"] == pytest.approx(a.mean())


def test_known_groups_welch_anova(hs):
    # R: oneway.test(x1 ~ factor(ageyr), var.equal = FALSE) on ages 12-14; eta^2 = SS_between / SS_total.
    sub = hs[hs.ageyr.isin([12, 13, 14])]
    result = pm.known_groups(sub[["x1"]], sub["ageyr"])
    row = result.table.loc["x1"]
    ref = REF["welch_age"]
    for key in ["f", "df1", "df2", "pvalue", "eta_squared"]:
        assert row[key] == pytest.approx(ref[key], rel=1e-8)
    assert result.test == "welch_anova" and result.groups == [12, 13, 14]


def test_known_groups_bad_input(hs, visual):
    with pytest.raises(pm.DataError, match="one value per row"):
        pm.known_groups(visual, ["a", "b"])
    with pytest.raises(pm.DataError, match="at least two groups"):
        pm.known_groups(visual, ["a"] * len(visual))
    with pytest.raises(pm.DataError, match="Mars"):
        pm.known_groups(visual, hs["school"], order=["Pasteur", "Mars"])
    labels = hs["school"].copy()
    labels.iloc[0] = "tiny"
    with pytest.raises(pm.DataError, match="fewer than two"):
        pm.known_groups(visual, labels)
    with pytest.raises(pm.DataError, match="criterion"):
        pm.criterion_validity(visual, np.ones(len(visual)))
