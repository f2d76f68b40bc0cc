"""Oblimin where GPArotation's 1000 iterations are not enough (issue 19): the rotation continues, then tries
seeded random starts, before giving up. Reference: GPArotation 2022.10.2 (tests/reference/rotation_slow.R)."""

import sys

import numpy as np
import pytest
from conftest import load_reference

import psychometrics as pm

REF = load_reference("rotation_slow.json")
rotation = sys.modules["psychometrics.factor.rotation"]


def _quartimin(loadings) -> float:
    return rotation._vgq_quartimin(np.asarray(loadings))[0]


def test_oblimin_converges_where_1000_iterations_do_not():
    assert not REF["converged_1000"] and REF["converged_10000"]
    result = pm.rotate_loadings(np.array(REF["A"]), "oblimin")
    np.testing.assert_allclose(result.loadings.to_numpy(), REF["loadings"], atol=1e-4)
    np.testing.assert_allclose(result.phi.to_numpy(), REF["phi"], atol=1e-4)


def test_random_starts_are_seeded_and_reach_the_minimum(monkeypatch):
    # A simple structure turned by a rotation; the runs from the identity are made to stall, so the result comes
    # from the seeded random starts: the same optimum (criterion) as the ordinary rotation, the same every time.
    structure = np.kron(np.eye(3), np.full((3, 1), 0.7)) + 0.1
    turned = structure @ np.linalg.qr(np.arange(1.0, 10.0).reshape(3, 3) ** 2)[0]
    ordinary = pm.rotate_loadings(turned, "oblimin")
    real_gpa = rotation._gpa

    def stalling(loadings, method, start, iterations, gamma=0.0):
        run = real_gpa(loadings, method, start, iterations, gamma)
        from_identity = start is not None and np.allclose(start, np.eye(3))
        return run[:3] + (0.0,) + run[4:] if from_identity or iterations == rotation._GPA_MORE_ITER else run

    monkeypatch.setattr(rotation, "_gpa", stalling)
    first = pm.rotate_loadings(turned, "oblimin")
    np.testing.assert_array_equal(first.loadings, pm.rotate_loadings(turned, "oblimin").loadings)
    assert _quartimin(first.loadings) == pytest.approx(_quartimin(ordinary.loadings), abs=1e-8)


def test_no_convergence_at_all_is_a_convergence_error(monkeypatch):
    monkeypatch.setattr(rotation, "_GPA_MORE_ITER", 0)
    monkeypatch.setattr(rotation, "_GPA_MAX_ITER", 2)
    with pytest.raises(pm.errors.ConvergenceError, match="random starts"):
        pm.rotate_loadings(np.array(REF["A"]), "oblimin")
