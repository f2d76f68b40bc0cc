"""validate(): every rule with a failing example, the collected report, raise_on_error, and the CLI exit codes."""

import hashlib
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.cli import main
from psychometrics.errors import DataValidationError

NAME = "peer_support_implementation"


@pytest.fixture(scope="module")
def instrument():
    return pm.load_instrument(NAME)


@pytest.fixture()
def data():
    return pm.datasets.load("peer_support_survey").head(40)


def test_clean_data_is_ok(instrument):
    full = pm.datasets.load("peer_support_survey")
    report = pm.validate(full, instrument)
    assert report.ok
    assert list(report.problems.columns) == ["row", "respondent_id", "column", "value", "rule", "message"]
    assert report.problems.empty
    assert report.summary().startswith("OK: 489 rows x 33 columns") and "\n" not in report.summary()


def _set(column, position, value):
    def change(frame):
        if column in frame.columns and not isinstance(value, (int, float)):
            frame[column] = frame[column].astype(object)
        frame.iloc[position, frame.columns.get_loc(column)] = value
        return frame

    return change


def _all_items_missing(frame):
    items = list(pm.load_instrument(NAME).items)
    codes = [9 if pm.load_instrument(NAME).items[i].scale else np.nan for i in items]
    frame.loc[frame.index[7], items] = codes
    return frame


# (change, rule, row, column, value)
RULE_CASES = {
    "missing_column": (lambda f: f.drop(columns="rs3"), "missing_column", None, "rs3", None),
    "unknown_column": (lambda f: f.assign(comment="x"), "unknown_column", None, "comment", None),
    "duplicate_column": (
        lambda f: pd.concat([f, f[["oc1"]]], axis=1),
        "duplicate_column",
        None,
        "oc1",
        None,
    ),
    "non_numeric": (_set("oc2", 4, "agree"), "non_numeric", 5, "oc2", "agree"),
    "out_of_range_likert": (_set("tr1", 2, 6), "out_of_range", 3, "tr1", 6),
    "out_of_range_not_allowed": (_set("tr2", 2, 2.5), "out_of_range", 3, "tr2", 2.5),
    "out_of_range_wrong_code": (_set("rd1", 3, 99), "out_of_range", 4, "rd1", 99),
    "out_of_range_global": (_set("pn_global", 5, 11), "out_of_range", 6, "pn_global", 11),
    "out_of_range_criterion": (_set("readiness", 6, -3.0), "out_of_range", 7, "readiness", -3.0),
    "unknown_site": (_set("site", 1, "DE-Berlin"), "unknown_label", 2, "site", "DE-Berlin"),
    "unknown_language": (_set("language", 1, "fr"), "unknown_label", 2, "language", "fr"),
    "unknown_role": (_set("role", 1, "nurse"), "unknown_label", 2, "role", "nurse"),
    "missing_label": (_set("role", 8, None), "missing_label", 9, "role", None),
    "missing_id": (_set("respondent_id", 9, None), "missing_id", 10, "respondent_id", None),
    "duplicate_id": (_set("respondent_id", 11, "PS0001"), "duplicate_id", 1, "respondent_id", "PS0001"),
    "all_items_missing": (_all_items_missing, "all_items_missing", 8, None, None),
}


@pytest.mark.parametrize("case", list(RULE_CASES))
def test_each_rule_has_a_failing_example(data, instrument, case):
    change, rule, row, column, value = RULE_CASES[case]
    report = pm.validate(change(data.copy()), instrument)
    assert not report.ok
    assert set(report.problems["rule"]) == {rule}, report.problems
    problem = report.problems.iloc[0]
    assert pd.isna(problem["row"]) if row is None else problem["row"] == row
    assert problem["column"] == column
    if value is None:
        assert pd.isna(problem["value"])
    else:
        assert problem["value"] == value
    if row is not None and rule != "missing_id":
        assert problem["respondent_id"] == data["respondent_id"].iloc[row - 1] or rule == "duplicate_id"
    assert problem["message"]
    assert rule in report.summary()


def test_duplicate_id_reports_every_row(data, instrument):
    report = pm.validate(_set("respondent_id", 11, "PS0001")(data.copy()), instrument)
    assert report.problems["row"].tolist() == [1, 12]
    assert "rows [1, 12]" in report.problems["message"].iloc[0]


def test_declared_missing_codes_are_not_problems(data, instrument):
    frame = data.copy()
    frame["oc1"] = 9
    frame["oc_global"] = 99
    frame["tr_global"] = 9  # 9 is a valid 0-10 rating
    frame["readiness"] = np.nan
    assert pm.validate(frame, instrument).ok


def test_every_problem_is_collected(data, instrument):
    frame = data.copy().assign(extra=1).drop(columns="pn3")
    for change, *_ in (RULE_CASES[c] for c in ("non_numeric", "out_of_range_likert", "unknown_site", "missing_id")):
        frame = change(frame)
    report = pm.validate(frame, instrument)
    assert report.counts() == {
        "missing_column": 1,
        "unknown_column": 1,
        "out_of_range": 1,
        "unknown_label": 1,
        "non_numeric": 1,
        "missing_id": 1,
    }
    assert report.problems["row"].dropna().is_monotonic_increasing
    assert report.to_frame().equals(report.problems)


def test_raise_on_error_carries_the_report(data, instrument):
    frame = RULE_CASES["out_of_range_likert"][0](data.copy())
    with pytest.raises(
        DataValidationError, match=r"row 3 \(respondent 'PS0003'\), column 'tr1': 6 is out of range"
    ) as info:
        pm.validate(frame, instrument, raise_on_error=True)
    assert len(info.value.report.problems) == 1
    assert pm.validate(data, instrument, raise_on_error=True).ok


def test_input_is_not_modified(data, instrument):
    frame = pd.concat([RULE_CASES["non_numeric"][0](data.copy()), data[["oc1"]]], axis=1)
    before = frame.copy()
    pm.validate(frame, NAME)
    pd.testing.assert_frame_equal(frame, before)


def test_not_a_dataframe(instrument):
    with pytest.raises(DataValidationError, match="must be a pandas DataFrame"):
        pm.validate([[1, 2]], instrument)


def test_report_is_frozen_and_json_ready(data, instrument):
    report = pm.validate(_set("tr1", 2, 6)(data.copy()), instrument)
    as_dict = report.to_dict()
    assert as_dict["ok"] is False and as_dict["problems"]["data"][0][0] == 3
    with pytest.raises(AttributeError):
        report.ok = True


def test_large_data_is_checked(instrument):
    big = pm.simulate_peer_support_survey(seed=3, site_sizes={site: 2000 for site in instrument.group_labels["site"]})
    big.loc[[10, 5000, 11000], "sa2"] = 7
    report = pm.validate(big, instrument)
    assert report.problems["row"].tolist() == [11, 5001, 11001]


# --- command line ------------------------------------------------------------------------------------------------


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_cli_clean_file_exits_0(tmp_path, capsys, data):
    path = tmp_path / "survey.csv"
    data.to_csv(path, index=False)
    before = _digest(path)
    assert main(["validate", str(path), "--instrument", NAME]) == 0
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0 and "OK: 40 rows x 33 columns" in out
    assert _digest(path) == before


def test_cli_invalid_file_prints_table_and_exits_1(tmp_path, capsys, data):
    path = tmp_path / "survey.csv"
    frame = RULE_CASES["unknown_site"][0](RULE_CASES["out_of_range_likert"][0](data.copy()))
    frame.to_csv(path, index=False)
    before = _digest(path)
    instrument_file = resources.files("psychometrics.data_schema").joinpath(f"{NAME}.yaml")
    assert main(["validate", str(path), "--instrument", str(instrument_file)]) == 1
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].split() == ["row", "respondent_id", "column", "value", "rule", "message"]
    assert lines[1].split()[:5] == ["2", "PS0002", "site", "DE-Berlin", "unknown_label"]
    assert lines[2].split()[:5] == ["3", "PS0003", "tr1", "6", "out_of_range"]
    assert "INVALID" in lines[-1] and "2 problem(s)" in lines[-1]
    assert _digest(path) == before


def test_cli_max_problems(tmp_path, capsys, data):
    path = tmp_path / "survey.csv"
    data.assign(oc1=7).to_csv(path, index=False)
    assert main(["validate", str(path), "--instrument", NAME, "--max-problems", "3"]) == 1
    out = capsys.readouterr().out
    assert "... 37 more problem(s) not shown" in out and "40 problem(s)" in out


def test_cli_errors_exit_2(tmp_path, capsys, data):
    assert main(["validate", str(tmp_path / "missing.csv"), "--instrument", NAME]) == 2
    assert "does not exist" in capsys.readouterr().err
    path = tmp_path / "survey.csv"
    data.to_csv(path, index=False)
    assert main(["validate", str(path), "--instrument", "no_such_instrument"]) == 2
    assert "bundled instrument" in capsys.readouterr().err
