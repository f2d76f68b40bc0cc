"""Parallel analysis and Velicer's MAP against psych 2.2.9 (tests/reference/factor.R)."""

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.factor.retention import _pairwise_correlations
from conftest import load_reference

REF = load_reference("factor.json")


@pytest.fixture(scope="module")
def data():
    return {
        "bfi": pm.datasets.load("bfi").iloc[:, :25],
        "hs": pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]],
    }


@pytest.mark.parametrize("name, n_factors, n_components", [("bfi", 8, 6), ("hs", 3, 3)])
def test_parallel_analysis_observed_eigenvalues_match_psych(data, name, n_factors, n_components):
    """Observed eigenvalues of fa.parallel(x, SMC = TRUE): pc.values and fa.values (SMC-reduced)."""
    before = data[name].copy()
    res = pm.parallel_analysis(data[name], n_iter=20, seed=11)
    ref = REF["parallel_observed"][name]
    np.testing.assert_allclose(res.eigenvalues["observed_pc"], ref["pc"], atol=1e-10)
    np.testing.assert_allclose(res.eigenvalues["observed_fa"], ref["fa"], atol=1e-10)
    # psych 2.2.9 prints "Parallel analysis suggests that the number of factors = 8 and components = 6" (bfi)
    # and 3 / 3 (Holzinger-Swineford); the simulated references are random, the suggestions are stable
    assert (res.n_factors, res.n_components) == (n_factors, n_components)
    pd.testing.assert_frame_equal(data[name], before)


def test_parallel_analysis_random_reference_behaves(data):
    res = pm.parallel_analysis(data["hs"], n_iter=50, seed=3)
    table = res.eigenvalues
    # random correlation matrices of 301 x 9 normal data: eigenvalues spread around 1, summing to 9
    assert table["simulated_pc"].sum() == pytest.approx(9, abs=1e-8)
    assert 1.1 < table["simulated_pc"].iloc[0] < 1.5 and table["simulated_pc"].is_monotonic_decreasing
    assert table["resampled_pc"].sum() == pytest.approx(9, abs=1e-8)
    again = pm.parallel_analysis(data["hs"], n_iter=50, seed=3)
    pd.testing.assert_frame_equal(table, again.eigenvalues)
    upper = pm.parallel_analysis(data["hs"], n_iter=50, seed=3, quantile=0.95, kind="fa")
    assert (upper.eigenvalues["simulated_pc"] >= table["simulated_pc"] - 1e-12).iloc[:3].all()
    assert upper.n_components is None and upper.n_factors == 3


def test_batched_pairwise_correlations_equal_pandas(data):
    frame = data["bfi"].iloc[:400, :6]
    stacked = _pairwise_correlations(frame.to_numpy()[None])
    np.testing.assert_allclose(stacked[0], frame.corr().to_numpy(), atol=1e-12)


def test_parallel_analysis_polychoric(data):
    res = pm.parallel_analysis(data["bfi"].iloc[:, :10], n_iter=2, seed=1, cor="polychoric")
    np.testing.assert_allclose(
        res.eigenvalues["observed_pc"], np.linalg.eigvalsh(pm.polychoric(data["bfi"].iloc[:, :10]).correlation)[::-1]
    )


def test_parallel_analysis_bad_options(data):
    with pytest.raises(pm.DataError, match="quantile"):
        pm.parallel_analysis(data["hs"], quantile=95)
    with pytest.raises(pm.DataError, match="kind"):
        pm.parallel_analysis(data["hs"], kind="pca")
    with pytest.raises(pm.DataError, match="constant"):
        pm.parallel_analysis(data["hs"].assign(k=3.0))


@pytest.mark.parametrize("name, expected", [("bfi", 5), ("hs", 2)])
def test_velicer_map_matches_psych_vss(data, name, expected):
    res = pm.velicer_map(data[name])
    ref = np.array(REF["map"][name], dtype=float)
    np.testing.assert_allclose(res.values["squared"].to_numpy()[1:], ref[: len(res.values) - 1], atol=1e-10)
    assert res.n_components == expected
    assert res.values["fourth"].iloc[0] < res.values["squared"].iloc[0]


def test_velicer_map_with_a_correlation_matrix():
    res = pm.velicer_map(pm.datasets.load("thurstone"))
    assert res.n_components == 3 and len(res.values) == 9


def test_parallel_analysis_needs_raw_data():
    with pytest.raises(pm.DataError, match="raw data"):
        pm.parallel_analysis(pm.datasets.load("thurstone"))
