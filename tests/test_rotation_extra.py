"""Issue 20's extra methods against psych 2.2.9 / GPArotation 2022.10.2 (tests/reference/rotation_extra.R):
oblimax, equamax, bentlerT/bentlerQ, simplimax, oblimin with gamma; EFA eigenvalues, structure matrix and the
RMSEA interval level; Kendall correlations; Cohen's kappa with a custom weight matrix."""

import warnings

import numpy as np
import pytest

import psychometrics as pm
from conftest import load_reference
from psychometrics.errors import ConvergenceError, DataError

REF = load_reference("rotation_extra.json")
HS_ITEMS = [f"x{i}" for i in range(1, 10)]
# oblimax from the identity collapses two HS factors when 3 are extracted (phi = 1, loadings of 1e5 that differ
# in the 3rd digit between any two implementations): that case is left out; HS with 2 factors is proper.
# Where GPArotation stops unconverged after its 1000 iterations (bfi: oblimax, simplimax) R's values are not a
# solution: rotate_loadings goes on (more iterations, then random starts), so those cases are checked apart.
GPA_CASES = [
    (data, name)
    for data, cases in REF["gpa"].items()
    for name in cases
    if name != "unrotated" and (data, name) != ("holzinger_swineford", "oblimax") and cases[name]["converged"]
]
UNCONVERGED = [
    (data, name)
    for data, cases in REF["gpa"].items()
    for name in cases
    if name != "unrotated" and not cases[name]["converged"]
]


def _rotation_and_gamma(name: str) -> tuple[str, float]:
    return ("oblimin", float(name.rsplit("_", 1)[1])) if name.startswith("oblimin_gamma") else (name, 0.0)


@pytest.fixture(scope="module")
def datasets():
    bfi = pm.datasets.load("bfi").iloc[:, :25]
    return {"bfi": bfi, "holzinger_swineford": pm.datasets.load("holzinger_swineford")[HS_ITEMS]}


@pytest.mark.parametrize("data, name", GPA_CASES, ids=[f"{d}-{n}" for d, n in GPA_CASES])
def test_rotation_matches_gparotation(data, name):
    """GPArotation::<name>(L) (psych::equamax for equamax) on psych's unrotated minres loadings."""
    case = REF["gpa"][data]
    expected = case[name]
    rotation, gamma = _rotation_and_gamma(name)
    unrotated = np.array(case["unrotated"])
    res = pm.rotate_loadings(unrotated, rotation, gamma=gamma)
    np.testing.assert_allclose(res.loadings.to_numpy(), expected["loadings"], atol=1e-4)
    if expected["phi"] is None:
        assert res.phi is None
    else:
        np.testing.assert_allclose(res.phi.to_numpy(), expected["phi"], atol=1e-4)
    assert res.gamma == gamma and res.to_frame().equals(res.loadings)


# psych::fa keeps GPArotation's unconverged iterate where it stops after 1000 iterations: not compared
FA_CASES = [
    (rotation, data, n_factors)
    for rotation in sorted(REF["fa_rotations"])
    for data, n_factors in [("holzinger_swineford", 3), ("bfi", 5)]
    if REF["gpa"][data][rotation]["converged"]
]


@pytest.mark.parametrize("rotation, data, n_factors", FA_CASES, ids=[f"{r}-{d}" for r, d, _ in FA_CASES])
def test_efa_rotation_matches_psych_fa(datasets, rotation, data, n_factors):
    """psych::fa(data, nfactors, rotate = rotation): psych's column order and signs."""
    expected = REF["fa_rotations"][rotation][data]
    frame = datasets[data]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pm.efa(frame.corr(), n_factors, rotation=rotation, n_obs=len(frame))
    np.testing.assert_allclose(res.loadings.to_numpy(), expected["loadings"], atol=1e-4)
    if expected["phi"] is None:
        assert res.phi is None
    else:
        np.testing.assert_allclose(res.phi.to_numpy(), expected["phi"], atol=1e-4)


@pytest.mark.parametrize("data, name", UNCONVERGED, ids=[f"{d}-{n}" for d, n in UNCONVERGED])
def test_rotation_where_gparotation_stops_unconverged(data, name):
    """GPArotation warns "convergence not obtained" after 1000 iterations; here the rotation either reaches a
    solution with a lower criterion-gradient (reported as converged) or raises ConvergenceError."""
    unrotated = np.array(REF["gpa"][data]["unrotated"])
    try:
        res = pm.rotate_loadings(unrotated, name)
    except ConvergenceError:
        return
    assert np.all(np.isfinite(res.loadings.to_numpy())) and res.phi is not None


def test_efa_oblimin_gamma_orders_and_signs_the_gparotation_solution(datasets):
    """efa(gamma=) is GPArotation::oblimin(L, gam) of the unrotated loadings, ordered and signed as psych."""
    expected = REF["gpa"]["holzinger_swineford"]["oblimin_gamma_0.5"]
    res = pm.efa(datasets["holzinger_swineford"], 3, rotation="oblimin", gamma=0.5)
    loadings, phi = np.array(expected["loadings"]), np.array(expected["phi"])
    signs = np.sign(loadings.sum(axis=0))
    loadings, phi = loadings * signs, phi * np.outer(signs, signs)
    order = np.argsort(-np.diag(phi @ loadings.T @ loadings), kind="stable")
    np.testing.assert_allclose(res.loadings.to_numpy(), loadings[:, order], atol=1e-4)
    np.testing.assert_allclose(res.phi.to_numpy(), phi[np.ix_(order, order)], atol=1e-4)


def test_gamma_needs_oblimin():
    with pytest.raises(DataError, match="oblimin"):
        pm.rotate_loadings(np.eye(3)[:, :2] + 0.1, "varimax", gamma=0.5)


def test_efa_eigenvalues_structure_and_interval_level(datasets):
    """psych::fa(hs, 3, alpha = .05): e.values, Structure (L Phi) and the 95% RMSEA interval."""
    ref = REF["efa_extra"]
    res = pm.efa(datasets["holzinger_swineford"], 3, confidence=0.95)
    np.testing.assert_allclose(res.eigenvalues.to_numpy(), ref["e_values"], atol=1e-10)
    np.testing.assert_allclose(res.structure.to_numpy(), ref["structure"], atol=1e-4)
    for key in ("rmsea", "rmsea_ci_low", "rmsea_ci_high"):
        assert res.fit[key] == pytest.approx(ref[key], abs=1e-4), key
    assert res.confidence == 0.95
    varimax = pm.efa(datasets["holzinger_swineford"], 3, rotation="varimax")
    np.testing.assert_allclose(varimax.structure.to_numpy(), ref["structure_varimax"], atol=1e-4)


def test_kendall_correlations_match_psych_corr_test(datasets):
    """psych::corr.test(bfi[, 1:5], method = "kendall", adjust = "holm"): tau-b, Fisher-z interval, p."""
    ref = REF["kendall"]
    res = pm.correlations(datasets["bfi"].iloc[:, :5], method="kendall")
    rows, cols = np.triu_indices(5, k=1)
    np.testing.assert_allclose(res["r"], np.array(ref["r"])[rows, cols], atol=1e-10)
    np.testing.assert_allclose(res["ci_low"], ref["ci_low"], atol=1e-10)
    np.testing.assert_allclose(res["ci_high"], ref["ci_high"], atol=1e-10)
    np.testing.assert_allclose(res["pvalue"], ref["p"], rtol=1e-6)
    np.testing.assert_array_equal(res["n"], np.array(ref["n"])[rows, cols])


@pytest.mark.parametrize("case", sorted(REF["kappa"]))
def test_kappa_with_a_custom_weight_matrix_matches_psych(datasets, case):
    """psych::cohen.kappa(bfi[, c("A2", "A3")], w = W)$weighted.kappa."""
    ref = REF["kappa"][case]
    ratings = datasets["bfi"][["A2", "A3"]].dropna()
    res = pm.cohen_kappa(ratings["A2"], ratings["A3"], weights=np.array(ref["weights"]))
    assert res.kappa == pytest.approx(ref["kappa"], abs=1e-10)
    assert res.weights == "custom"


def test_custom_linear_weights_reproduce_the_sas_example():
    # SAS documentation (PROC FREQ AGREE): linearly weighted kappa .4701, ASE .1457 (Fleiss, Cohen & Everitt 1969).
    # psych's var.weighted differs from that published formula (ASE .1467), so the ASE follows SAS, not psych.
    linear = 1 - np.abs(np.subtract.outer(np.arange(3), np.arange(3))) / 2
    res = pm.cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]], weights=linear)
    assert res.kappa == pytest.approx(0.4701, abs=5e-5)
    assert res.ase == pytest.approx(0.1457, abs=5e-5)


def test_bad_custom_weights_are_clear_errors():
    with pytest.raises(DataError, match="3 x 3"):
        pm.cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]], weights=np.eye(2))
    with pytest.raises(DataError, match="diagonal"):
        pm.cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]], weights=np.full((3, 3), 0.5))
