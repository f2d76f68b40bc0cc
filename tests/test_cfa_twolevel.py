"""Two-level CFA (issue 14) against lavaan 0.6-14: ``level: 1`` / ``level: 2`` blocks fitted with ``cluster=``.

Source: tests/reference/twolevel.json written by tests/reference/twolevel.R (R 4.2.2, lavaan 0.6-14; each case
stores its R call) on lavaan's Demo.twolevel (clusters 1..120, y1..y6, rounded to 4 decimals:
tests/reference/twolevel_demo.csv): a one-factor model at each level (also with std.lv), two factors at each level
(std.lv; also with a factor regressed on the other at each level), a within-only indicator (std.lv), a within-only
and a between-only (cluster-level w1) indicator, and a model with loadings equal across levels (shared labels), a
within residual covariance and a fixed between variance; ML and MLR; and (ML) a fixed negative between residual
variance. Tolerances: 1e-4 absolute on every fit measure, estimate, standard error and standardised value; the
chi-squares may instead pass within 1e-5 relative (the project's rule), the baseline's scaled chi-square within 1e-4
relative: lavaan's nlminb stops its baseline refit with a gradient of ~1e-6, where the Yuan-Bentler h0 trace is
~3e-5 from its value at the maximum; test_baseline_traces_at_lavaans_estimates shows that our traces at lavaan's own
baseline estimates are lavaan's to 1e-7.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import REFERENCE_DIR, load_reference

import psychometrics as pm
from psychometrics.errors import DataError, ModelError, ModelSyntaxError
from psychometrics.sem.cfa import _twolevel
from psychometrics.sem.cfa._twolevel_stats import ClusterStats, em_saturated

REF = load_reference("twolevel.json")
MODELS = REF["models"]
CASES = REF["cases"]
RELATIVE = {"chisq": 1e-5, "chisq.scaled": 1e-5, "baseline.chisq": 1e-5, "baseline.chisq.scaled": 1e-4}
_FITS: dict = {}


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(REFERENCE_DIR / "twolevel_demo.csv")


def fitted(demo, case: str):
    """The fit of a reference case (fitted once per session)."""
    if case not in _FITS:
        name, estimator = case.rsplit("_", 1)
        std_lv = name in ("two_factor", "within_only", "latent_regression", "one_factor_std_lv")
        model = MODELS[name.replace("_std_lv", "")]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Heywood case", UserWarning)  # the heywood case's fixed -0.3
            _FITS[case] = pm.cfa(model, demo, cluster="cluster", estimator=estimator, std_lv=std_lv)
    return _FITS[case]


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_measures(demo, case):
    fit, expected = fitted(demo, case), CASES[case]["fit"]
    assert set(fit.fit_measures) == {key.replace(".", "_") for key in expected}  # lavaan's list for two levels
    for key, value in expected.items():
        mine = fit.fit_measures[key.replace(".", "_")]
        if value is None:
            assert np.isnan(mine), key
        elif key in RELATIVE:
            assert mine == pytest.approx(value, rel=RELATIVE[key], abs=1e-4), key
        else:
            assert mine == pytest.approx(value, abs=1e-4), key


@pytest.mark.parametrize("case", sorted(CASES))
def test_estimates(demo, case):
    fit, expected = fitted(demo, case), pd.DataFrame(CASES[case]["estimates"])
    mine = fit.estimates
    keys = ["lhs", "op", "rhs", "level", "label"]
    assert mine[keys].astype(str).values.tolist() == expected.fillna({"rhs": ""})[keys].astype(str).values.tolist()
    for column in ("est", "se", "std_lv", "std_all"):
        np.testing.assert_allclose(mine[column], expected[column], atol=1e-4, err_msg=column)
    assert fit.n_obs == CASES[case]["nobs"] and fit.n_clusters == CASES[case]["nclusters"] == 120


def test_lavaan_options_for_two_levels():
    """The defaults reproduced: observed information (Hessian), structured h1 information; MLR's sandwich and
    Yuan-Bentler (Mplus) test."""
    ml, mlr = CASES["two_factor_ML"]["options"], CASES["two_factor_MLR"]["options"]
    assert ml["information"][0] == "observed" and ml["observed.information"][0] == "hessian"
    assert ml["h1.information"][0] == "structured" and ml["se"] == "standard" and ml["test"] == "standard"
    assert mlr["se"] == "robust.huber.white" and mlr["test"] == "yuan.bentler.mplus"


@pytest.mark.parametrize(
    "case", ["one_factor_MLR", "two_factor_MLR", "within_only_MLR", "between_only_MLR", "cross_level_labels_MLR"]
)
def test_baseline_traces_at_lavaans_estimates(demo, case):
    """The baseline's Yuan-Bentler traces evaluated at lavaan's own (slightly unconverged) baseline estimates."""
    ref = CASES[case]["baseline"]
    table = pd.DataFrame({k: ref[k] for k in ("lhs", "op", "level", "est")})
    observed = list(dict.fromkeys(ref["lhs"]))
    within, between = (np.isin(observed, table[table["level"] == level]["lhs"]) for level in (1, 2))
    stats = ClusterStats.from_data(demo[observed].to_numpy(float), pd.factorize(demo["cluster"])[0], between, within)

    def rows(op, level):
        return table[(table["op"] == op) & (table["level"] == level)].set_index("lhs")["est"]

    mean = rows("~1", 1).add(rows("~1", 2), fill_value=0).reindex(observed)
    variances = [rows("~~", level).reindex(np.array(observed)[mask]) for level, mask in ((1, within), (2, between))]
    x = np.concatenate([mean, *variances])
    problem = _twolevel.TwoLevelProblem(stats, _twolevel.IndependenceStructure(within, between))
    hessian, meat = problem.hessian(x), problem.score_cross_product(x)
    assert np.sum(np.linalg.inv(hessian) * meat) == pytest.approx(ref["trace_h0"], rel=1e-7)
    assert _twolevel.h1_trace(stats, em_saturated(stats)) == pytest.approx(ref["trace_h1"], rel=1e-7)


def test_level_views_are_consistent(demo):
    fit = fitted(demo, "cross_level_labels_ML")
    within, between = fit.implied_cov(level=1), fit.implied_cov(level=2)
    assert list(within.index) == ["y1", "y2", "y3", "y4"]
    residual = fit.residuals(level=2)
    np.testing.assert_allclose(residual, fit.sample_cov(level=2) - between)
    sd = np.sqrt(np.diag(fit.sample_cov(level=1)))
    implied_sd = np.sqrt(np.diag(within))
    diff = fit.sample_cov(level=1) / np.outer(sd, sd) - within / np.outer(implied_sd, implied_sd)
    srmr_within = np.sqrt(np.mean(diff.to_numpy()[np.tril_indices(4)] ** 2))
    assert srmr_within == pytest.approx(fit.fit_measures["srmr_within"], abs=1e-12)
    assert set(fit.implied_cov()) == {1, 2}
    assert fit.vcov().shape == (17, 17)  # loadings a, b, c shared by the levels count once
    with pytest.raises(ModelError, match="two-level"):
        fit.modification_indices()


def test_within_only_variable(demo):
    fit = fitted(demo, "within_only_ML")
    assert list(fit.implied_cov(level=2).index) == ["y1", "y2", "y3"]
    assert list(fit.implied_cov(level=1).index) == ["y1", "y2", "y3", "y5"]
    intercepts = fit.estimates[(fit.estimates["op"] == "~1") & (fit.estimates["level"] == 1)]
    assert list(intercepts[intercepts["free"]]["lhs"]) == ["y5"]  # lavaan: free within intercept, none at level 2


def test_between_only_variable(demo):
    fit = fitted(demo, "between_only_ML")
    assert list(fit.implied_cov(level=1).index) == ["y1", "y2", "y3", "y5"]
    assert list(fit.implied_cov(level=2).index) == ["y1", "y2", "y3", "w1"]
    assert fit.observed_variables == ["y1", "y2", "y3", "y5", "w1"]


def test_between_only_variable_must_be_constant_in_a_cluster(demo):
    data = demo.copy()
    data.loc[3, "w1"] += 1.0
    with pytest.raises(DataError, match="'w1' appears only at level 2"):
        pm.cfa(MODELS["between_only"], data, cluster="cluster")


def test_heywood_case_warns(demo):
    with pytest.warns(UserWarning, match="'y1' at level 2 is negative"):
        pm.cfa(MODELS["heywood"], demo, cluster="cluster")


def test_cross_level_labels_share_one_parameter(demo):
    estimates = fitted(demo, "cross_level_labels_ML").estimates
    loadings = estimates[estimates["op"] == "=~"]
    assert loadings[loadings["label"] == "a"]["est"].nunique() == 1
    assert list(loadings[loadings["label"] == "a"]["level"]) == [1, 2]


def test_incomplete_rows_are_dropped(demo):
    data = demo.copy()
    data.loc[[0, 7], "y2"] = np.nan
    fit = pm.cfa(MODELS["one_factor"], data, cluster="cluster")
    assert fit.n_obs == len(demo) - 2
    assert demo["y2"].notna().all()  # the caller's frame is untouched


def test_single_level_tables_keep_their_columns():
    hs = pm.datasets.load("holzinger_swineford")
    fit = pm.cfa("visual =~ x1 + x2 + x3", hs)
    assert "level" not in fit.estimates.columns


def test_parse_levels():
    parsed = pm.parse_model("level: 1\n fw =~ y1 + y2\nlevel: within\n y1 ~~ y2\nlevel: 2\n fb =~ y1 + y2")
    assert [t.level for t in parsed.terms] == [1, 1, 1, 2, 2]
    assert [t.level for t in pm.parse_model("f =~ y1 + y2 + y3").terms] == [None] * 3
    with pytest.raises(ModelSyntaxError, match="level"):
        pm.parse_model("level: 3\n f =~ y1 + y2")
    with pytest.raises(ModelSyntaxError, match="level: 1"):
        pm.parse_model("f =~ y1 + y2\nlevel: 2\n g =~ y1 + y2")


def test_bad_columns_are_named(demo):
    with pytest.raises(DataError, match="cluster column 'school'"):
        pm.cfa(MODELS["one_factor"], demo, cluster="school")
    with pytest.raises(ModelError, match="unknown variable 'fw'"):  # a level-1 factor used at level 2
        pm.cfa("level: 1\n fw =~ y1 + y2 + y3\nlevel: 2\n fb =~ y1 + y2 + y3 + fw", demo, cluster="cluster")


@pytest.mark.parametrize(
    "model, options, message",
    [
        ("one_factor", {}, "cluster="),
        ("one_factor", {"cluster": "cluster", "estimator": "ULS"}, "'ML' or 'MLR'"),
        ("one_factor", {"cluster": "cluster", "group": "g"}, "multiple groups"),
        ("one_factor", {"cluster": "cluster", "missing": "fiml"}, "listwise"),
        (
            "level: 1\n fw =~ y1 + y2 + y3\n fw ~ y4\nlevel: 2\n fb =~ y1 + y2 + y3",
            {"cluster": "cluster"},
            "regressions on observed variables",
        ),
        ("level: 1\n fw =~ y1 + y2 + y3", {"cluster": "cluster"}, "level: 2"),
        (
            "level: 1\n fw =~ y1 + a*y2 + y3\nlevel: 2\n fb =~ y1 + y2 + y3\na > 0.1",
            {"cluster": "cluster"},
            "constraints",
        ),
    ],
)
def test_unsupported_two_level_requests_are_refused(demo, model, options, message):
    data = demo.assign(g=demo["cluster"] % 2)
    with pytest.raises(ModelError, match=message):
        pm.cfa(MODELS.get(model, model), data, **options)


def test_factor_named_alike_at_both_levels(demo):
    """lavaan allows the same factor name in each block: they are different factors."""
    same = pm.cfa("level: 1\n f =~ y1 + y2 + y3\nlevel: 2\n f =~ y1 + y2 + y3", demo, cluster="cluster")
    reference = pd.DataFrame(CASES["one_factor_ML"]["estimates"])
    for column in ("est", "se", "std_lv", "std_all"):
        np.testing.assert_allclose(same.estimates[column], reference[column], atol=1e-4, err_msg=column)


def test_invariance_ladder_refuses_two_level_models(demo):
    with pytest.raises(ModelError, match="two-level"):
        pm.measurement_invariance(
            MODELS["one_factor"], demo.assign(g=demo["cluster"] % 2), group="g", cluster="cluster"
        )
