"""Property-based pass over the public functions (issue 16): random, often hostile frames (NaN, inf, huge values,
text, booleans, constant and empty columns, 0 to 12 rows) give a result or a PsychometricsError, never another
exception. Few examples per function (deadline off) keep the whole pass to a few seconds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.compare import compare_results

from hostile_data import SETTINGS, outcome

CELLS = st.one_of(
    st.integers(1, 5).map(float),
    st.integers(1, 5).map(float),  # mostly plausible answers
    st.just(np.nan),
    st.sampled_from([np.inf, -np.inf, 1e300, -1e300, 0.5, 2.5, -3.0, 1e-300]),
)
ODD_COLUMNS = st.sampled_from(["text", "bool", "constant", "empty", "int"])


@st.composite
def frames(draw, min_columns=0, max_columns=5):
    n_rows = draw(st.integers(0, 12))
    n_columns = draw(st.integers(min_columns, max_columns))
    columns = {}
    for j in range(n_columns):
        name = f"x{j}"
        if draw(st.integers(0, 4)) == 0:
            kind = draw(ODD_COLUMNS)
            columns[name] = {
                "text": lambda: draw(
                    st.lists(st.sampled_from(["1", "2", "a", "", None]), min_size=n_rows, max_size=n_rows)
                ),
                "bool": lambda: draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows)),
                "constant": lambda: [3.0] * n_rows,
                "empty": lambda: [np.nan] * n_rows,
                "int": lambda: draw(st.lists(st.integers(0, 1), min_size=n_rows, max_size=n_rows)),
            }[kind]()
        else:
            columns[name] = draw(st.lists(CELLS, min_size=n_rows, max_size=n_rows))
    return pd.DataFrame(columns, index=range(n_rows))


FUNCTIONS = {
    "cronbach_alpha": lambda d: pm.cronbach_alpha(d),
    "cronbach_alpha_bootstrap": lambda d: pm.cronbach_alpha(d, ci="bootstrap", n_boot=20, seed=1),
    "item_statistics": lambda d: pm.item_statistics(d),
    "guttman": lambda d: pm.guttman(d),
    "split_half": lambda d: pm.split_half(d),
    "omega": lambda d: pm.omega(d, n_factors=1),
    "efa": lambda d: pm.efa(d, 1),
    "parallel_analysis": lambda d: pm.parallel_analysis(d, n_iter=3, seed=1),
    "velicer_map": lambda d: pm.velicer_map(d),
    "kmo": lambda d: pm.kmo(d),
    "bartlett_sphericity": lambda d: pm.bartlett_sphericity(d),
    "polychoric": lambda d: pm.polychoric(d),
    "tetrachoric": lambda d: pm.tetrachoric(d),
    "icc": lambda d: pm.icc(d),
    "correlations": lambda d: pm.correlations(d),
    "krippendorff_alpha": lambda d: pm.krippendorff_alpha(d),
    "fleiss_kappa": lambda d: pm.fleiss_kappa(d),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_random_frames_give_a_result_or_a_psychometrics_error(name):
    @SETTINGS
    @given(frames())
    def check(frame):
        before = frame.copy()
        outcome(FUNCTIONS[name], frame)
        pd.testing.assert_frame_equal(frame, before)  # the caller's frame is never modified

    check()


@SETTINGS
@given(frames(min_columns=3, max_columns=4))
def test_cfa_on_random_frames(frame):
    outcome(pm.cfa, "f =~ x0 + x1 + x2", frame)


NONZERO_FLOATS = st.floats(allow_nan=False).filter(lambda x: x != 0)  # -0.0 == 0.0 but their JSON texts differ
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), NONZERO_FLOATS, st.text(max_size=3)),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=12,
)


SURVEY = pm.datasets.load("peer_support_survey").head(20)
HOSTILE_CELLS = st.sampled_from([None, np.nan, np.inf, -1e300, "", "n/a", "9", 2.5, True, -1, 0, "\x00", "=1+1"])


@settings(SETTINGS, max_examples=5)
@given(
    st.lists(
        st.tuples(st.integers(0, len(SURVEY) - 1), st.integers(0, SURVEY.shape[1] - 1), HOSTILE_CELLS), max_size=6
    ),
    st.integers(0, len(SURVEY)),
)
def test_validate_and_score_hostile_surveys(edits, n_rows):
    data = SURVEY.copy()
    for row, column, value in edits:
        data.isetitem(column, data.iloc[:, column].astype(object))
        data.iat[row, column] = value
    data = data.head(n_rows)
    report = outcome(pm.validate, data, "peer_support_implementation")
    assert report is not None and (report.ok or not report.problems.empty)
    outcome(pm.score, data, "peer_support_implementation")


def _canonical(document):
    """JSON text with every number (not booleans) as a float: equal when compare must find no difference."""

    def plain(value):
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    return json.dumps(plain(document), sort_keys=True)


@SETTINGS
@given(JSON, JSON)
@example(True, 1)
@example([1.5], [1.5, 2.0])
def test_compare_random_documents(new, reference):
    result = outcome(compare_results, {"r": new}, {"r": reference}, rtol=0, atol=0)
    assert result is not None and result.ok == (_canonical(new) == _canonical(reference))
