"""score(): reverse keys, missing codes to NaN, prorated mean/sum scale scores; the input is never modified."""

import copy
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import psychometrics as pm
from psychometrics.errors import DataError, DataValidationError

NAME = "peer_support_implementation"
REFERENCE = Path(__file__).parent / "reference" / "scoring.json"


@pytest.fixture(scope="module")
def document():
    return yaml.safe_load(resources.files("psychometrics.data_schema").joinpath(f"{NAME}.yaml").read_text())


def _instrument(document, **scale_changes):
    changed = copy.deepcopy(document)
    for scale in changed["scales"]:
        scale.update(scale_changes)
    return pm.load_instrument(changed)


@pytest.fixture()
def small():
    frame = pm.datasets.load("peer_support_survey").head(4).copy()
    # organisational_culture: oc1 oc2 oc3(R) oc4; min_answered 3
    frame[["oc1", "oc2", "oc3", "oc4"]] = [[4, 5, 2, 3], [4, 9, 1, np.nan], [9, 9, np.nan, 2], [1, 1, 5, 1]]
    frame["oc_global"] = [7, 99, np.nan, 0]
    return frame


def test_reverse_keys_missing_codes_and_prorating(small):
    scored = pm.score(small, NAME)
    # oc3 reversed as 1 + 5 - x; 9 -> NaN
    np.testing.assert_allclose(scored["oc3"], [4, 5, np.nan, 1])
    assert np.isnan(scored.loc[1, "oc2"]) and np.isnan(scored.loc[2, "oc1"])
    np.testing.assert_allclose(scored["oc_global"], [7, np.nan, np.nan, 0])
    # row 0: (4 + 5 + 4 + 3) / 4; row 1: 2 answered (4, 5) < min_answered 3 -> NaN; row 2: 1 answered -> NaN
    np.testing.assert_allclose(scored["organisational_culture"], [4.0, np.nan, np.nan, 1.0])


def test_prorated_sum_and_min_answered(document, small):
    frame = small.copy()
    frame.loc[1, "oc4"] = 3  # row 1 now answers oc1, oc3 (reversed 5), oc4: 3 of 4
    inst = _instrument(document, scoring="sum")
    scored = pm.score(frame, inst, keep_items=False)
    # prorated sum = mean of answered items x number of items
    np.testing.assert_allclose(scored["organisational_culture"], [16.0, (4 + 5 + 3) / 3 * 4, np.nan, 4.0])
    lenient = pm.score(frame, _instrument(document, min_answered=1), keep_items=False)
    np.testing.assert_allclose(lenient["organisational_culture"], [4.0, 4.0, 2.0, 1.0])


def test_matches_psych_score_items():
    """psych::scoreItems(keys, items, impute = "none", totals = FALSE) (psych 2.2.9; tests/reference/scoring.R)."""
    reference = json.loads(REFERENCE.read_text())
    data = pm.datasets.load("peer_support_survey")
    assert data["respondent_id"].tolist() == reference["respondent_id"]
    document = yaml.safe_load(resources.files("psychometrics.data_schema").joinpath(f"{NAME}.yaml").read_text())
    scored = pm.score(data, _instrument(document, min_answered=1), keep_items=False)
    for scale, values in reference["scores"].items():
        expected = np.array([np.nan if v is None else v for v in values], dtype=float)
        np.testing.assert_allclose(scored[scale].to_numpy(), expected, atol=1e-10, err_msg=scale)


def test_returns_new_frame_and_keeps_input(small):
    before = small.copy()
    scored = pm.score(small, NAME)
    pd.testing.assert_frame_equal(small, before)
    assert scored is not small
    inst = pm.load_instrument(NAME)
    assert list(scored.columns) == list(small.columns) + list(inst.scales)
    assert scored["respondent_id"].tolist() == small["respondent_id"].tolist()
    assert scored["readiness"].equals(small["readiness"])
    only = pm.score(small, NAME, keep_items=False)
    assert list(only.columns) == list(inst.scales)
    assert only.index.equals(small.index)


def test_bad_values_are_refused(small):
    frame = small.copy()
    frame.loc[0, "tr1"] = 7
    frame["tr2"] = frame["tr2"].astype(object)
    frame.loc[3, "tr2"] = "n/a"
    with pytest.raises(DataValidationError, match="tr1': 7 is out of range") as info:
        pm.score(frame, NAME)
    assert info.value.report.problems["rule"].tolist() == ["out_of_range", "non_numeric"]


def test_missing_scale_item_is_refused(small):
    with pytest.raises(DataValidationError, match="'rd4' is needed to score"):
        pm.score(small.drop(columns="rd4"), NAME)


def test_global_ratings_are_optional(small):
    scored = pm.score(small.drop(columns=["oc_global", "readiness"]), NAME)
    assert "oc_global" not in scored.columns and "training" in scored.columns


def test_scale_name_clash(small):
    with pytest.raises(DataError, match="already have column.*training"):
        pm.score(small.assign(training=1), NAME)
    assert "training" in pm.score(small.assign(training=1), NAME, keep_items=False)
