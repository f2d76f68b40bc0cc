"""Polychoric and tetrachoric correlations against published values and psych 2.2.9 (tests/reference/factor.R).

R's optimize() stops within about 1e-4 of the likelihood maximum (its default tolerance); this estimator
solves the likelihood equation to 1e-12, so psych's values are matched to 1e-4.
"""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

import psychometrics as pm
from psychometrics.factor._bvn import bvn_cdf
from psychometrics.factor.polychoric import _table_rho
from conftest import load_reference

REF = load_reference("factor.json")


@pytest.fixture(scope="module")
def bfi():
    return pm.datasets.load("bfi").iloc[:, :25]


def test_bivariate_normal_cdf_matches_scipy():
    rng = np.random.default_rng(7)
    h, k = rng.normal(size=(2, 60)) * 1.5
    r = np.concatenate([rng.uniform(-0.99, 0.99, 30), rng.uniform(0.93, 0.9999, 15), -rng.uniform(0.93, 0.9999, 15)])
    expected = [multivariate_normal(cov=[[1, ri], [ri, 1]]).cdf([hi, ki]) for hi, ki, ri in zip(h, k, r)]
    np.testing.assert_allclose(bvn_cdf(h, k, r), expected, atol=1e-10)
    np.testing.assert_allclose(
        bvn_cdf([np.inf, -np.inf, 0.3], [0.2, 1.0, np.inf], 0.4), [0.579260, 0.0, 0.617911], atol=1e-6
    )


def test_bfi_matches_psych(bfi):
    before = bfi.copy()
    res = pm.polychoric(bfi)
    np.testing.assert_allclose(res.correlation.to_numpy(), REF["polychoric_bfi"]["rho"], atol=1e-4)
    np.testing.assert_allclose(res.thresholds.to_numpy(), REF["polychoric_bfi"]["tau"], atol=1e-10)
    assert res.n_obs == 2800 and list(res.correlation.columns) == list(bfi.columns)
    pd.testing.assert_frame_equal(bfi, before)


@pytest.mark.parametrize("correct, key", [(0, "correct0"), (0.5, "correct05")])
def test_items_with_different_numbers_of_categories(bfi, correct, key):
    data = bfi.iloc[:, :6].copy()
    data["A1"] = np.minimum(data["A1"], 4)  # psych then takes thresholds pairwise (global = FALSE)
    res = pm.polychoric(data, correct=correct)
    np.testing.assert_allclose(res.correlation.to_numpy(), REF["polychoric_unequal"][key], atol=1e-4)


def test_olsson_1979_table():
    # Olsson (1979) 3 x 3 table: rho .49 (R psych 0.49137), row thresholds -1.77 -.14, column -.69 .67
    table = np.array([[13, 6, 0], [69, 113, 22], [41, 132, 104]])  # matrix(c(13,69,41,6,113,132,0,22,104),3,3)
    rho, rows, cols = _table_rho(table)
    assert rho == pytest.approx(REF["polychoric_olsson"]["rho"], abs=1e-4)
    assert round(rho, 2) == 0.49
    np.testing.assert_allclose(rows[:2], REF["polychoric_olsson"]["tau_row"], atol=1e-10)
    np.testing.assert_allclose(cols[:2], REF["polychoric_olsson"]["tau_col"], atol=1e-10)


def test_olsson_table_as_raw_data_with_an_empty_cell():
    table = np.array([[13, 6, 0], [69, 113, 22], [41, 132, 104]])
    rows, cols = np.indices(table.shape)
    data = pd.DataFrame({"x": np.repeat(rows.ravel(), table.ravel()), "y": np.repeat(cols.ravel(), table.ravel())})
    res = pm.polychoric(data)
    assert res.correlation.loc["x", "y"] == pytest.approx(REF["polychoric_olsson"]["rho"], abs=1e-4)


@pytest.mark.parametrize(
    "p1, p2, p11, rho",
    # Kirk (1973) tetrachoric table: (p1, p2, p11) -> rho
    [(0.5, 0.5, 0.333333, 0.5), (0.5, 0.5, 0.1150267, -0.75), (0.5, 0.5, 0.397584, 0.8), (0.5, 0.2275, 0.11375, 0.0)],
)
def test_kirk_1973_tetrachorics(p1, p2, p11, rho):
    table = [[p11, p1 - p11], [p2 - p11, 1 - p1 - p2 + p11]]
    assert _table_rho(table)[0] == pytest.approx(rho, abs=1e-4)


def test_tetrachoric_lsat6_matches_psych():
    res = pm.tetrachoric(pm.datasets.load("lsat6"))
    np.testing.assert_allclose(res.correlation.to_numpy(), REF["tetrachoric_lsat6"]["rho"], atol=1e-4)
    np.testing.assert_allclose(res.thresholds.to_numpy().ravel(), REF["tetrachoric_lsat6"]["tau"], atol=1e-10)


def test_tetrachoric_needs_dichotomous_items(bfi):
    with pytest.raises(pm.DataError, match="dichotomous"):
        pm.tetrachoric(bfi.iloc[:, :3])


def test_bad_input_is_a_clear_error(bfi):
    with pytest.raises(pm.DataError, match=r"whole-number.*'A2'"):
        pm.polychoric(bfi.iloc[:, :3].assign(A2=bfi["A2"] + 0.5))
    with pytest.raises(pm.DataError, match="categories"):
        pm.polychoric(pd.DataFrame({"a": np.arange(20) % 10, "b": np.arange(20) % 3}))
    with pytest.raises(pm.DataError, match="constant"):
        pm.polychoric(bfi.iloc[:, :3].assign(c=1))


def test_polychoric_efa_input(bfi):
    res = pm.efa(bfi.iloc[:, :10], 2, cor="polychoric")
    assert res.loadings.shape == (10, 2) and res.fit["rms"] > 0


def test_empty_category_with_global_thresholds(bfi):
    data = bfi.iloc[:, :5].copy()
    data.loc[data["A2"] == 3, "A2"] = 2  # A2 never answers 3: two equal thresholds, an empty row in every table
    res = pm.polychoric(data)
    ref = REF["polychoric_empty_category"]
    np.testing.assert_allclose(res.correlation.to_numpy(), ref["rho"], atol=1e-4)
    np.testing.assert_allclose(res.thresholds.to_numpy(), ref["tau"], atol=1e-10)
