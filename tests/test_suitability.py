"""KMO and Bartlett's test against psych 2.2.9 (PUBLISHED_VALUES.md, Factor structure; tests/reference/factor.R)."""

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from conftest import load_reference

REF = load_reference("factor.json")
HS_ITEMS = [f"x{i}" for i in range(1, 10)]


@pytest.fixture(scope="module")
def data():
    return {
        "thurstone": pm.datasets.load("thurstone"),
        "hs": pm.datasets.load("holzinger_swineford")[HS_ITEMS],
        "bfi": pm.datasets.load("bfi").iloc[:, :25],
    }


@pytest.mark.parametrize(
    "name, published",
    # R psych::KMO (psych 2.2.9): Thurstone .88039, HolzingerSwineford x1-x9 .75224, bfi items .84590
    [("thurstone", 0.88039), ("hs", 0.75224), ("bfi", 0.84590)],
)
def test_kmo_matches_psych(data, name, published):
    res = pm.kmo(data[name])
    assert res.overall == pytest.approx(published, abs=1e-5)
    assert res.overall == pytest.approx(REF["kmo"][name]["overall"], abs=1e-10)
    np.testing.assert_allclose(res.per_item.to_numpy(), REF["kmo"][name]["per_item"], atol=1e-10)
    assert list(res.per_item.index) == list(data[name].columns)


def test_kmo_harman_political():
    # R psych::KMO(Harman.political) = 0.80983 (PUBLISHED_VALUES.md)
    assert pm.kmo(pm.datasets.load("harman_political")).overall == pytest.approx(0.80983, abs=1e-5)


@pytest.mark.parametrize("name, n_obs", [("thurstone", 213), ("hs", None), ("bfi", None)])
def test_bartlett_matches_psych(data, name, n_obs):
    res = pm.bartlett_sphericity(data[name], n_obs=n_obs)
    ref = REF["bartlett"][name]
    assert res.statistic == pytest.approx(ref["statistic"], rel=1e-10)
    assert res.df == ref["df"]
    assert res.pvalue == pytest.approx(ref["pvalue"], abs=1e-12)


def test_bartlett_published_values(data):
    # psych::cortest.bartlett: Thurstone chi2 1081.968 on 36 df (n = 213); HS x1-x9 904.097 on 36 df
    assert pm.bartlett_sphericity(data["thurstone"], n_obs=213).statistic == pytest.approx(1081.968, abs=1e-3)
    hs = pm.bartlett_sphericity(data["hs"])
    assert (round(hs.statistic, 3), hs.df, hs.n_obs) == (904.097, 36, 301)


def test_bartlett_needs_n_obs_with_a_matrix(data):
    with pytest.raises(pm.DataError, match="n_obs"):
        pm.bartlett_sphericity(data["thurstone"])


def test_singular_matrix_is_a_clear_error(data):
    hs = data["hs"].copy()
    hs["dup"] = hs["x1"]
    with pytest.raises(pm.DataError, match="not positive definite"):
        pm.kmo(hs)
    with pytest.raises(pm.DataError, match="not positive definite"):
        pm.bartlett_sphericity(hs.corr(), n_obs=301)


def test_constant_item_is_a_clear_error(data):
    hs = data["hs"].assign(const=1.0)
    before = hs.copy()
    with pytest.raises(pm.DataError, match="constant"):
        pm.kmo(hs)
    pd.testing.assert_frame_equal(hs, before)


def test_results_serialise(data):
    assert set(pm.kmo(data["hs"]).to_dict()) == {"overall", "per_item"}
    assert pm.kmo(data["hs"]).to_frame().shape == (9, 1)
