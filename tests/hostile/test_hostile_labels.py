"""Property-based pass over the arguments that NAME things (issue 16): keys, group, cluster, strata, ordered,
group_equal and group_partial, anchors, tested items, scale -> item mappings, column arguments and instruments get
labels of other kinds than the columns (True for column 1, '1' for 1, 1.0, numpy scalars, None, NaN, pd.NA,
tuples, lists, nested and empty lists, repeats, absent, empty, very long and control-character names), and frames
get hostile column labels (ints, booleans, mixed kinds, repeats, MultiIndex). Each call gives a result or a
PsychometricsError, never pandas' or numpy's own exception. Few examples per function keep the file short."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import psychometrics as pm

from conftest import load_reference
from hostile_data import SETTINGS, outcome, survey

FEW = settings(SETTINGS, max_examples=6)  # functions that fit a model per call
DATA = survey(n=40, seed=1).assign(clinic=np.arange(40) % 8, weight=np.linspace(0.5, 2.0, 40))
ITEMS = DATA[["a1", "a2", "a3"]]
MODEL = "f =~ a1 + a2 + a3"
SURVEY = pm.datasets.load("peer_support_survey").head(20)

SCALARS = st.sampled_from(
    [True, False, 0, 1, 3, -1, "1", 1.0, 2.5, np.int64(1), np.float64(1.0), np.bool_(True), None, np.nan, pd.NA]
    + [pd.NaT, "", " ", "\x00", "\n", "a1\u202e", "é", "a" * 3000, b"a1", 1 + 2j, ("a1",), ("a1", "a2")]
    + ["a1", "a2", "site", "clinic", "weight", "missing", "all", "loadings", "configural", "f =~ a1"]
)
LABELS = st.one_of(SCALARS, SCALARS, st.text(max_size=4), st.integers(-2, 4))
ARGUMENTS = st.one_of(
    LABELS,
    st.lists(LABELS, max_size=3),  # empty lists, repeats, mixed kinds
    st.lists(st.lists(LABELS, max_size=2), max_size=2),  # nested
    st.lists(LABELS, max_size=3).map(tuple),
    st.lists(LABELS, max_size=3).map(lambda labels: pd.Series(labels, dtype=object)),
    st.sampled_from([np.array(["a1", "a2"]), pd.Index(["a1"]), {"a1": 1}, {"a1"}, frozenset({"a1"}), ..., object()]),
)


def _fit(group=None):
    return pm.cfa(MODEL, DATA, group=group)


FITS = {"one": _fit(), "two": pm.cfa("f =~ a1 + b*a2 + b*a3", DATA), "grouped": _fit("site")}
LONG = ITEMS.rename_axis("target").reset_index().melt("target", var_name="rater", value_name="rating")

CALLS = {  # name -> (call of one hostile argument, settings)
    "cronbach_alpha keys": (lambda x: pm.cronbach_alpha(ITEMS, keys=x), SETTINGS),
    "cronbach_alpha keys ordinal": (lambda x: pm.cronbach_alpha(ITEMS, keys=x, cor="polychoric"), FEW),
    "split_half keys": (lambda x: pm.split_half(ITEMS, keys=x), SETTINGS),
    "item_statistics keys": (lambda x: pm.item_statistics(ITEMS, keys=x), SETTINGS),
    "omega cluster": (
        lambda x: pm.omega(DATA.drop(columns="site"), 1, ci="percentile", n_boot=5, seed=1, cluster=x),
        FEW,
    ),
    "omega strata": (
        lambda x: pm.omega(DATA, 1, ci="percentile", n_boot=5, seed=1, cluster="clinic", strata=x),
        FEW,
    ),
    "icc_long targets": (lambda x: pm.icc_long(LONG, x, "rater", "rating"), SETTINGS),
    "icc_long raters": (lambda x: pm.icc_long(LONG, "target", x, "rating"), SETTINGS),
    "icc_long ratings": (lambda x: pm.icc_long(LONG, "target", "rater", x), SETTINGS),
    "cfa group": (lambda x: pm.cfa(MODEL, DATA, group=x), FEW),
    "cfa cluster": (lambda x: pm.cfa(MODEL, DATA, cluster=x, estimator="MLR"), FEW),
    "cfa sampling_weights": (lambda x: pm.cfa(MODEL, DATA, sampling_weights=x), FEW),
    "cfa ordered": (lambda x: pm.cfa(MODEL, DATA, ordered=x), FEW),
    "cfa group_equal": (lambda x: pm.cfa(MODEL, DATA, group="site", group_equal=x), FEW),
    "cfa group_partial": (
        lambda x: pm.cfa(MODEL, DATA, group="site", group_equal=["loadings"], group_partial=x),
        FEW,
    ),
    "cfa model naming": (lambda x: pm.cfa(f"f =~ a1 + a2 + {x}", DATA), FEW),
    "cfa model": (lambda x: pm.cfa(x, DATA), SETTINGS),
    "measurement_invariance group": (
        lambda x: pm.measurement_invariance(MODEL, DATA, group=x, levels=("configural", "metric")),
        FEW,
    ),
    "measurement_invariance group_partial": (
        lambda x: pm.measurement_invariance(
            MODEL, DATA, group="site", levels=("configural", "metric"), group_partial=x
        ),
        FEW,
    ),
    "measurement_invariance levels": (lambda x: pm.measurement_invariance(MODEL, DATA, group="site", levels=x), FEW),
    "irt group": (lambda x: pm.irt(DATA[["a1", "a2", "a3", "site"]], group=x), FEW),
    "irt anchors": (lambda x: pm.irt(DATA[["a1", "a2", "a3", "site"]], group="site", anchors=x), FEW),
    "dif anchors": (lambda x: pm.dif(DATA[["a1", "a2", "a3", "site"]], "site", "1pl", anchors=x), FEW),
    "dif items": (lambda x: pm.dif(DATA[["a1", "a2", "a3", "site"]], "site", "1pl", items=x), FEW),
    "htmt items": (lambda x: pm.htmt({"f": ["a1", x], "g": ["a2", "a3"]}, ITEMS), SETTINGS),
    "htmt mapping": (lambda x: pm.htmt({"f": x, "g": ["a2", "a3"]}, ITEMS), SETTINGS),
    "htmt model": (lambda x: pm.htmt(x, ITEMS), SETTINGS),
    "mtmm traits": (
        lambda x: pm.mtmm(ITEMS.assign(a4=DATA["a1"]), {"t1": ["a1", x], "t2": ["a3", "a4"]}, {"m1": ["a1", "a3"]}),
        SETTINGS,
    ),
    "mtmm methods": (lambda x: pm.mtmm(ITEMS, {"t1": ["a1"], "t2": ["a2"]}, x), SETTINGS),
    "mtmm_model": (lambda x: pm.mtmm_model({"t1": ["a1", x], "t2": ["a3"]}, {"m1": ["a1", "a3"]}), SETTINGS),
    "known_groups order": (lambda x: pm.known_groups(ITEMS, DATA["site"], order=x), SETTINGS),
    "known_groups groups": (lambda x: pm.known_groups(ITEMS, x), SETTINGS),
    "criterion_validity criterion": (lambda x: pm.criterion_validity(ITEMS, x), SETTINGS),
    "floor_ceiling minimum": (
        lambda x: pm.floor_ceiling(ITEMS, {x: 1} if pd.api.types.is_hashable(x) else x, 5),
        SETTINGS,
    ),
    "compare_models names": (lambda x: pm.compare_models(FITS["one"], FITS["two"], names=x), SETTINGS),
    "ave group": (lambda x: pm.ave(FITS["grouped"], group=x), SETTINGS),
    "composite_reliability group": (lambda x: pm.composite_reliability(FITS["grouped"], group=x), SETTINGS),
    "fornell_larcker group": (lambda x: pm.fornell_larcker(FITS["grouped"], group=x), SETTINGS),
    "load_instrument": (lambda x: pm.load_instrument(x), SETTINGS),
    "read_survey path": (lambda x: pm.read_survey(x), SETTINGS),
    "disattenuated_matrix reliabilities": (lambda x: pm.disattenuated_matrix(ITEMS.corr(), x), SETTINGS),
    "fleiss_kappa counts": (lambda x: pm.fleiss_kappa(x), SETTINGS),
    "rotate_loadings loadings": (lambda x: pm.rotate_loadings(x), SETTINGS),
    "score instrument": (lambda x: pm.score(SURVEY, x), SETTINGS),
    "validate instrument": (lambda x: pm.validate(SURVEY, x), SETTINGS),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_hostile_label_arguments_give_a_result_or_a_psychometrics_error(name):
    call, options = CALLS[name]

    @options
    @given(ARGUMENTS)
    def check(argument):
        before = DATA.copy()
        outcome(call, argument)
        pd.testing.assert_frame_equal(DATA, before)  # the caller's frame is never modified

    check()


COLUMN_LABELS = st.one_of(SCALARS.filter(pd.api.types.is_hashable), st.integers(0, 3), st.booleans())


@st.composite
def relabelled(draw, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with hostile column labels: ints, booleans, text '1', mixed kinds, repeats or a MultiIndex."""
    labels = draw(st.lists(COLUMN_LABELS, min_size=frame.shape[1], max_size=frame.shape[1]))
    out = frame.copy()
    if draw(st.integers(0, 5)) == 0:
        out.columns = pd.MultiIndex.from_tuples([("s", str(label)) for label in labels])
    else:
        out.columns = pd.Index(labels, dtype=object if draw(st.booleans()) else None)
    return out


def _model(frame: pd.DataFrame) -> str:
    return "f =~ " + " + ".join(map(str, frame.columns[:3]))


FRAME_CALLS = {  # name -> (call of a relabelled frame, frame relabelled, settings)
    "cronbach_alpha": (lambda f: pm.cronbach_alpha(f), ITEMS, SETTINGS),
    "cronbach_alpha own key": (lambda f: pm.cronbach_alpha(f, keys=[f.columns[0]]), ITEMS, SETTINGS),
    "cronbach_alpha own label as key": (lambda f: pm.cronbach_alpha(f, keys=f.columns[-1]), ITEMS, SETTINGS),
    "split_half own key": (lambda f: pm.split_half(f, keys=[f.columns[1]]), ITEMS, SETTINGS),
    "item_statistics own key": (lambda f: pm.item_statistics(f, keys=[f.columns[0]]), ITEMS, SETTINGS),
    "guttman": (lambda f: pm.guttman(f), ITEMS, SETTINGS),
    "omega": (lambda f: pm.omega(f, n_factors=1), ITEMS, SETTINGS),
    "omega own cluster": (
        lambda f: pm.omega(f, 1, ci="percentile", n_boot=5, seed=1, cluster=f.columns[-1]),
        DATA[["a1", "a2", "a3", "clinic"]],
        FEW,
    ),
    "efa": (lambda f: pm.efa(f, 1), ITEMS, SETTINGS),
    "polychoric": (lambda f: pm.polychoric(f), ITEMS, FEW),
    "tetrachoric": (lambda f: pm.tetrachoric((f > 3).astype(int)), ITEMS, SETTINGS),
    "icc": (lambda f: pm.icc(f), ITEMS, SETTINGS),
    "icc_long own columns": (lambda f: pm.icc_long(f, *f.columns[:3]), LONG, SETTINGS),
    "kmo": (lambda f: pm.kmo(f), ITEMS, SETTINGS),
    "parallel_analysis": (lambda f: pm.parallel_analysis(f, n_iter=3, seed=1), ITEMS, SETTINGS),
    "correlations": (lambda f: pm.correlations(f), ITEMS, SETTINGS),
    "krippendorff_alpha": (lambda f: pm.krippendorff_alpha(f), ITEMS, SETTINGS),
    "cfa": (lambda f: pm.cfa(_model(f), f), ITEMS, FEW),
    "cfa own group": (lambda f: pm.cfa(_model(f), f, group=f.columns[-1]), DATA[["a1", "a2", "a3", "site"]], FEW),
    "measurement_invariance own group": (
        lambda f: pm.measurement_invariance(_model(f), f, group=f.columns[-1], levels=("configural", "metric")),
        DATA[["a1", "a2", "a3", "site"]],
        FEW,
    ),
    "irt own group": (lambda f: pm.irt(f, group=f.columns[-1]), DATA[["a1", "a2", "a3", "site"]], FEW),
    "dif own anchor": (
        lambda f: pm.dif(f, DATA["site"].to_numpy(), "1pl", anchors=[f.columns[0]]),
        ITEMS,
        FEW,
    ),
    "htmt own labels": (lambda f: pm.htmt({"f": list(f.columns[:2]), "g": [f.columns[2]]}, f), ITEMS, SETTINGS),
    "known_groups": (lambda f: pm.known_groups(f, DATA["site"]), ITEMS, SETTINGS),
    "criterion_validity": (lambda f: pm.criterion_validity(f, DATA["weight"]), ITEMS, SETTINGS),
    "floor_ceiling": (lambda f: pm.floor_ceiling(f, 1, 5), ITEMS, SETTINGS),
    "minimal_important_change": (lambda f: pm.minimal_important_change(f), ITEMS, SETTINGS),
    "validate": (lambda f: pm.validate(f, "peer_support_implementation"), SURVEY, FEW),
    "score": (lambda f: pm.score(f, "peer_support_implementation"), SURVEY, FEW),
}


@pytest.mark.parametrize("name", sorted(FRAME_CALLS))
def test_hostile_column_labels_give_a_result_or_a_psychometrics_error(name):
    call, frame, options = FRAME_CALLS[name]

    @options
    @given(relabelled(frame))
    def check(relabelled_frame):
        before = relabelled_frame.copy()
        outcome(call, relabelled_frame)
        pd.testing.assert_frame_equal(relabelled_frame, before)

    check()


# ---------------------------------------------------------------------------------- what the pass above found
SCALAR_FOR_A_LIST = {  # a scalar where a list of labels was expected: TypeError "'bool' object is not iterable"
    "keys": lambda: pm.cronbach_alpha(ITEMS, keys=True),
    "group_equal": lambda: pm.cfa(MODEL, DATA, group="site", group_equal=True),
    "group_partial": lambda: pm.cfa(MODEL, DATA, group="site", group_equal=["loadings"], group_partial=True),
    "level True": lambda: pm.measurement_invariance(MODEL, DATA, group="site", levels=True),
    "ordered": lambda: pm.cfa(MODEL, DATA, ordered=1),
    "anchor item": lambda: pm.irt(DATA[["a1", "a2", "a3", "site"]], group="site", anchors=True),
    "items": lambda: pm.dif(DATA[["a1", "a2", "a3", "site"]], "site", "1pl", items=True),
    "order": lambda: pm.known_groups(ITEMS, DATA["site"], order=True),
    "names": lambda: pm.compare_models(FITS["one"], FITS["two"], names=True),
    "f: \\[True\\]": lambda: pm.htmt({"f": True, "g": ["a2", "a3"]}, ITEMS),
}


@pytest.mark.parametrize("argument", sorted(SCALAR_FOR_A_LIST))
def test_a_scalar_where_labels_are_expected_is_named(argument):
    with pytest.raises(pm.PsychometricsError, match=argument):
        SCALAR_FOR_A_LIST[argument]()


UNUSABLE_LABELS = {  # a list, Series or pd.NA as one label: TypeError "unhashable" or "boolean value of NA"
    "keys": lambda: pm.cronbach_alpha(ITEMS, keys=[pd.NA]),
    "cluster": lambda: pm.cfa(MODEL, DATA, cluster=[], estimator="MLR"),
    "strata": lambda: pm.omega(DATA, 1, ci="percentile", n_boot=5, cluster="clinic", strata=pd.NA),
    "group": lambda: pm.cfa(MODEL, DATA, group=["site"]),
    "sampling_weights": lambda: pm.cfa(MODEL, DATA, sampling_weights=["weight"]),
    "raters": lambda: pm.icc_long(LONG, "target", ["rater"], "rating"),
    "anchors": lambda: pm.dif(DATA[["a1", "a2", "a3", "site"]], "site", anchors=[pd.Series(["a1"])]),
    "the items of factor 'f'": lambda: pm.htmt({"f": ["a1", ["a2"]], "g": ["a3"]}, ITEMS),
}


@pytest.mark.parametrize("argument", sorted(UNUSABLE_LABELS))
def test_an_unusable_label_is_named(argument):
    with pytest.raises(pm.PsychometricsError, match=f"{argument} holds"):
        UNUSABLE_LABELS[argument]()


def test_a_boolean_does_not_name_column_one():
    numbered = ITEMS.set_axis([0, 1, 2], axis=1)
    with pytest.raises(pm.DataError, match="not in the data"):  # pandas read [True] as a mask before
        pm.htmt({"f": [0, True], "g": [2]}, numbered)
    with pytest.raises(pm.DataError, match="not in the data"):
        pm.icc_long(LONG.set_axis([0, 1, 2], axis=1), 0, True, 2)


def test_one_column_named_twice_in_icc_long():
    with pytest.raises(pm.DataError, match="same column more than once"):
        pm.icc_long(LONG, "target", "target", "rating")


def test_icc_long_with_numbered_columns_equals_named_columns():
    named = pm.icc_long(LONG, "target", "rater", "rating").to_frame()
    numbered = pm.icc_long(LONG.set_axis([True, 0, 1.5], axis=1), True, 0, 1.5).to_frame()
    pd.testing.assert_frame_equal(named, numbered)


def test_known_groups_of_a_tuple_labelled_scale():
    frame = ITEMS.set_axis([("visual", 1), "a2", 3], axis=1)
    result = pm.known_groups(frame, DATA["site"], order=["north", "south", "east"][:2])
    expected = pm.known_groups(ITEMS, DATA["site"], order=["north", "south"])
    assert result.table.index.tolist() == [("visual", 1), "a2", 3]
    np.testing.assert_array_equal(result.table.to_numpy(), expected.table.to_numpy())
    assert result.descriptives["scale"].tolist()[:2] == [("visual", 1), ("visual", 1)]


def test_krippendorff_alpha_with_unstackable_coder_labels():
    odd = pm.krippendorff_alpha(ITEMS.set_axis([True, False, None], axis=1), level="interval")
    assert odd.alpha == pm.krippendorff_alpha(ITEMS, level="interval").alpha


@pytest.mark.parametrize("name", [True, "a" * 5000, 3.5])
def test_instrument_names_that_are_no_path(name):
    with pytest.raises(pm.SpecError, match="instrument"):
        pm.load_instrument(name)


def test_floor_ceiling_bounds_that_are_no_numbers():
    with pytest.raises(pm.DataError, match="minimum"):
        pm.floor_ceiling(ITEMS, ["1"], 5)
    with pytest.raises(pm.DataError, match="minimum"):
        pm.floor_ceiling(ITEMS, {"a1": "", "a2": 1, "a3": 1}, 5)


def test_just_identified_ordinal_model_has_lavaan_robust_fit_measures():
    """ordered=True on three items (df = 0) divided by zero in the scaled-shifted scaling factor."""
    reference = load_reference("cfa_ordinal_just_identified.json")["fit"]
    bfi = pm.datasets.load("bfi")
    fit = pm.cfa("agree =~ A1 + A2 + A3", bfi, ordered=["A1", "A2", "A3"]).fit_measures
    for name, expected in reference.items():
        ours = fit[name.replace(".", "_")]
        assert np.isnan(ours) if expected is None else abs(ours - expected) < 1e-4, name


def test_columns_pandas_finds_by_other_names_are_refused_when_repeated():
    with pytest.raises(pm.DataError, match="'NaT' more than once"):  # pandas finds NaT columns by the text 'NaT'
        pm.cfa("f =~ NaT", ITEMS.set_axis([pd.NaT] * 3, axis=1))
    with pytest.raises(pm.DataError, match="more than once"):
        pm.irt(DATA[["a1", "a2", "site", "site"]], group="site")


def test_a_key_beside_a_missing_column_label():
    frame = ITEMS.set_axis([pd.NA, 0, True], axis=1)
    odd, named = pm.split_half(frame, keys=[0]).to_dict(), pm.split_half(ITEMS, keys=["a2"]).to_dict()
    splits = ("best_split", "worst_split")  # the items by their labels
    assert {k: v for k, v in odd.items() if k not in splits} == {k: v for k, v in named.items() if k not in splits}


def test_omega_cluster_column_named_by_bytes():
    frame = DATA[["a1", "a2", "a3", "clinic"]]
    named = pm.omega(frame, 1, ci="percentile", n_boot=5, seed=1, cluster="clinic")
    odd = pm.omega(
        frame.set_axis(["a1", "a2", "a3", b"id"], axis=1), 1, ci="percentile", n_boot=5, seed=1, cluster=b"id"
    )
    assert odd.omega_total_ci == named.omega_total_ci  # pandas read b"id" as the list [105, 100] before


@pytest.mark.parametrize(
    "call",
    [
        lambda: pm.read_survey(True),
        lambda: pm.read_survey("a" * 5000 + ".csv"),  # OSError "File name too long" before
        lambda: pm.disattenuated_matrix(ITEMS.corr(), [pd.NA, 0.8, 0.8]),
        lambda: pm.fleiss_kappa({"a1": 1}),
        lambda: pm.rotate_loadings([["a1", 0.5], [0.2, 0.3]]),
        lambda: pm.rotate_loadings([[True, True]]),  # one item, two factors: numpy's LinAlgError before
        lambda: pm.rotate_loadings([[np.inf, 0.5], [0.2, 0.3]]),
    ],
)
def test_values_that_are_no_path_or_numbers(call):
    with pytest.raises(pm.DataError):
        call()


def test_omega_cluster_column_repeated():
    frame = DATA[["a1", "a2", "a3", "clinic", "clinic"]]
    with pytest.raises(pm.DataError, match="'clinic' more than once"):
        pm.omega(frame, 1, ci="percentile", n_boot=5, seed=1, cluster="clinic")


@pytest.mark.parametrize("sign", [1, -1])
def test_test_retest_of_perfectly_correlated_scores(sign):
    """r = +-1 raised math's ValueError; R 4.2.2 cor.test(s, 2 * s + 1)$conf.int is (1, 1), with -2 * s + 1 (-1, -1)."""
    scores = pd.Series([1.0, 2, 3, 4, 5, 1, 2, 3])
    result = pm.test_retest(scores, sign * 2 * scores + 1)
    assert abs(result.pearson_r - sign) < 1e-12 and np.allclose(result.pearson_ci, (sign, sign), rtol=0, atol=1e-12)
