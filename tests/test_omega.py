"""omega (Schmid-Leiman) against the psych omega vignette and psych 2.2.9 (tests/reference/factor.R)."""

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from conftest import load_reference

REF = load_reference("factor.json")


def test_thurstone_published():
    # psychTools omega vignette, omega(Thurstone, n.obs = 213): alpha 0.8914575, omega_h 0.7360703,
    # omega_h asymptotic 0.7907716, omega_total 0.9308254 (PUBLISHED_VALUES.md)
    res = pm.omega(pm.datasets.load("thurstone"), 3, n_obs=213)
    assert res.alpha == pytest.approx(0.8914575, abs=1e-6)
    assert res.omega_hierarchical == pytest.approx(0.7360703, abs=1e-5)
    assert res.omega_asymptotic == pytest.approx(0.7907716, abs=1e-5)
    assert res.omega_total == pytest.approx(0.9308254, abs=1e-5)
    # Schmid-Leiman g loadings .71 .73 .68 .65 .62 .56 .59 .58 .54
    np.testing.assert_allclose(res.g_loadings.round(2), [0.71, 0.73, 0.68, 0.65, 0.62, 0.56, 0.59, 0.58, 0.54])


@pytest.mark.parametrize("name", ["thurstone", "hs", "bfi", "hs2"])
def test_matches_psych(name):
    data = {
        "thurstone": lambda: pm.datasets.load("thurstone"),
        "hs": lambda: pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]],
        "hs2": lambda: pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]],
        "bfi": lambda: pm.datasets.load("bfi").iloc[:, :25],
    }[name]()
    ref = REF["omega"][name]
    before = data.copy()
    res = pm.omega(data, ref["nfactors"], n_obs=213 if name == "thurstone" else None)
    assert res.omega_hierarchical == pytest.approx(ref["omega_h"], abs=1e-4)
    assert res.omega_total == pytest.approx(ref["omega_tot"], abs=1e-4)
    assert res.omega_asymptotic == pytest.approx(ref["omega_lim"], abs=1e-4)
    assert res.alpha == pytest.approx(ref["alpha"], abs=1e-10)
    assert res.ecv == pytest.approx(ref["ecv"], abs=1e-4)
    np.testing.assert_allclose(res.schmid_leiman.to_numpy(), ref["sl"], atol=1e-4)
    np.testing.assert_allclose(res.subscale_omega.to_numpy(), np.array(ref["group"], dtype=float), atol=1e-4)
    np.testing.assert_allclose(res.g_loadings.to_numpy(), np.array(ref["sl"])[:, 0], atol=1e-4)
    pd.testing.assert_frame_equal(data, before)


def test_reversed_items_are_flagged():
    res = pm.omega(pm.datasets.load("bfi").iloc[:, :25], 5)
    assert "A1-" in res.g_loadings.index and (res.g_loadings >= 0).all()


def test_bad_input():
    with pytest.raises(pm.DataError, match="at least 1"):
        pm.omega(pm.datasets.load("thurstone"), 0)
    with pytest.raises(pm.IdentificationError):
        pm.omega(pm.datasets.load("thurstone"), 7)


def test_one_factor_omega_matches_psych():
    # R: omega(HolzingerSwineford1939[, paste0("x", 1:9)], 1) (psych 2.2.9): omega_h 0.7437912050,
    # omega.tot 0.7706982837, omega.lim 0.9650874028, ECV 1
    res = pm.omega(pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]], 1)
    assert res.omega_hierarchical == pytest.approx(0.7437912050, abs=1e-4)
    assert res.omega_total == pytest.approx(0.7706982837, abs=1e-4)
    assert res.omega_asymptotic == pytest.approx(0.9650874028, abs=1e-4)
    assert res.ecv == 1.0
