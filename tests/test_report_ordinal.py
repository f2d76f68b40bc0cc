"""The report on every respondent (issue 14): ordered items with pairwise missing answers, sparse categories merged
in every group alike, the spec's cluster (services) where a fit can use it and a caveat where it cannot, and the
spec's checks of these options. Each number equals the public function's on the same data (pm.cfa and
pm.measurement_invariance are checked against lavaan 0.6-14 in tests/test_cfa_survey.py and test_invariance.py)."""

import json

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.errors import DataError, SpecError
from psychometrics.report import dumps, load_spec, run_spec
from psychometrics.report.sections._models import estimation
from psychometrics.report.sections._ordinal import category_merges, check_categories, merged

SCALES = {"peer_network": ["pn1", "pn2", "pn3"], "resourcing": ["rs1", "rs2", "rs3"]}  # none reverse-keyed
MODEL = "peer_network =~ pn1 + pn2 + pn3\nresourcing =~ rs1 + rs2 + rs3"
ORDINAL = {"ordered": True, "missing": "pairwise", "min_category_count": 1}
SPEC = {
    "name": "ordinal_report",
    "title": "Ordinal CFA and invariance on every respondent",
    "seed": 3,
    "instrument": "peer_support_implementation",
    "data": {"dataset": "peer_support_survey"},
    "group": "site",
    "cluster": "service",
    "scales": list(SCALES),
    "analyses": [
        {"type": "cfa", **ORDINAL},
        {"type": "invariance", **ORDINAL},
        {"type": "cfa", "id": "cfa_mlr", "estimator": "MLR"},
    ],
}


@pytest.fixture(scope="module")
def answers():
    """The items as the report scores them (9 = not applicable as missing) with site and service."""
    data = pm.datasets.load("peer_support_survey")
    items = [i for items in SCALES.values() for i in items]
    return data[items].where(data[items] != 9).astype(float).join(data[["site", "service"]])


@pytest.fixture(scope="module")
def run():
    """The spec's report and its results as results.json holds them."""
    report = run_spec(load_spec(SPEC), progress=False)
    return report, json.loads(dumps(report.results()))


def _units(results, section):
    entry = results["sections"][section]
    assert entry["status"] == "ok", entry["units"]
    return entry["units"]


def test_ordinal_cfa_uses_every_respondent_with_the_merged_categories(run, answers):
    results = run[1]
    recoded = answers.copy()
    recoded.loc[recoded["pn1"] == 1, "pn1"] = 2  # no answer 1 at IL-Jerusalem
    recoded.loc[recoded["rs2"] == 1, "rs2"] = 2  # no answer 1 at TZ-DarEsSalaam
    expected = pm.cfa(MODEL, recoded[list(answers.columns[:6])], ordered=True, missing="pairwise")
    pooled = _units(results, "cfa")["pooled"]["results"]
    assert pooled["n_obs"] == expected.n_obs == len(answers.dropna(subset=answers.columns[:6], how="all"))
    for key in ("chisq_scaled", "cfi_robust", "rmsea_robust", "srmr"):
        assert pooled["fit_measures"][key] == pytest.approx(expected.fit_measures[key], rel=1e-9, abs=1e-12), key
    ladder = pm.measurement_invariance(MODEL, recoded.drop(columns="service"), "site", ordered=True, missing="pairwise")
    table = _units(results, "invariance")["pooled"]["results"]["table"]
    assert set(table) == {"configural", "thresholds", "metric", "scalar"}  # Wu & Estabrook (2016)
    for level in table:
        for key in ("chisq_scaled", "delta_chisq", "cfi_scaled"):
            value = ladder.table.loc[level, key]
            assert table[level][key] == pytest.approx(value, rel=1e-9, abs=1e-12) or np.isnan(value), (level, key)


def test_merges_and_the_nesting_are_stated_in_the_methods(run):
    methods = run[0].document[0].rendered.text
    merges = [line for line in methods if line.startswith("Sparse categories of ordered items merged")]
    assert len(merges) == 1  # stated once for the sections sharing it
    assert "rs2: 1 into 2 (no answers at TZ-DarEsSalaam); pn1: 1 into 2 (no answers at IL-Jerusalem)" in merges[0]
    assert any("nested in 23 clusters by service" in line for line in methods)
    caveat = [line for line in methods if line.startswith("Caveat: lavaan 0.6-14 applies no cluster correction")]
    assert len(caveat) == 1 and "estimator: MLR" in caveat[0]
    assert any('cfa(model, data, missing = "pairwise", ordered = TRUE)' in line for line in methods)
    assert any('cfa(model, data, estimator = "MLR", cluster = "service")' in line for line in methods)


def test_mlr_fits_use_the_specs_cluster(run, answers):
    results = run[1]
    expected = pm.cfa(MODEL, answers.dropna(subset=answers.columns[:6]), estimator="MLR", cluster="service")
    pooled = _units(results, "cfa_mlr")["pooled"]["results"]
    for key in ("chisq_scaled", "cfi_robust", "rmsea_robust"):
        assert pooled["fit_measures"][key] == pytest.approx(expected.fit_measures[key], rel=1e-9, abs=1e-12), key


def test_an_empty_category_names_item_group_category_and_the_fix(answers):
    spec = {**SPEC, "analyses": [{"type": "invariance", "ordered": True, "missing": "pairwise"}]}
    section = run_spec(load_spec(spec), progress=False).sections[0]
    error = section.units["pooled"].error
    assert "item 'pn1' has no answer in category 1 in group 'IL-Jerusalem'" in error
    assert "item 'rs2' has no answer in category 1 in group 'TZ-DarEsSalaam'" in error
    assert "min_category_count: 1" in error
    with pytest.raises(DataError, match="category 1 in group 'IL-Jerusalem'"):
        check_categories(answers, ["pn1"], "site", "Invariance")


def test_category_merges_go_inwards_and_are_the_same_in_every_group():
    data = pd.DataFrame(
        {
            "g": ["a"] * 6 + ["b"] * 6,
            "x": [1, 2, 3, 3, 4, 5, 2, 2, 3, 4, 4, 5],  # lowest empty in b: into its neighbour
            "y": [1, 2, 2, 4, 4, 4, 1, 2, 2, 3, 4, 4],  # middle empty in a: into the rarer neighbour
            "z": [1, 2, 3, 4, 5, 5, 1, 2, 3, 4, 4, 4],
        }
    )  # highest empty in b
    merges = category_merges(data, ["x", "y", "z"], "g", 1)
    assert [(m.item, m.source, m.target, m.fewest, m.where) for m in merges] == [
        ("x", 1.0, 2.0, 0, "b"),
        ("y", 3.0, 2.0, 0, "a"),
        ("z", 5.0, 4.0, 0, "b"),
    ]
    assert merges[0].words() == "x: 1 into 2 (no answers at b)"
    recoded = merged(data, merges)
    assert [sorted(recoded[c].unique()) for c in "xyz"] == [[2, 3, 4, 5], [1, 2, 4], [1, 2, 3, 4]]
    assert data["x"].tolist()[0] == 1  # the caller's frame is not changed
    assert category_merges(data, ["x"], "g", None) == ()
    # a higher minimum merges until every category has it in every group (or two categories are left)
    assert [(m.source, m.target) for m in category_merges(data, ["z"], "g", 2)] == [(5.0, 4.0), (1.0, 2.0), (3.0, 2.0)]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"ordered": True, "cluster": "service"}, "lavaan 0.6-14 applies no cluster correction to categorical"),
        ({"ordered": True, "weights": "w"}, "sampling weights are available for continuous items"),
        ({"ordered": True, "estimator": "MLR"}, "ordered items take WLSMV"),
        ({"ordered": True, "missing": "fiml"}, "ordered items take missing: pairwise"),
        ({"missing": "pairwise"}, "missing: pairwise is for ordered items"),
        ({"estimator": "WLSMV"}, "estimator: WLSMV is for ordered items"),
        ({"min_category_count": 1}, "it needs ordered: true"),
        ({"cluster": "service"}, "add estimator: MLR"),
        ({"estimator": "MLR", "missing": "fiml", "weights": "w"}, "weights need complete cases"),
    ],
)
def test_spec_refuses_option_combinations_the_engine_cannot_fit(options, message):
    spec = {**SPEC, "analyses": [{"type": "cfa", **options}]}
    with pytest.raises(SpecError, match=message) as caught:
        load_spec(spec)
    assert "spec.analyses[0] (cfa)" in str(caught.value)


def test_estimation_passes_the_specs_options_to_cfa():
    assert estimation({"ordered": True, "missing": "pairwise"}) == {"missing": "pairwise", "ordered": True}
    assert estimation({"estimator": "MLR", "cluster": "service", "weights": "w"}) == {
        "estimator": "MLR",
        "cluster": "service",
        "sampling_weights": "w",
    }
