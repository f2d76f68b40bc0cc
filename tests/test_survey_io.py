"""read_survey(): CSV, Excel, SPSS (user-missing codes, value labels), Stata (tagged missing), Parquet."""

import hashlib

import numpy as np
import pandas as pd
import pyreadstat
import pytest

import psychometrics as pm
from psychometrics.errors import DataError

NAME = "peer_support_implementation"
SITES = ["DE-Hamburg", "DE-Ulm", "IN-Bangalore", "IL-Jerusalem", "TZ-DarEsSalaam", "UG-Kampala"]


@pytest.fixture(scope="module")
def instrument():
    return pm.load_instrument(NAME)


@pytest.fixture()
def data():
    return pm.datasets.load("peer_support_survey").head(60)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _numeric(frame, instrument):
    """Items and criteria as floats (file formats differ in integer/float storage)."""
    columns = [*instrument.items, *instrument.criteria]
    return frame[columns].astype(float)


def test_csv_keeps_codes_and_leading_zeros(tmp_path, instrument, data):
    frame = data.copy()
    frame["respondent_id"] = [f"{k:04d}" for k in range(len(frame))]
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    digest = _digest(path)
    read = pm.read_survey(path, instrument)
    assert read["respondent_id"].iloc[:2].tolist() == ["0000", "0001"]
    assert (read["oc1"] == 9).sum() == (data["oc1"] == 9).sum()  # 9 = not applicable stays a code
    pd.testing.assert_frame_equal(_numeric(read, instrument), _numeric(frame, instrument))
    assert read.attrs["source"] == str(path)
    assert _digest(path) == digest
    assert pm.validate(read, instrument).ok


def _spss_frame(data):
    """Site as numeric codes with value labels, items with NaN and 9/99 codes."""
    frame = data.copy()
    frame["site"] = frame["site"].map({s: i + 1.0 for i, s in enumerate(SITES)})
    for column in ("language", "role", "respondent_id"):
        frame[column] = frame[column].astype(object)
    return frame


def test_spss_round_trip_with_user_missing_codes(tmp_path, instrument, data):
    frame = _spss_frame(data)
    frame.loc[frame.index[0], "oc1"] = 9
    frame.loc[frame.index[1], "oc_global"] = 99
    likert = [n for n, item in instrument.items.items() if item.scale]
    globals_ = [n for n, item in instrument.items.items() if not item.scale]
    missing_ranges = {**{c: [9] for c in likert}, **{c: [{"lo": 99, "hi": 99}] for c in globals_}}
    labels = {"site": {i + 1.0: s for i, s in enumerate(SITES)}, **{c: {9.0: "not applicable"} for c in likert}}
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(path), missing_ranges=missing_ranges, variable_value_labels=labels)
    # without user_missing the codes would be lost as NaN: the reader must keep them
    plain, _ = pyreadstat.read_sav(str(path))
    assert np.isnan(plain.loc[0, "oc1"])
    digest = _digest(path)

    read = pm.read_survey(path, instrument)
    assert read.loc[0, "oc1"] == 9 and read.loc[1, "oc_global"] == 99
    assert read["site"].tolist() == data["site"].tolist()  # value labels applied to the group column
    pd.testing.assert_frame_equal(_numeric(read, instrument), _numeric(frame, instrument))
    assert read.attrs["user_missing"]["oc1"] == [[9.0, 9.0]]
    assert read.attrs["value_labels"]["oc1"] == {9.0: "not applicable"}
    assert pm.validate(read, instrument).ok
    scored = pm.score(read, instrument)
    assert np.isnan(scored.loc[0, "oc1"]) and np.isnan(scored.loc[1, "oc_global"])
    assert _digest(path) == digest


def test_spss_unlabelled_site_code_is_kept_and_reported(tmp_path, instrument, data):
    frame = _spss_frame(data)
    frame.loc[frame.index[2], "site"] = 7.0
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"site": {i + 1.0: s for i, s in enumerate(SITES)}})
    read = pm.read_survey(path, instrument)
    assert read.loc[2, "site"] == "7"
    problems = pm.validate(read, instrument).problems
    assert problems[["row", "column", "value", "rule"]].values.tolist() == [[3, "site", "7", "unknown_label"]]


def test_spss_without_instrument_keeps_codes(tmp_path, data):
    frame = _spss_frame(data)
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"site": {1.0: "DE-Hamburg"}})
    read = pm.read_survey(path)
    assert read["site"].iloc[0] == 1.0 and read.attrs["value_labels"]["site"] == {1.0: "DE-Hamburg"}


def test_stata_tagged_missing_becomes_the_instrument_code(tmp_path, instrument, data):
    data.loc[data.index[:2], "oc1"] = 9
    frame = _spss_frame(data)
    oc1 = frame["oc1"].astype(object)
    oc1[oc1 == 9] = "a"
    oc1.iloc[3] = "b"  # a tag the instrument does not declare
    frame["oc1"] = oc1
    path = tmp_path / "survey.dta"
    pyreadstat.write_dta(
        frame,
        str(path),
        missing_user_values={"oc1": ["a", "b"]},
        variable_value_labels={
            "oc1": {"a": "Not applicable", "b": "refused"},
            "site": {i + 1: s for i, s in enumerate(SITES)},
        },
    )
    read = pm.read_survey(path, instrument)
    assert (read["oc1"] == 9).sum() == (data["oc1"] == 9).sum() - (data["oc1"].iloc[3] == 9)
    assert read["oc1"].iloc[3] == "b" and read["site"].tolist() == data["site"].tolist()
    assert read.attrs["user_missing"]["oc1"] == ["a", "b"]
    problems = pm.validate(read, instrument).problems
    assert problems[["row", "column", "value", "rule"]].values.tolist() == [[4, "oc1", "b", "non_numeric"]]


def test_excel_and_parquet_round_trips(tmp_path, instrument, data):
    for suffix, write in (
        (".xlsx", lambda f, p: f.to_excel(p, index=False)),
        (".parquet", lambda f, p: f.to_parquet(p, index=False)),
    ):
        path = tmp_path / f"survey{suffix}"
        write(data, path)
        digest = _digest(path)
        read = pm.read_survey(path, instrument)
        pd.testing.assert_frame_equal(_numeric(read, instrument), _numeric(data, instrument))
        assert read["site"].tolist() == data["site"].tolist()
        assert pm.validate(read, instrument).ok
        assert _digest(path) == digest


def test_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        pm.read_survey(tmp_path / "nope.csv")
    path = tmp_path / "survey.json"
    path.write_text("{}")
    with pytest.raises(DataError, match="unknown file type '.json'"):
        pm.read_survey(path)
    path = tmp_path / "broken.csv"
    path.write_text('a,b\n1,2,3\n"x\n')
    with pytest.raises(DataError, match="cannot read 'broken.csv' as a CSV file"):
        pm.read_survey(path)
    path = tmp_path / "broken.sav"
    path.write_text("not spss")
    with pytest.raises(DataError, match="cannot read 'broken.sav' as a SPSS file"):
        pm.read_survey(path)
