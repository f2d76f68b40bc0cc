"""lavaan syntax features and post-estimation results against lavaan 0.6-14.

References: tests/reference/syntax.json, written by tests/reference/syntax.R (R 4.2.2, lavaan 0.6-14) on the
bundled HolzingerSwineford1939, PoliticalDemocracy and bfi data; the models are those of lavaan's help pages
(sem, cfa, lavPredict, standardizedSolution, lavTestLRT, model.syntax) and variants using each syntax feature.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import psychometrics as pm
from psychometrics.sem.model_syntax import Modifier
from tests.conftest import load_reference

TOL = 1e-4


@functools.cache
def ref():
    return load_reference("syntax.json")


@functools.cache
def data(name):
    return pm.datasets.load(name)


HS, PD = "holzinger_swineford", "political_democracy"
FITS = {
    "pd": ("PD", PD, {}),
    "pd_defined": ("PD_defined", PD, {}),
    "hs": ("HS", HS, {}),
    "hs_std_lv": ("HS", HS, {"std_lv": True}),
    "hs_groups": ("HS", HS, {"group": "school", "group_equal": ("loadings", "intercepts")}),
    "hs_multi": ("HS_multi", HS, {}),
    "hs_modifiers": ("HS_groups", HS, {"group": "school"}),
    "hs_equal": ("HS_eq", HS, {}),
    "hs_constrained": ("HS_constrained", HS, {}),
    "hs_inequality": ("HS_inequality", HS, {}),
    "hs_fixed": ("HS_fixed", HS, {}),
    "growth": ("growth", "demo_growth", {}),
    "ac_ordered": ("AC", "bfi", {"ordered": True}),
}


@functools.cache
def fit(case):
    model, dataset, options = FITS[case]
    fitter = pm.growth if case == "growth" else pm.sem if case.startswith("pd") else pm.cfa
    return fitter(ref()["models"][model], data(dataset), **options)


def frame(columns: dict) -> pd.DataFrame:
    return pd.DataFrame({k: v for k, v in columns.items() if k != "_row"})


def keyed(table: pd.DataFrame) -> pd.DataFrame:
    table = table.assign(group=table["group"].astype(str))
    return table.set_index(["lhs", "op", "rhs", "group"])


def assert_columns(ours: pd.DataFrame, theirs: pd.DataFrame, columns) -> None:
    ours, theirs = keyed(ours), keyed(theirs)
    assert sorted(ours.index) == sorted(theirs.index)
    for column in columns:
        a = ours.loc[theirs.index, column].to_numpy(float)
        b = theirs[column].to_numpy(float)
        # z = est/se: 1e-4 relative to |z| where |z| > 1 (a z of 45 carries the estimate's last digits)
        atol = TOL * np.maximum(1.0, np.nan_to_num(np.abs(b))) if column == "z" else TOL
        bad = ~((np.abs(a - b) <= atol) | (np.isnan(a) & np.isnan(b)))
        assert not bad.any(), (column, theirs.index[bad].tolist(), a[bad], b[bad])


# --- (1) the parser --------------------------------------------------------------------------------------------


def terms(text):
    return [(t.lhs, t.op, t.rhs) for t in pm.parse_model(text).terms]


def test_several_left_and_right_hand_sides_in_lavaans_order():
    assert terms("y1 + y2 ~ x1 + x2\nf1 + f2 =~ z1") == [
        ("y1", "~", "x1"),
        ("y1", "~", "x2"),
        ("y2", "~", "x1"),
        ("y2", "~", "x2"),
        ("f1", "=~", "z1"),
        ("f2", "=~", "z1"),
    ]


def test_label_equal_start_and_group_modifiers():
    parsed = pm.parse_model(
        'f =~ x1 + label("a")*x2 + equal("f=~x2")*x3 + c("p", NA)*x4 + start(.5)*x5\nf =~ equal("f =~ x7")*x6 + b*x7'
    )
    mods = {t.rhs: t.modifiers for t in parsed.terms}
    assert mods["x2"] == (Modifier(label="a"),)
    # x2 is labelled "a", so (as lavaan 0.6-14) no parameter carries the default label "f=~x2": x3 just gets it
    assert mods["x3"] == (Modifier(label="f=~x2", from_equal=True),)
    assert mods["x4"] == (Modifier(label="p"), Modifier(free=True))
    assert mods["x5"] == (Modifier(start=0.5),)
    assert mods["x6"] == (Modifier(label="f=~x7", from_equal=True),) and mods["x7"] == (Modifier(label="b"),)
    unlabelled = pm.parse_model('f =~ x1 + x2 + equal("f=~x2")*x3').terms
    assert [t.modifiers for t in unlabelled][1:] == [(Modifier(label="f=~x2", from_equal=True),)] * 2


def test_constraints_and_definitions_as_lavaan_writes_them():
    parsed = pm.parse_model(
        "f =~ a*x1 + b*x2 + c*x3\nab := a * b + exp( c )^2 / 3\na == 2*b + 1; b > 0\nb1 == (a + b)^2\nc < 1"
    )
    assert [(c.lhs, c.op, c.rhs) for c in parsed.constraints] == [
        ("ab", ":=", "a*b+exp(c)^2/3"),
        ("a", "==", "2*b+1"),
        ("b", ">", "0"),
        ("b1", "==", "(a+b)^2"),
        ("c", "<", "1"),
    ]
    assert [c.lhs for c in parsed.defined] == ["ab"]
    assert list(parsed.to_frame()["op"]) == ["=~"] * 3 + [":=", "==", ">", "==", "<"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("f <~ x1 + x2", "composites"),
        ("f =~ x1\nx1 | t1", "not supported"),
        ("f =~ x1\nx1 ~*~ x1", "not supported"),
        ("f =~ upper(1)*x1", "inequality"),
        ("f =~ x1\n2*a := b", "name on the left"),
        ("f =~ x1\nab := a *", "ends early|not a valid"),
        ('f =~ x1 + equal("f=~x9")*x2', "not written in the model"),
        ("f =~ x1\nab := a ~ b", "unexpected"),
    ],
)
def test_unsupported_syntax_is_a_clear_error(text, message):
    with pytest.raises(pm.ModelSyntaxError, match=message):
        pm.parse_model(text)


def test_model_syntax_help_page_model():
    """The model of lavaan's ?model.syntax: everything parses but thresholds, scaling factors and composites."""
    help_model = """ # 1. latent variable definitions
             f1 =~ y1 + y2 + y3
             f2 =~ y4 + y5 + y6
             f3 =~ y7 + y8 + y9 + y10
             f4 =~ y11 + y12 + y13
             ! this is also a comment
             # 2. regressions
             f1 ~ f3 + f4
             f2 ~ f4
             y1 + y2 ~ x1 + x2 + x3
             # 3. (co)variances
             y1 ~~ y1
             y2 ~~ y4 + y5
             f1 ~~ f2
             # 4. intercepts
             f1 ~ 1; y5 ~ 1
    """
    parsed = terms(help_model)
    assert len(parsed) == 13 + 3 + 6 + 4 + 2
    assert parsed[16:22] == [
        ("y1", "~", "x1"),
        ("y1", "~", "x2"),
        ("y1", "~", "x3"),
        ("y2", "~", "x1"),
        ("y2", "~", "x2"),
        ("y2", "~", "x3"),
    ]
    for extra in ("y11 | t1 + t2 + t3", "y11 ~*~ y11", "f5 <~ z1 + z2 + z3 + z4"):
        with pytest.raises(pm.ModelSyntaxError):
            pm.parse_model(help_model + extra)


def test_inequality_constraints_name_their_labels():
    with pytest.raises(pm.ModelError, match="'q'"):
        pm.cfa("visual =~ x1 + a*x2 + b*x3\na > q", data(HS))


def test_equality_constraints_keep_the_written_labels_and_model():
    result = fit("hs_constrained")
    assert list(result.estimates["label"][result.estimates["op"] == "=~"]) == ["", "b1", "", "", "b2", "", "", "b3", ""]
    assert result.model == ref()["models"]["HS_constrained"]
    merged = pm.parse_model("f =~ a*x1 + b*x2 + c*x3 + d*x4\nb == c\nd == a\nc == d")
    from psychometrics.sem.model_syntax import merge_equal_labels

    assert {m.label for t in merge_equal_labels(merged).terms for m in t.modifiers} == {"b"}  # one chain: b


@pytest.mark.parametrize(
    "case", ["pd", "hs_multi", "hs_modifiers", "hs_equal", "hs_constrained", "hs_inequality", "hs_fixed", "growth"]
)
def test_fits_with_the_new_syntax_equal_lavaan(case):
    theirs = ref()["cases"][case]
    ours = fit(case)
    for key in ("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
        assert ours.fit_measures[key] == pytest.approx(theirs["fit"][key], abs=TOL), key
    assert_columns(
        ours.estimates,
        frame(theirs["estimates"]),
        ["est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all"],
    )


# --- (5) defined parameters --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["pd_defined", "hs_modifiers", "hs_constrained"])
def test_defined_parameters_equal_lavaan(case):
    theirs = frame(ref()["cases"][case]["estimates"])
    ours = fit(case).estimates
    assert_columns(ours, theirs, ["est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all"])
    defined = ours[ours["op"] == ":="]
    assert list(defined["label"]) == list(defined["lhs"]) and not defined["free"].any()


def test_definitions_check_their_names():
    with pytest.raises(pm.ModelError, match="'q'"):
        pm.cfa("visual =~ x1 + a*x2 + x3\nr := a*q", data(HS))
    with pytest.raises(pm.ModelError, match="unsupported"):
        pm.cfa("visual =~ x1 + a*x2 + x3\nr := max(a)", data(HS))


# --- (2) standardizedSolution -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(FITS))
@pytest.mark.parametrize("kind", ["std.all", "std.lv", "std.nox"])
def test_standardized_solution_equals_lavaan(case, kind):
    theirs = frame(ref()["cases"][case][kind.replace(".", "_")])
    ours = fit(case).standardized_solution(kind)
    multi = len(fit(case).groups) > 1
    assert list(ours.columns) == ["lhs", "op", "rhs"] + ["group"] * multi + [
        "est_std",
        "se",
        "z",
        "pvalue",
        "ci_lower",
        "ci_upper",
        "ci_low",
        "ci_high",
    ]
    if not multi:
        ours = ours.assign(group="1")
    assert_columns(ours, theirs, ["est_std", "se", "z", "pvalue", "ci_lower", "ci_upper"])


def test_standardized_solution_type_is_checked():
    with pytest.raises(pm.ModelError, match="std.all"):
        fit("hs").standardized_solution("std.xy")


# --- (3) lavPredict ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, method", [("hs", "regression"), ("hs", "bartlett"), ("hs_std_lv", "bartlett"), ("hs_multi", "regression")]
)
def test_factor_scores_equal_lavpredict(case, method):
    theirs = frame(ref()["cases"][case][f"predict_{method}"])
    ours = fit(case).predict(method="Bartlett" if method == "bartlett" else method)
    assert list(ours.columns) == fit(case).latent_variables == list(theirs.columns)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=TOL)
    with_index = fit(case).predict(data(HS).set_index(data(HS).index + 1000), method=method)
    assert (with_index.index == data(HS).index + 1000).all()
    np.testing.assert_allclose(with_index.to_numpy(), ours.to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["regression", "bartlett"])
def test_multigroup_factor_scores_equal_lavpredict(method):
    result, theirs = fit("hs_groups"), ref()["cases"]["hs_groups"]
    ours = result.predict(data(HS), method=method, group="school")
    for label in result.groups:
        rows = np.asarray(theirs["case_idx"][label]) - 1  # lavaan's 1-based case.idx
        expected = frame(theirs[f"predict_{method}"][label]).to_numpy()
        np.testing.assert_allclose(ours.iloc[rows].to_numpy(), expected, rtol=0, atol=TOL)
    stacked = result.predict(method=method)
    assert stacked.index.names == ["group", "case"]
    np.testing.assert_allclose(
        stacked.loc["Pasteur"].to_numpy(), ours[data(HS)["school"] == "Pasteur"].to_numpy(), atol=1e-12
    )


@pytest.mark.parametrize("case", ["hs", "hs_multi"])
def test_predicted_observed_values_equal_lavpredict_type_ov(case):
    theirs = frame(ref()["cases"][case]["predict_ov"])
    ours = fit(case).predict(type="ov")
    assert list(ours.columns) == fit(case).observed_variables == list(theirs.columns)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=TOL)


def test_multigroup_predicted_observed_values_equal_lavpredict():
    result, theirs = fit("hs_groups"), ref()["cases"]["hs_groups"]
    ours = result.predict(data(HS), group="school", type="ov")
    for g, label in enumerate(result.groups):  # lavaan returns an unnamed list for type = "ov"
        rows = np.asarray(theirs["case_idx"][label]) - 1
        np.testing.assert_allclose(
            ours.iloc[rows].to_numpy(), frame(theirs["predict_ov"][g]).to_numpy(), rtol=0, atol=TOL
        )


def test_factor_scores_input_checks():
    hs = data(HS)
    with pytest.raises(pm.DataError, match="group="):
        fit("hs_groups").predict(hs)
    with pytest.raises(pm.DataError, match="x9"):
        fit("hs").predict(hs.drop(columns="x9"))
    with pytest.raises(pm.ModelError, match="method"):
        fit("hs").predict(method="ebm")
    with pytest.raises(pm.ModelError, match="type"):
        fit("hs").predict(type="yhat")
    holes = hs.copy()
    holes.loc[3, "x1"] = np.nan
    scores = fit("hs").predict(holes)
    assert scores.loc[3].isna().all() and scores.drop(index=3).notna().all().all()
    assert not hs["x1"].isna().any()  # the caller's frame is untouched


# --- (6) lavTestLRT ----------------------------------------------------------------------------------------------

ORTHOGONAL = "\nvisual ~~ 0*textual + 0*speed\ntextual ~~ 0*speed"  # lavaan's orthogonal = TRUE


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_compare_models_equals_lavtestlrt(estimator):
    models = ref()["models"]
    f1 = pm.cfa(models["HS_lrt"], data(HS), estimator=estimator)
    f0 = pm.cfa(models["HS_lrt"] + ORTHOGONAL, data(HS), estimator=estimator)
    fx = pm.cfa(models["HS_cross"], data(HS), estimator=estimator)
    for key, fits, names in (("two", (f1, f0), ("f1", "f0")), ("three", (f0, fx, f1), ("f0", "fx", "f1"))):
        theirs = ref()["lrt"][estimator][key]
        ours = pm.compare_models(*fits, names=names)
        assert list(ours.index) == theirs["_row"]
        assert ours.method == ("standard" if estimator == "ML" else "satorra.bentler.2001")
        expected = frame(theirs)
        for column in ("df", "aic", "bic", "chisq", "chisq_diff", "df_diff", "pvalue"):
            # the scaled difference divides by (df0 c0 - df1 c1) / (df0 - df1): it carries the scaling factors'
            # last digits times df0 / (df0 - df1) (24 here), hence compared relatively
            rtol = TOL if column == "chisq_diff" and estimator == "MLR" else 0
            np.testing.assert_allclose(
                ours[column].to_numpy(float),
                expected[column].to_numpy(float),
                rtol=rtol,
                atol=TOL,
                equal_nan=True,
                err_msg=column,
            )


def test_compare_models_wlsmv_equals_lavtestlrt():
    bfi = data("bfi")
    model = ref()["models"]["AC"]
    items = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
    o1 = pm.cfa(model, bfi, ordered=items)
    o0 = pm.cfa(model + "\nagree ~~ 0*consc", bfi, ordered=items)
    ours = pm.compare_models(o1, o0, names=["o1", "o0"])
    theirs = frame(ref()["lrt"]["WLSMV"]["two"])
    assert ours.method == "satorra.2000"
    for column in ("df", "chisq", "chisq_diff", "df_diff"):
        np.testing.assert_allclose(
            ours[column].to_numpy(float),
            theirs[column].to_numpy(float),
            rtol=0,
            atol=TOL,
            equal_nan=True,
            err_msg=column,
        )
    assert ours["pvalue"].iloc[1] == pytest.approx(theirs["pvalue"][1], rel=1e-4)
    assert ours["aic"].isna().all()


def test_compare_models_input_checks():
    with pytest.raises(pm.ModelError, match="two or more"):
        pm.compare_models(fit("hs"))
    with pytest.raises(pm.ModelError, match="same variables"):
        pm.compare_models(fit("hs"), fit("hs_multi"))
    with pytest.raises(pm.ModelError, match="fitted model"):
        pm.compare_models(fit("hs"), "hs")
    with pytest.raises(pm.ModelError, match="distinct"):
        pm.compare_models(fit("hs"), fit("hs_std_lv"), names=["a", "a"])


# --- (4) summary -------------------------------------------------------------------------------------------------

_VALUE_LINE = re.compile(r"^  (\S.*?)\s{2,}(-?\d+(?:\.\d+)?)$")
_ROW = re.compile(r"^(.{18})((?:\s+-?\d+\.\d{3}|\s{9})+)\s*$")


def _header_values(text: str) -> list[tuple[str, float]]:
    head = text.split("Parameter Estimates:")[0]
    return [(m.group(1).strip(), float(m.group(2))) for m in map(_VALUE_LINE.match, head.splitlines()) if m]


def _table_rows(text: str) -> list[tuple[str, list[float]]]:
    body = text.split("Parameter Estimates:")[1]
    body = body[body.index("\n\n", body.index("Information")) :]  # from the first section on
    out = []
    for line in body.splitlines():
        match = _ROW.match(line)
        numbers = [float(v) for v in match.group(2).split()] if match else []
        out.append((match.group(1).rstrip() if match else line.rstrip(), numbers))
    return out


@pytest.mark.parametrize("case", ["pd_defined", "hs_groups"])
def test_summary_is_laid_out_like_lavaan(case):
    """Every parameter line of lavaan's summary(fit, fit.measures = TRUE, standardized = TRUE), in the same order
    and columns (values to the printed 3 decimals, +-1 in the last digit), and the fit block's values."""
    ours = fit(case).summary()
    theirs = "\n".join(ref()["cases"][case]["summary"])
    expected, got = _table_rows(theirs), _table_rows(ours)
    assert [name for name, _ in got] == [name for name, _ in expected]
    for (name, a), (_, b) in zip(got, expected):
        assert len(a) == len(b) and np.allclose(a, b, atol=1.5e-3), name

    def occurrences(pairs):  # ("Test statistic", 1): the second line with that label (the baseline model's)
        return {(label, sum(1 for q, _ in pairs[:i] if q == label)): value for i, (label, value) in enumerate(pairs)}

    mine, expected_values = occurrences(_header_values(ours)), occurrences(_header_values(theirs))
    shared = [key for key in expected_values if key in mine]
    assert {
        ("Test statistic", 0),
        ("Test statistic", 1),
        ("Comparative Fit Index (CFI)", 0),
        ("RMSEA", 0),
        ("SRMR", 0),
        ("Akaike (AIC)", 0),
        ("Number of equality constraints", 0),
    } <= set(shared)
    for key in shared:
        assert mine[key] == pytest.approx(expected_values[key], abs=1.5e-3), key


def test_html_representation_shows_tables():
    text = fit("hs_modifiers")._repr_html_()
    assert text.count("<table") == 2 and "chisq" in text and "l2a" in text and "Pasteur" in text


# --- (7) sem() and growth() --------------------------------------------------------------------------------------


def test_sem_is_cfa_with_lavaans_sem_defaults_and_the_pillar_stays_a_package():
    assert pm.sem(ref()["models"]["HS"], data(HS)).fit_measures["chisq"] == fit("hs").fit_measures["chisq"]
    assert pm.sem.cfa is pm.cfa and pm.sem.compare_models is pm.compare_models


def test_growth_fixes_observed_intercepts_and_frees_latent_means():
    est = fit("growth").estimates
    intercepts = est[est["op"] == "~1"].set_index("lhs")
    assert (intercepts.loc[["t1", "t2", "t3", "t4"], "est"] == 0).all()
    assert intercepts.loc[["i", "s"], "free"].all()
    assert fit("growth").model == ref()["models"]["growth"]


# --- (7) lavTestScore --------------------------------------------------------------------------------------------

SCORE_FITS = {
    "hs_constrained": lambda: fit("hs_constrained"),
    "hs_loadings": lambda: pm.cfa(ref()["models"]["HS"], data(HS), group="school", group_equal="loadings"),
    "hs_intercepts": lambda: fit("hs_groups"),
    "pd_labels": lambda: fit("pd"),
}


SCORE_FITS.update(hs_add=lambda: fit("hs_constrained"), hs_add_free=lambda: fit("hs"), hs_fixed=lambda: fit("hs_fixed"))


@pytest.mark.parametrize("case", list(SCORE_FITS))
def test_score_test_equals_lavtestscore(case):
    """lavTestScore's help examples (release b1 == b2, b2 == b3; add visual =~ x9, textual =~ x3) and the
    release of group_equal constraints and of shared labels."""
    theirs = ref()["cases"][case]["score"] if case in ("hs_constrained", "hs_fixed") else ref()["score"][case]
    ours = SCORE_FITS[case]().score_test(add=theirs.get("add"))
    assert ours.total["df"] == theirs["total"]["df"][0]
    assert ours.total["X2"] == pytest.approx(theirs["total"]["X2"][0], abs=TOL)
    for mine, key in ((ours.table, "uni"), (ours.cumulative, "cumulative")):
        expected = pd.DataFrame(theirs[key])
        assert list(zip(mine["lhs"], mine["rhs"])) == list(zip(expected["lhs"], expected["rhs"]))
        np.testing.assert_allclose(mine["X2"], expected["X2"], rtol=0, atol=TOL)
        np.testing.assert_allclose(mine["pvalue"], expected["p.value"], rtol=0, atol=TOL)
        assert list(mine["df"]) == list(expected["df"])


def test_score_test_needs_constraints_and_ml():
    with pytest.raises(pm.ModelError, match="no equality constraints"):
        fit("hs").score_test()
    with pytest.raises(pm.ModelError, match="already in the model"):
        fit("hs").score_test(add="visual =~ x2")
    with pytest.raises(pm.ModelError, match="'x99'"):
        fit("hs").score_test(add="visual =~ x99")
    with pytest.raises(pm.ModelError, match="complete-data ML"):
        pm.cfa(ref()["models"]["HS_constrained"], data(HS), estimator="MLR").score_test()


@pytest.mark.parametrize("method", ["regression", "bartlett"])
def test_fiml_factor_scores_use_each_pattern_as_lavpredict(method):
    holes = data(HS).copy()
    holes.loc[[0, 4, 8], "x1"] = np.nan  # R's rows 1, 5, 9 (as tests/reference/syntax.R)
    holes.loc[[1, 4, 39], "x5"] = np.nan
    holes.loc[[9, 10, 11], "x9"] = np.nan
    holes.loc[19, ["x1", "x2", "x3"]] = np.nan
    result = pm.cfa(ref()["models"]["HS"], holes, missing="fiml")
    theirs = frame(ref()["cases"]["hs_fiml"][f"predict_{method}"]).to_numpy()
    np.testing.assert_allclose(result.predict(method=method).to_numpy(), theirs, rtol=0, atol=TOL)
    np.testing.assert_allclose(result.predict(holes, method=method).to_numpy(), theirs, rtol=0, atol=TOL)


def test_constant_constraints_fix_the_labelled_parameters():
    parsed = pm.parse_model("f =~ a*x1 + b*x2 + c*x3\na == b\n0.5 == b")
    from psychometrics.sem.model_syntax import merge_equal_labels

    mods = [t.modifiers[0] for t in merge_equal_labels(parsed).terms]
    assert mods[0] == mods[1] == Modifier(fixed=0.5, label="a") and mods[2] == Modifier(label="c")
    with pytest.raises(pm.ModelSyntaxError, match="contradicts"):
        merge_equal_labels(pm.parse_model("f =~ a*x1 + b*x2\na == 0.5\nb == 0.4\na == b"))


def test_intervals_of_standardized_and_defined_rows_follow_confidence():
    # the 90% limits are est -/+ qnorm(.95) * se: lavaan's standardizedSolution(level = .90) and
    # parameterEstimates(level = .90) for the := rows
    model = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nab := a*b"
    fit90 = pm.cfa(model, pm.datasets.load("holzinger_swineford"), confidence=0.90)
    q = stats.norm.ppf(0.95)
    for table, est in ((fit90.standardized_solution(), "est_std"), (fit90.estimates, "est")):
        np.testing.assert_allclose(table["ci_upper"], table[est] + q * table["se"], atol=1e-12)
        # lavaan's names and the package's (issue 20) carry the same interval, the := rows included
        np.testing.assert_array_equal(table[["ci_low", "ci_high"]], table[["ci_lower", "ci_upper"]])
    wide = fit90.standardized_solution(confidence=0.99)
    np.testing.assert_allclose(wide["ci_lower"], wide["est_std"] - stats.norm.ppf(0.995) * wide["se"], atol=1e-12)
    with pytest.raises(pm.DataError, match="confidence"):
        fit90.standardized_solution(confidence=1.5)
