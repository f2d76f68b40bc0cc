import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics._checks import as_correlation_matrix, as_item_frame
from psychometrics._results import Result


@pytest.mark.parametrize("name", pm.datasets.names())
def test_every_dataset_loads_with_provenance(name):
    frame = pm.datasets.load(name)
    assert isinstance(frame, pd.DataFrame) and not frame.empty
    info = pm.datasets.describe(name)
    assert info["source"] and info["description"]


def test_dataset_shapes():
    assert pm.datasets.load("bfi").shape == (2800, 28)
    assert pm.datasets.load("holzinger_swineford").shape == (301, 15)
    thurstone = pm.datasets.load("thurstone")
    assert thurstone.shape == (9, 9) and list(thurstone.index) == list(thurstone.columns)
    assert pm.datasets.describe("thurstone")["n_obs"] == 213


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(pm.DataError, match="available"):
        pm.datasets.load("nope")


def test_error_hierarchy():
    for cls in (pm.DataError, pm.ModelError, pm.ConvergenceError, pm.DataValidationError, pm.SpecError):
        assert issubclass(cls, pm.PsychometricsError)


def test_result_to_dict_is_json_ready():
    @dataclasses.dataclass(frozen=True, repr=False)
    class Demo(Result):
        value: float
        pair: tuple
        table: pd.DataFrame

    res = Demo(np.float64(0.5), (np.float64(1.0), np.nan), pd.DataFrame({"a": [1, 2]}, index=["x", "y"]))
    text = json.dumps(res.to_dict())
    assert json.loads(text)["pair"] == [1.0, None]
    assert "value: 0.5000" in repr(res)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.value = 1.0


def test_item_frame_checks_name_the_cell():
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [1, "x", 3]})
    before = frame.copy()
    with pytest.raises(pm.DataError, match=r"'x'.*'b'.*row 1"):
        as_item_frame(frame)
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(pm.DataError, match="constant"):
        as_item_frame(pd.DataFrame({"a": [1, 1, 1], "b": [1, 2, 3]}))
    with pytest.raises(pm.DataError, match="every item missing"):
        as_item_frame(pd.DataFrame({"a": [1, np.nan, 3], "b": [1, np.nan, 3]}))


def test_correlation_matrix_checks():
    with pytest.raises(pm.DataError, match="symmetric"):
        as_correlation_matrix([[1, 0.5], [0.4, 1]])
    with pytest.raises(pm.DataError, match="positive definite"):
        as_correlation_matrix([[1, 1], [1, 1]])


def test_table_result_answers_dataframe_lookups():
    import psychometrics as pm

    res = pm.icc(pm.datasets.load("shrout_fleiss"))
    assert res.loc["ICC2", "icc"] == pytest.approx(0.289764, abs=1e-6)
    assert list(res.index)[:3] == ["ICC1", "ICC2", "ICC3"]
    assert "ci_low" in res.columns and res["icc"].shape == (6,)
    pd.testing.assert_frame_equal(res.to_frame(), res.table)
