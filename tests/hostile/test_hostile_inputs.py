"""Issue 16: inputs that gave silently wrong answers or unclear messages, and unbounded options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.compare import compare_results
from psychometrics.factor import retention
from psychometrics.report import context, run_spec

from hostile_data import survey, write_spec

HS = pm.datasets.load("holzinger_swineford")
ONE_FACTOR = "visual =~ x1 + x2 + x3"


def items(n=30, seed=1) -> pd.DataFrame:
    return survey(n=n, seed=seed)[["a1", "a2", "a3"]]


# ------------------------------------------------------------------------------------------ silent wrong answers
@pytest.mark.parametrize(
    "levels", [("metric", "configural"), ("configural", "scalar"), ("scalar",), ("configural", "configural")]
)
def test_invariance_levels_must_be_an_ordered_ladder(levels):
    with pytest.raises(pm.ModelError, match="levels"):
        pm.measurement_invariance(ONE_FACTOR, HS, group="school", levels=levels)


def test_a_site_named_pooled_is_refused(tmp_path):
    survey(sites=("pooled", "south")).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(pm.SpecError, match="pooled"):
        run_spec(write_spec(tmp_path, "data.csv"), progress=False)


def test_group_labels_one_and_text_one_are_refused():
    data = survey()
    data["site"] = [1 if i % 2 else "1" for i in range(len(data))]
    with pytest.raises(pm.DataError, match="differ only in type"):
        pm.cfa("f =~ a1 + a2 + a3", data, group="site")
    with pytest.raises(pm.DataError, match="differ only in type"):
        pm.measurement_invariance("f =~ a1 + a2 + a3", data, group="site", levels=("configural", "metric"))
    with pytest.raises(pm.SpecError, match="differ only in type"):  # files read by pandas never mix the types
        context._group_labels(data, "site")


def test_an_empty_data_file_does_not_pass_validation():
    empty = pm.datasets.load("peer_support_survey").iloc[:0]
    report = pm.validate(empty, "peer_support_implementation")
    assert not report.ok and "no_rows" in set(report.problems["rule"])


def test_duplicate_column_names_are_a_data_error():
    data = pd.concat([items(), items()[["a1"]]], axis=1)
    with pytest.raises(pm.DataError, match="more than once"):
        pm.cronbach_alpha(data)
    with pytest.raises(pm.DataError, match="more than once"):
        pm.cfa("f =~ a1 + a2 + a3", data)


def test_datetime_and_complex_columns_are_not_items():
    data = items()
    with pytest.raises(pm.DataError, match="datetime"):
        pm.cronbach_alpha(data.assign(a3=pd.date_range("2024-01-01", periods=len(data))))
    with pytest.raises(pm.DataError, match="complex"):
        pm.cronbach_alpha(data.assign(a3=data["a3"] + 1j))


def test_one_infinite_rating_is_a_data_error_not_nan_iccs():
    ratings = items().astype(float)
    ratings.iloc[4, 1] = np.inf
    with pytest.raises(pm.DataError, match="inf"):
        pm.icc(ratings)


def test_factor_name_shadowing_a_column_is_refused():
    with pytest.raises(pm.ModelError, match="shadow"):
        pm.cfa("x1 =~ x2 + x3 + x4", HS)


def test_ordered_items_must_hold_integers():
    with pytest.raises(pm.DataError, match="non-integer"):
        pm.cfa(ONE_FACTOR, HS, ordered=True)


def test_tetrachoric_correct_must_not_be_negative():
    data = (items() > 3).astype(int)
    with pytest.raises(pm.DataError, match="correct"):
        pm.tetrachoric(data, correct=-1)


def test_compare_tells_true_from_one():
    comparison = compare_results({"flag": True}, {"flag": 1})
    assert not comparison.ok and comparison.failures[0].path == "flag"


def test_alpha_names_a_negatively_correlated_item():
    data = items(n=60).assign(a3=lambda d: 6 - d["a3"])
    with pytest.warns(UserWarning, match="a3"):
        pm.cronbach_alpha(data)


# ------------------------------------------------------------------------------------------------ clear messages
@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e200])
def test_infinite_and_huge_values_are_named(value):
    data = items().astype(float)
    data.iloc[2, 0] = value
    with pytest.raises(pm.DataError) as error:
        pm.cronbach_alpha(data)
    assert "answered together" not in str(error.value) and "'a1'" in str(error.value)


def test_one_row_is_reported_as_too_few_rows():
    with pytest.raises(pm.DataError, match="1 usable row"):
        pm.cronbach_alpha(items().iloc[:1])


def test_multiindex_columns_are_named():
    data = items()
    data.columns = pd.MultiIndex.from_tuples([("s", "a1"), ("s", "a2"), ("s", "a3")])
    with pytest.raises(pm.DataError, match="MultiIndex"):
        pm.cronbach_alpha(data)


def test_duplicate_csv_column_is_named(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("respondent_id,oc1,oc1\nr1,1,2\n")
    with pytest.raises(pm.DataError, match="'oc1' twice"):
        pm.read_survey(path)


# ---------------------------------------------------------------------------------------------- bounded options
def test_n_boot_is_bounded():
    with pytest.raises(pm.DataError, match="n_boot"):
        pm.cronbach_alpha(items(), ci="bootstrap", n_boot=10**12)


def test_n_iter_is_bounded_before_anything_runs(monkeypatch):
    def never(*args):
        raise AssertionError("parallel analysis started")

    monkeypatch.setattr(retention, "_simulated", never)
    for n_iter in (10**8, True, "100"):
        with pytest.raises(pm.DataError, match="n_iter"):
            pm.parallel_analysis(items(), n_iter=n_iter)


@pytest.mark.parametrize(
    "call",
    [
        lambda d: pm.efa(d, "1"),
        lambda d: pm.omega(d, n_factors=10**9),
        lambda d: pm.efa(d, 1, max_iter=10**9),
        lambda d: pm.velicer_map(d, True),
        lambda d: pm.simulate_peer_support_survey(site_sizes={"DE-Ulm": 10**12}),
    ],
)
def test_factor_options_are_bounded(call):
    with pytest.raises(pm.DataError):
        call(items())
