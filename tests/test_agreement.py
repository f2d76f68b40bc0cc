"""Agreement (psychometrics.agreement): Cohen's kappa, Fleiss' kappa, Krippendorff's alpha against published values."""

import json

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm

# SAS/STAT PROC FREQ documentation example ("Agreement Study"): rater A rows, rater B columns.
SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]

# Fleiss (1971) psychiatric diagnoses: 30 subjects x 6 raters, categories 1-5 (irr::diagnoses, as in statsmodels'
# test_inter_rater.py).
DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", 4 coders x 12 units with missing values.
NA = np.nan
KRIPPENDORFF = pd.DataFrame(
    {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
        "C": [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
    }
)  # one row per unit, one column per coder (Krippendorff prints the transpose)


def _ratings_from_table(table):
    rows, cols = np.nonzero(np.asarray(table))
    counts = np.asarray(table)[rows, cols]
    return np.repeat(rows, counts) + 1, np.repeat(cols, counts) + 1


def test_cohen_kappa_sas_example():
    # SAS documentation: kappa .4842 (ASE .1380, 95% CI [.2137, .7547]).
    res = pm.cohen_kappa(SAS_TABLE)
    assert res.kappa == pytest.approx(0.4842, abs=5e-5)
    assert res.ase == pytest.approx(0.1380, abs=5e-5)
    assert res.ci == pytest.approx((0.2137, 0.7547), abs=5e-5)
    assert res.n_obs == 19


def test_weighted_kappa_sas_example():
    # SAS documentation: linearly weighted kappa .4701 (ASE .1457).
    res = pm.cohen_kappa(SAS_TABLE, weights="linear")
    assert res.kappa == pytest.approx(0.4701, abs=5e-5)
    assert res.ase == pytest.approx(0.1457, abs=5e-5)


def test_two_rating_columns_equal_the_table():
    a, b = _ratings_from_table(SAS_TABLE)
    for weights in (None, "linear", "quadratic"):
        from_columns = pm.cohen_kappa(pd.Series(a), pd.Series(b), weights=weights)
        assert from_columns.kappa == pytest.approx(pm.cohen_kappa(SAS_TABLE, weights=weights).kappa, abs=1e-12)
    table = pm.cohen_kappa(a, b).table
    assert list(table.index) == [1, 2, 3] and table.to_numpy().tolist() == SAS_TABLE


def test_quadratic_kappa_from_its_definition():
    # kappa_w = 1 - sum(w o) / sum(w e) with disagreement weights (i - j)^2 (Cohen 1968)
    counts = np.asarray(SAS_TABLE, dtype=float)
    p = counts / counts.sum()
    expected = np.outer(p.sum(1), p.sum(0))
    w = np.subtract.outer(np.arange(3), np.arange(3)) ** 2
    kappa = 1 - (w * p).sum() / (w * expected).sum()
    assert pm.cohen_kappa(SAS_TABLE, weights="quadratic").kappa == pytest.approx(kappa, abs=1e-12)


def test_cohen_kappa_confidence_and_text_categories():
    res = pm.cohen_kappa(["yes", "no", "yes", "yes", "no"], ["yes", "no", "no", "yes", "no"], confidence=0.9)
    assert res.confidence == 0.9 and list(res.table.index) == ["no", "yes"]
    half = 1.6448536 * res.ase
    assert res.ci == pytest.approx((res.kappa - half, res.kappa + half), abs=1e-6)
    json.dumps(res.to_dict())


def test_fleiss_kappa_1971():
    # Fleiss (1971): kappa 0.4302445; z 17.65183 from R irr::kappam.fleiss(diagnoses) (quoted in statsmodels'
    # test_inter_rater.py).
    counts = np.stack([(DIAGNOSES == c).sum(axis=1) for c in range(1, 6)], axis=1)
    res = pm.fleiss_kappa(counts)
    assert res.kappa == pytest.approx(0.4302445, abs=1e-7)
    assert res.z == pytest.approx(17.65183, abs=1e-5)
    assert res.pvalue < 1e-60
    assert (res.n_subjects, res.n_raters, res.n_categories) == (30, 6, 5)


@pytest.mark.parametrize(
    "level, alpha", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_2011(level, alpha):
    # Krippendorff (2011): nominal .743, ordinal .815, interval .849, ratio .797 (printed to 3 decimals).
    res = pm.krippendorff_alpha(KRIPPENDORFF, level=level)
    assert res.alpha == pytest.approx(alpha, abs=5e-4)
    assert res.n_units == 11 and res.n_pairable == 40  # unit 12 has one value only


def test_krippendorff_nominal_exact_and_text_values():
    # Krippendorff (2011) works the nominal case by hand: n = 40 pairable values, 8 mismatching coincidences,
    # value totals n_c = 9, 13, 10, 5, 3: alpha = 1 - (n - 1) 8 / (n^2 - sum n_c^2) = 1 - 39 * 8 / (1600 - 384).
    assert pm.krippendorff_alpha(KRIPPENDORFF).alpha == pytest.approx(1 - 39 * 8 / (1600 - 384), abs=1e-12)
    letters = KRIPPENDORFF.apply(lambda col: col.map(lambda v: None if pd.isna(v) else "abcde"[int(v) - 1]))
    assert pm.krippendorff_alpha(letters).alpha == pytest.approx(0.7434211, abs=1e-7)


def test_bad_input_is_a_clear_error():
    with pytest.raises(pm.DataError, match="square"):
        pm.cohen_kappa([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(pm.DataError, match="non-negative"):
        pm.cohen_kappa([[1, -2], [4, 5]])
    with pytest.raises(pm.DataError, match=r"positions \[1\]"):
        pm.cohen_kappa([1, None, 2], [1, 2, 2])
    with pytest.raises(pm.DataError, match="weights="):
        pm.cohen_kappa(SAS_TABLE, weights="cubic")
    with pytest.raises(pm.DataError, match=r"subjects \[1\]"):
        pm.fleiss_kappa([[3, 0], [2, 0], [1, 2]])
    with pytest.raises(pm.DataError, match="level="):
        pm.krippendorff_alpha(KRIPPENDORFF, level="metric")
    with pytest.raises(pm.DataError, match=r"unit 0, coder 'B'"):
        pm.krippendorff_alpha(pd.DataFrame({"A": [1, 2], "B": ["x", 3]}), level="interval")
    with pytest.raises(pm.DataError, match="pairable"):
        pm.krippendorff_alpha(pd.DataFrame({"A": [1, NA], "B": [NA, 2]}))


def test_callers_data_is_never_modified():
    data = KRIPPENDORFF.copy()
    pm.krippendorff_alpha(data, level="ordinal")
    pd.testing.assert_frame_equal(data, KRIPPENDORFF)
    table = pd.DataFrame(SAS_TABLE)
    pm.cohen_kappa(table, weights="linear")
    pd.testing.assert_frame_equal(table, pd.DataFrame(SAS_TABLE))
