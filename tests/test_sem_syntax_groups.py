"""lavaan syntax in multi-group models against lavaan 0.6-14: equal("f=~x2")*x3 across groups, and the invariance
ladder on a model with labels, an == constraint and a := definition.

Reference: tests/reference/syntax_groups.R (R 4.2.2, lavaan 0.6-14; cfa() on HolzingerSwineford1939 by school,
parameterEstimates, fitMeasures, lavTestLRT between neighbouring levels).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from conftest import load_reference

import psychometrics as pm
from psychometrics.sem.model_syntax import Modifier

REF = load_reference("syntax_groups.json")
FIT_KEYS = ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")


@functools.cache
def hs() -> pd.DataFrame:
    return pm.datasets.load("holzinger_swineford")


def assert_estimates(ours: pd.DataFrame, theirs: dict) -> None:
    """est and se of every lavaan row but the constraint rows (not part of ``estimates``), keyed by lhs, op, rhs,
    group."""
    theirs = pd.DataFrame(theirs)
    theirs = theirs[~theirs["op"].isin(["==", "<", ">"])]
    key = ["lhs", "op", "rhs", "group"]
    merged = theirs.merge(ours.assign(group=ours["group"].astype(str)), on=key, suffixes=("_r", ""), how="left")
    assert len(merged) == len(theirs) == len(ours) and merged["est"].notna().all()
    np.testing.assert_allclose(merged["est"], merged["est_r"], atol=1e-4)
    np.testing.assert_allclose(merged["se"], merged["se_r"], atol=1e-4)


def assert_fit(ours: dict, theirs: dict) -> None:
    for key in FIT_KEYS:
        assert ours[key] == pytest.approx(theirs[key], abs=1e-4), key


@pytest.mark.parametrize("case", ["plain", "labelled", "labelled_one_group"])
def test_equal_refers_to_the_first_groups_parameter(case):
    # plain: x3's loading = group 1's x2 loading in both groups; labelled (x2 labelled by c(a1, a2) or a): lavaan's
    # equal("visual=~x2") names no parameter and only ties x3's loadings across the groups
    ref = REF["equal"][case]
    fit = pm.cfa(ref["model"], hs(), group=ref.get("group"))
    assert_estimates(fit.estimates, ref["estimates"])
    assert_fit(fit.fit_measures, ref["fit"])
    loadings = fit.estimates.query("op == '=~' and lhs == 'visual'").set_index(["rhs", "group"])["est"]
    if case == "plain":
        assert loadings["x3", "Pasteur"] == pytest.approx(loadings["x2", "Pasteur"], abs=1e-10)
        assert loadings["x3", "Grant-White"] == pytest.approx(loadings["x2", "Pasteur"], abs=1e-10)


def test_equal_labels_the_referenced_term_in_the_first_group_only():
    term = pm.parse_model('visual =~ x1 + x2 + equal("visual=~x2")*x3').terms[1]
    assert term.modifier(0, 2) == Modifier(label="visual=~x2", from_equal=True)
    assert term.modifier(1, 2) == Modifier()


@pytest.fixture(scope="module")
def constrained_ladder():
    return pm.measurement_invariance(REF["ladder_model"], hs(), group="school")


def assert_ladder(ladder, reference: dict) -> None:
    for level, ref in reference.items():
        fit = ladder.fits[level]
        assert_fit(fit.fit_measures, ref["fit"])
        assert_estimates(fit.estimates, ref["estimates"])
        if "delta_chisq" in ref:
            row = ladder.table.loc[level]
            assert row["delta_chisq"] == pytest.approx(ref["delta_chisq"], abs=1e-4)
            assert row["delta_df"] == ref["delta_df"]
            assert row["delta_pvalue"] == pytest.approx(ref["delta_pvalue"], abs=1e-4)


def test_ladder_with_user_constraints_equals_lavaan_group_equal(constrained_ladder):
    # a*x2 + a*x3 (one loading in all groups), c(b1, b2)*x5 (left alone by group.equal), b1 == c1, d := b2 - c2
    assert_ladder(constrained_ladder, REF["ladder"])
    for fit in constrained_ladder.fits.values():
        assert fit.estimates.query("op == ':='")["lhs"].tolist() == ["d"]


def test_ladder_with_nonlinear_and_inequality_constraints_equals_lavaan():
    # v2a == v2b^2 and v2b > 0.5 on c(v2a, v2b)*x2: lavaan's constrained estimator at every level
    ladder = pm.measurement_invariance(
        REF["nonlinear_model"], hs(), group="school", levels=("configural", "metric", "scalar")
    )
    assert_ladder(ladder, REF["nonlinear_ladder"])
