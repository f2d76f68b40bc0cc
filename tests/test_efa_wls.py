"""EFA ``method="wls"`` and ``"gls"`` against psych 2.2.9 / GPArotation 2022.10.2 (tests/reference/efa_wls.R).

psych::fa(fm = "wls" | "gls") minimises its criterion fit.residuals() with optim(L-BFGS-B) but gives optim the ML
gradient, so optim stops (line-search failure or relative reduction) short of the criterion's minimum: in all 22
reference cases psych's printed solution has a higher criterion than the minimum. The reference ``optimum`` is
psych's own pipeline (fac) with optim replaced by a tight nlminb minimisation of the same criterion (best of
7 starts); the package equals it at 1e-4. Against psych's printed solution we check that our criterion is lower,
with the gap stated per case below.
"""

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import psychometrics as pm
from conftest import load_reference

efa_module = importlib.import_module("psychometrics.factor.efa")

REF = load_reference("efa_wls.json")
CASES = REF["cases"]
FIT_KEYS = {
    "chisq": "chisq",
    "df": "dof",
    "rmsea": "rmsea",
    "tli": "tli",
    "bic": "bic",
    "rms": "rms",
    "crms": "crms",
    "objective": "objective",
}
# criterion (psych's fit.residuals) at psych's printed solution and at the minimum, from efa_wls.json
PSYCH_STOPS_SHORT = {
    ("holzinger_swineford", 1, "wls"): (0.597951, 0.552000),
    ("holzinger_swineford", 2, "wls"): (0.247215, 0.245972),
    ("holzinger_swineford", 3, "wls"): (0.009065, 0.008877),
    ("bfi", 5, "wls"): (0.220413, 0.212430),
    ("harman74", 4, "wls"): (0.256150, 0.255183),
    ("ability_cov", 2, "wls"): (0.013522, 0.011517),
    ("holzinger_swineford", 1, "gls"): (2.851503, 1.116850),
    ("holzinger_swineford", 2, "gls"): (0.990325, 0.562143),
    ("holzinger_swineford", 3, "gls"): (0.191973, 0.163997),
    ("bfi", 5, "gls"): (1.137018, 0.918128),
    ("harman74", 4, "gls"): (6.331740, 3.198764),
    ("ability_cov", 2, "gls"): (0.158071, 0.131757),
}


@pytest.fixture(scope="module")
def correlations():
    hs = pm.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]
    matrices = {"holzinger_swineford": hs.corr(), "bfi": pm.datasets.load("bfi").iloc[:, :25].corr()}
    for name, stored in REF["correlations"].items():
        matrices[name] = pd.DataFrame(stored["matrix"], index=stored["names"], columns=stored["names"])
    return matrices


def _efa(case, correlations):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm.efa(
            correlations[case["data"]],
            case["nfactors"],
            method=case["method"],
            rotation=case["rotation"],
            n_obs=case["n_obs"],
        )


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['data']}-{c['method']}-{c['nfactors']}-{c['rotation']}" for c in CASES]
)
def test_equals_the_minimum_of_psychs_criterion(case, correlations):
    """psych's fac() pipeline (loadings, rotation, signs, order, fa.stats) at the minimum of fit.residuals."""
    ref = case["optimum"]
    res = _efa(case, correlations)
    np.testing.assert_allclose(res.loadings.to_numpy(), np.reshape(ref["loadings"], res.loadings.shape), atol=1e-4)
    np.testing.assert_allclose(res.communalities.to_numpy(), ref["communality"], atol=1e-4)
    np.testing.assert_allclose(res.uniquenesses.to_numpy(), ref["uniquenesses"], atol=1e-4)
    if ref["phi"] is None:
        assert res.phi is None
    else:
        np.testing.assert_allclose(res.phi.to_numpy(), ref["phi"], atol=1e-4)
    for key, json_key in FIT_KEYS.items():
        assert res.fit[key] == pytest.approx(ref["fit"][json_key], abs=1e-4 * max(1.0, abs(ref["fit"][json_key]))), key
    prefix = case["method"].upper()
    assert list(res.loadings.columns) == [f"{prefix}{k + 1}" for k in range(case["nfactors"])]


# one case per data set, factor count and method (the criterion does not depend on the rotation)
CRITERION_CASES = list({(c["data"], c["nfactors"], c["method"]): c for c in CASES}.values())


@pytest.mark.parametrize(
    "case", CRITERION_CASES, ids=[f"{c['data']}-{c['method']}-{c['nfactors']}" for c in CRITERION_CASES]
)
def test_criterion_is_at_or_below_psychs(case, correlations):
    """Our uniquenesses minimise psych's criterion: equal to nlminb's minimum and below psych's printed solution."""
    r = correlations[case["data"]].to_numpy()
    psi, _ = efa_module._fit_uniquenesses(r, case["nfactors"], case["method"])
    objective = {"wls": efa_module._wls_objective, "gls": efa_module._gls_objective}[case["method"]]
    ours = objective(psi, r, case["nfactors"])[0]
    printed, minimum = case["printed"]["criterion"], case["optimum"]["criterion"]
    assert ours == pytest.approx(minimum, abs=1e-9)
    np.testing.assert_allclose(psi, case["optimum"]["psi"], atol=1e-4)
    assert objective(np.array(case["printed"]["psi"]), r, case["nfactors"])[0] == pytest.approx(printed, rel=1e-10)
    assert ours < printed
    stated = PSYCH_STOPS_SHORT[(case["data"], case["nfactors"], case["method"])]
    np.testing.assert_allclose([printed, minimum], stated, atol=1e-6)


def test_lower_of_two_starts_is_kept(correlations):
    """ability.cov, 2 factors, wls: psych's start (SMC) leads to a local minimum 0.0789 (R nlminb too); 1 - SMC
    and 5 random starts reach 0.011517, which is kept."""
    case = next(c for c in CASES if c["data"] == "ability_cov" and c["method"] == "wls")
    assert case["criterion_from_smc_start"] == pytest.approx(0.0788968, abs=1e-6)
    assert case["optimum"]["criterion"] == pytest.approx(0.0115169, abs=1e-6)
    r = correlations["ability_cov"].to_numpy()
    psi, _ = efa_module._fit_uniquenesses(r, 2, "wls")
    assert efa_module._wls_objective(psi, r, 2)[0] == pytest.approx(0.0115169, abs=1e-6)


@pytest.mark.parametrize("method", ["wls", "gls"])
@pytest.mark.parametrize("n_factors", [1, 3])
def test_gradient_is_the_criterions(method, n_factors, correlations):
    r = correlations["holzinger_swineford"].to_numpy()
    objective = {"wls": efa_module._wls_objective, "gls": efa_module._gls_objective}[method]
    psi = np.random.default_rng(20).uniform(0.2, 0.8, r.shape[0])
    numeric = optimize.approx_fprime(psi, lambda p: objective(p, r, n_factors)[0], 1e-7)
    np.testing.assert_allclose(objective(psi, r, n_factors)[1], numeric, atol=2e-6)


def test_wls_needs_a_positive_definite_matrix():
    singular = np.full((4, 4), 0.5)
    np.fill_diagonal(singular, 1.0)
    singular[3, :3] = singular[:3, 3] = 1.0
    singular[3, 3] = 1.0
    with pytest.raises(pm.DataError, match="positive definite"):
        pm.efa(pd.DataFrame(singular), 1, method="gls")
