"""Multitrait-multimethod analysis (issue 6).

Reference: Campbell & Fiske (1959), Psychological Bulletin 56:81-105, Table 1 (synthetic 3 traits x 3 methods,
reliabilities on the diagonal), as in the project's PUBLISHED_VALUES.md; the criteria are counted here by plain
index arithmetic, independently of the package. The CFA-MTMM reference is lavaan 0.6-14 on simulated data
(tests/reference/validity.R).
"""

import itertools

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from conftest import REFERENCE_DIR, load_reference

REF = load_reference("validity.json")["mtmm"]

# Campbell & Fiske (1959) Table 1, order A1 B1 C1 A2 B2 C2 A3 B3 C3 (trait letter, method digit), lower triangle.
CF_LOWER = [
    [0.89],
    [0.51, 0.89],
    [0.38, 0.37, 0.76],
    [0.57, 0.22, 0.09, 0.93],
    [0.22, 0.57, 0.10, 0.68, 0.94],
    [0.11, 0.11, 0.46, 0.59, 0.58, 0.84],
    [0.56, 0.22, 0.11, 0.67, 0.42, 0.33, 0.94],
    [0.23, 0.58, 0.12, 0.43, 0.66, 0.34, 0.67, 0.92],
    [0.11, 0.11, 0.45, 0.34, 0.32, 0.58, 0.58, 0.60, 0.85],
]
NAMES = ["A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3", "C3"]
TRAITS = {v: v[0] for v in NAMES}
METHODS = {v: "method" + v[1] for v in NAMES}


def cf_table():
    full = np.zeros((9, 9))
    for i, row in enumerate(CF_LOWER):
        full[i, : len(row)] = row
    full = full + np.tril(full, -1).T
    reliabilities = pd.Series(np.diag(full).copy(), index=NAMES)
    np.fill_diagonal(full, 1.0)
    return pd.DataFrame(full, index=NAMES, columns=NAMES), reliabilities


def idx(trait, method):
    """Position of trait (0..2) by method (0..2) in the Table 1 order."""
    return 3 * method + trait


def count_criteria(R):
    """Campbell-Fiske criteria 2-4 on a 3 x 3 design, written out with explicit positions."""
    c2 = c3 = 0
    for m1, m2 in [(0, 1), (0, 2), (1, 2)]:
        for t in range(3):
            v = R[idx(t, m1), idx(t, m2)]
            for o in range(3):
                if o == t:
                    continue
                # criterion 2: row and column of the heteromethod block
                c2 += v > R[idx(t, m1), idx(o, m2)]
                c2 += v > R[idx(o, m1), idx(t, m2)]
                # criterion 3: monomethod correlations of both variables
                c3 += v > R[idx(t, m1), idx(o, m1)]
                c3 += v > R[idx(t, m2), idx(o, m2)]
    pairs = [(0, 1), (0, 2), (1, 2)]
    triangles = [[R[idx(a, m), idx(b, m)] for a, b in pairs] for m in range(3)]
    for m1, m2 in [(0, 1), (0, 2), (1, 2)]:
        triangles.append([R[idx(a, m1), idx(b, m2)] for a, b in pairs])
        triangles.append([R[idx(b, m1), idx(a, m2)] for a, b in pairs])
    c4 = 0
    for s, u in itertools.combinations(triangles, 2):
        for p, q in itertools.combinations(range(3), 2):
            c4 += np.sign(s[p] - s[q]) == np.sign(u[p] - u[q])
    return c2, c3, c4


def test_campbell_fiske_table_1_criteria_counted_independently():
    corr, reliabilities = cf_table()
    c2, c3, c4 = count_criteria(corr.to_numpy())
    # By hand on Table 1: every validity value (.45-.67) beats its heteromethod row and column (.09-.43): 36 of 36.
    assert c2 == 36
    result = pm.mtmm(corr, TRAITS, METHODS, reliabilities=reliabilities)
    table = result.campbell_fiske
    assert list(table.index) == [
        "validity_gt_heterotrait_heteromethod",
        "validity_gt_heterotrait_monomethod",
        "pattern_agreement",
    ]
    assert list(table.columns) == ["satisfied", "total", "proportion"]
    assert table["satisfied"].tolist() == [c2, c3, c4]
    assert table["total"].tolist() == [36, 36, 108]
    np.testing.assert_allclose(table["proportion"], np.array([c2, c3, c4]) / [36, 36, 108])


def test_campbell_fiske_table_1_fields():
    corr, reliabilities = cf_table()
    result = pm.mtmm(corr, TRAITS, METHODS, reliabilities=reliabilities)
    validity = result.validity_diagonal
    assert validity.loc[("A", "method1", "method2"), "r"] == 0.57
    assert validity.loc[("C", "method2", "method3"), "r"] == 0.58
    assert len(validity) == 9
    blocks = result.blocks
    assert (blocks["kind"] == "heterotrait_monomethod").sum() == 9
    assert (blocks["kind"] == "heterotrait_heteromethod").sum() == 18
    row = blocks[(blocks.x == "B1") & (blocks.y == "A2")].iloc[0]
    assert (row.kind, row.method_1, row.method_2, row.trait_1, row.trait_2, row.r) == (
        "heterotrait_heteromethod",
        "method1",
        "method2",
        "B",
        "A",
        0.22,
    )
    # Means of Table 1 by kind.
    summary = result.summary
    assert summary.loc["reliability", "mean"] == pytest.approx(np.mean(reliabilities))
    assert summary.loc["validity", "mean"] == pytest.approx(
        np.mean([0.57, 0.56, 0.67, 0.57, 0.58, 0.66, 0.46, 0.45, 0.58])
    )
    assert summary.loc["heterotrait_monomethod", "mean"] == pytest.approx(
        np.mean([0.51, 0.38, 0.37, 0.68, 0.59, 0.58, 0.67, 0.58, 0.60])
    )
    assert summary.loc["heterotrait_heteromethod", "count"] == 18
    assert result.to_dict()["campbell_fiske"]["data"][0][0] == 36


def test_mtmm_from_raw_data_equals_matrix_input():
    data = pd.read_csv(REFERENCE_DIR / "mtmm_simulated.csv")
    before = data.copy()
    from_data = pm.mtmm(data, TRAITS, METHODS)
    from_matrix = pm.mtmm(data.corr(), TRAITS, METHODS)
    pd.testing.assert_frame_equal(from_data.campbell_fiske, from_matrix.campbell_fiske)
    pd.testing.assert_frame_equal(data, before)
    assert from_data.cfa is None


def test_mtmm_model_syntax_matches_the_lavaan_reference():
    traits = {v: v[0] for v in NAMES}
    methods = {v: v[1] for v in NAMES}
    assert pm.mtmm_model(traits, methods) == REF["cfa_model"]


def test_mtmm_cfa_option_matches_lavaan():
    # R: lavaan::cfa(mtmm model, simulated data) (validity.R): chisq 45.433 on 15 df.
    data = pd.read_csv(REFERENCE_DIR / "mtmm_simulated.csv")
    fit = pm.mtmm(data, {v: v[0] for v in NAMES}, {v: v[1] for v in NAMES}, fit_cfa=True).cfa
    assert fit.fit_measures["df"] == REF["cfa_fit"]["df"]
    assert fit.fit_measures["chisq"] == pytest.approx(REF["cfa_fit"]["chisq"], abs=1e-4)
    assert fit.fit_measures["npar"] == REF["cfa_fit"]["npar"]
    estimates = fit.estimates.set_index(["lhs", "op", "rhs"])["est"]
    for row in pd.DataFrame(REF["cfa_estimates"]).itertuples():
        assert estimates[(row.lhs, row.op, row.rhs)] == pytest.approx(row.est, abs=1e-4)


def test_mtmm_bad_input():
    corr, _ = cf_table()
    with pytest.raises(pm.SpecError, match="one method only"):
        pm.mtmm(corr, {**TRAITS, "A2": "D", "A3": "D"}, METHODS)
    with pytest.raises(pm.DataError, match="X9"):
        renamed = {("X9" if k == "A1" else k): v for k, v in TRAITS.items()}
        pm.mtmm(corr, renamed, {("X9" if k == "A1" else k): v for k, v in METHODS.items()})
    with pytest.raises(pm.SpecError, match="same variables"):
        pm.mtmm(corr, TRAITS, {k: v for k, v in METHODS.items() if k != "A1"})
    with pytest.raises(pm.SpecError, match="both measure"):
        pm.mtmm(corr, {**TRAITS, "B1": "A"}, METHODS)
    not_pd = corr.copy()
    not_pd.loc["A1", "A2"] = not_pd.loc["A2", "A1"] = -0.95
    with pytest.raises(pm.DataError, match="positive definite"):
        pm.mtmm(not_pd, TRAITS, METHODS)
    with pytest.raises(pm.DataError, match="reliabilit"):
        pm.mtmm(corr, TRAITS, METHODS, reliabilities={"A1": 0.8})
    with pytest.raises(pm.SpecError, match="rename"):
        pm.mtmm_model({v: "A1" if v[0] == "A" else v[0] for v in NAMES}, METHODS)
