"""General equality constraints (linear combinations, nonlinear) and binding inequality constraints against
lavaan 0.6-14.

References: tests/reference/constraints.json, written by tests/reference/constraints.R (R 4.2.2, lavaan 0.6-14) on
the bundled HolzingerSwineford1939, PoliticalDemocracy and bfi data and the simulated data of lavaan's constraints
tutorial (stored in the JSON): estimates, standard errors (lavaan's augmented information), z, p, confidence
intervals, standardised values and every fitMeasures() value, df counting each equality constraint.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from tests.conftest import load_reference

TOL = 1e-4


@functools.cache
def ref():
    return load_reference("constraints.json")


def dataset(name):
    if name == "tutorial":
        return pd.DataFrame(ref()["tutorial_data"])
    if name == "holes":  # the holes constraints.R makes (R rows 1, 5, 9 of x1; 2, 5, 40 of x5; 10-12 of x9)
        data = pm.datasets.load(HS).copy()
        for column, rows in (("x1", [0, 4, 8]), ("x5", [1, 4, 39]), ("x9", [9, 10, 11])):
            data.loc[data.index[rows], column] = np.nan
        return data
    return pm.datasets.load(name)


HS, PD = "holzinger_swineford", "political_democracy"
FITS = {
    "tutorial": (pm.sem, "tutorial", "tutorial", {}),
    "pd": (pm.sem, "pd", PD, {}),
    "hs_linear": (pm.cfa, "hs_linear", HS, {}),
    "hs_linear_mlr": (pm.cfa, "hs_linear", HS, {"estimator": "MLR"}),
    "hs_inequality": (pm.cfa, "hs_inequality", HS, {}),
    "hs_groups": (pm.cfa, "hs_groups", HS, {"group": "school"}),
    "ac_ordered": (pm.cfa, "ac_ordered", "bfi", {"ordered": True}),
    "hs_fiml_ml": (pm.cfa, "hs_fiml", "holes", {"missing": "fiml"}),
    "hs_fiml_mlr": (pm.cfa, "hs_fiml", "holes", {"missing": "fiml", "estimator": "MLR"}),
}
# lavaan's GFI/AGFI/PGFI of models with exogenous covariates (fixed.x) and of FIML fits differ from ours with or
# without constraints (a weight-matrix question of lav_fit_gfi, not of the constraints)
NOT_COMPARED = {
    "tutorial": {"gfi", "agfi", "pgfi"},
    "hs_fiml_ml": {"gfi", "agfi", "pgfi"},
    "hs_fiml_mlr": {"gfi", "agfi", "pgfi"},
}  # FIML's GFI differs without constraints too


@functools.cache
def fit(case):
    fitter, model, data, options = FITS[case]
    return fitter(ref()["models"][model], dataset(data), **options)


def keyed(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(group=table["group"].astype(str)).set_index(["lhs", "op", "rhs", "group"])


@pytest.mark.parametrize("case", sorted(FITS))
def test_estimates_equal_lavaan(case):
    theirs = keyed(pd.DataFrame(ref()["cases"][case]["estimates"]))
    ours = keyed(fit(case).estimates)
    assert sorted(ours.index) == sorted(theirs.index)
    for column in ("est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all"):
        a, b = ours.loc[theirs.index, column].to_numpy(float), theirs[column].to_numpy(float)
        # z = est/se: 1e-4 relative to |z| where |z| > 1
        atol = TOL * np.maximum(1.0, np.nan_to_num(np.abs(b))) if column == "z" else TOL
        bad = ~((np.abs(a - b) <= atol) | (np.isnan(a) & np.isnan(b)))
        # a parameter held at an active bound has variance 0 up to rounding: lavaan reports the root of +-1e-17
        # as 0 or (negative) NA, and then NA confidence limits; ours are below 1e-8 and the estimate
        at_bound = (theirs["se"].isna() | (theirs["se"] == 0)).to_numpy() & (
            ours.loc[theirs.index, "se"] < 1e-8
        ).to_numpy()
        bad &= ~(at_bound & np.isnan(b))
        assert not bad.any(), (column, theirs.index[bad].tolist(), a[bad], b[bad])


@pytest.mark.parametrize("case", sorted(FITS))
def test_fit_measures_equal_lavaan(case):
    ours = fit(case).fit_measures
    theirs = {k.replace(".", "_"): v for k, v in ref()["cases"][case]["fit"].items()}
    shared = sorted((set(ours) & set(theirs)) - NOT_COMPARED.get(case, set()))
    assert {"npar", "chisq", "df", "cfi", "rmsea", "srmr"} <= set(shared)
    for key in shared:
        a, b = ours[key], theirs[key]
        if b is None:
            assert np.isnan(a), key
        else:
            assert a == pytest.approx(b, abs=TOL, rel=TOL if abs(b) > 1000 else 0), key


def test_standardized_solution_equals_lavaan():
    """standardizedSolution(type = "std.all"): delta-method SEs from the constrained covariance."""
    theirs = keyed(pd.DataFrame(ref()["cases"]["pd"]["std_all"]))
    ours = keyed(fit("pd").standardized_solution("std.all").assign(group="1"))
    assert sorted(ours.index) == sorted(theirs.index)
    for column in ("est_std", "se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(ours.loc[theirs.index, column], theirs[column], rtol=0, atol=TOL, err_msg=column)


def test_each_equality_constraint_is_one_df_and_inequalities_none():
    assert fit("hs_linear").fit_measures["df"] == 25  # 24 + one linear equality
    assert fit("pd").fit_measures["df"] == 38  # 35 + three equalities
    assert fit("hs_inequality").fit_measures["df"] == 24  # two binding inequalities change neither df nor npar
    assert fit("hs_inequality").fit_measures["npar"] == 21


def test_the_constraints_hold_at_the_estimates():
    est = fit("tutorial").estimates.set_index("label")["est"]
    b1, b2, b3 = est["b1"], est["b2"], est["b3"]
    assert b1 == pytest.approx((b2 + b3) ** 2, abs=1e-10)
    assert b1 == pytest.approx(np.exp(b2 + b3), abs=1e-10)  # the inequality binds
    loadings = fit("hs_inequality").estimates.set_index("label")["est"]
    assert loadings["a"] == pytest.approx(0.7, abs=1e-12) and loadings["b"] == pytest.approx(0.7, abs=1e-10)
    assert loadings["d"] < 2


def test_binding_constraint_has_no_standard_error_of_its_own():
    """An active inequality fixes its parameter (lavaan: SE 0 for a loading held at its bound)."""
    se = fit("hs_inequality").estimates.set_index("label")["se"]
    assert se["a"] == pytest.approx(0, abs=1e-8) and se["b"] == pytest.approx(0, abs=1e-8)


def test_constraints_name_unknown_labels():
    with pytest.raises(pm.ModelError, match="'q'"):
        pm.cfa("visual =~ x1 + a*x2 + b*x3\na == 2*q", dataset(HS))


@pytest.mark.parametrize("case", ["pd", "hs_linear"])
def test_score_test_releases_general_constraints_as_lavaan(case):
    theirs = ref()["cases"][case]["score"]
    ours = fit(case).score_test()
    assert ours.total["X2"] == pytest.approx(theirs["total"]["X2"][0], abs=TOL)
    assert ours.total["df"] == theirs["total"]["df"][0]
    for name, table in (("uni", ours.table), ("cumulative", ours.cumulative)):
        expected = pd.DataFrame(theirs[name])
        assert list(table["lhs"]) == list(expected["lhs"]) and list(table["rhs"]) == list(expected["rhs"])
        np.testing.assert_allclose(table["X2"], expected["X2"], atol=TOL)
        np.testing.assert_array_equal(table["df"], expected["df"])


def test_score_test_refuses_inequality_constraints():
    with pytest.raises(pm.ModelError, match="inequality"):
        fit("hs_inequality").score_test()
