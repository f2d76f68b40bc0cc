"""compare / snapshot / assert_results_match: regression testing of results.json files."""

import json
from pathlib import Path

import pytest

from psychometrics.cli import main as cli
from psychometrics.compare import compare_results
from psychometrics.testing import assert_results_match

ANALYSES = Path(__file__).resolve().parent.parent / "analyses"

REFERENCE = {
    "versions": {"numpy": "2.0"},
    "sections": {
        "cfa": {
            "units": {
                "pooled": {
                    "results": {
                        "fit_measures": {"chisq": 85.306, "cfi": 0.931, "df": 24},
                        "estimates": {"visual =~ x2": {"est": 0.554}},
                    }
                }
            }
        },
        "icc": {"status": "ok"},
    },
}


def _changed(**edits):
    data = json.loads(json.dumps(REFERENCE))
    fit = data["sections"]["cfa"]["units"]["pooled"]["results"]["fit_measures"]
    fit.update(edits)
    return data


def test_identical_results_match():
    comparison = compare_results(REFERENCE, REFERENCE)
    assert comparison.ok and comparison.differences == () and comparison.n_compared == 5


def test_chi_square_is_relative_and_indices_absolute():
    new = _changed(chisq=85.306 * (1 + 5e-7), cfi=0.931 + 5e-7)
    assert compare_results(new, REFERENCE).ok
    new = _changed(chisq=85.306 * (1 + 5e-6))
    comparison = compare_results(new, REFERENCE)
    assert not comparison.ok
    (difference,) = comparison.failures
    assert difference.path == "sections.cfa.units.pooled.results.fit_measures.chisq"
    assert difference.reference == 85.306 and "rtol" in difference.tolerance
    assert compare_results(new, REFERENCE, rtol=1e-4).ok
    assert not compare_results(_changed(cfi=0.932), REFERENCE, rtol=1.0).ok  # rtol does not loosen indices


def test_paths_of_labelled_rows_and_missing_keys():
    new = json.loads(json.dumps(REFERENCE))
    estimates = new["sections"]["cfa"]["units"]["pooled"]["results"]["estimates"]
    estimates["visual =~ x2"]["est"] = 0.6
    del new["sections"]["icc"]
    paths = {d.path: d for d in compare_results(new, REFERENCE).failures}
    assert 'sections.cfa.units.pooled.results.estimates["visual =~ x2"].est' in paths
    assert paths["sections.icc.status"].tolerance == "missing in new"


def test_versions_are_ignored_and_strings_must_match():
    new = json.loads(json.dumps(REFERENCE))
    new["versions"]["numpy"] = "9.9"
    assert compare_results(new, REFERENCE).ok
    new["sections"]["icc"]["status"] = "failed"
    assert not compare_results(new, REFERENCE).ok


def test_tolerances_file_patterns(tmp_path):
    rules = tmp_path / "tolerances.yaml"
    rules.write_text("'*.fit_measures.cfi': {atol: 0.01}\n'*.chisq': ignore\n")
    new = _changed(cfi=0.935, chisq=90.0)
    assert compare_results(new, REFERENCE, tolerances=rules).ok
    assert not compare_results(_changed(cfi=0.95), REFERENCE, tolerances=rules).ok


def test_compare_cli_lists_differences_and_exits_1(tmp_path, capsys):
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "results.json").write_text(json.dumps(_changed(chisq=86.0)))
    (tmp_path / "ref.json").write_text(json.dumps(REFERENCE))
    assert cli(["compare", str(tmp_path / "new"), str(tmp_path / "ref.json")]) == 1
    out = capsys.readouterr().out
    assert "fit_measures.chisq: reference 85.306, new 86.0" in out
    assert cli(["compare", str(tmp_path / "new"), str(tmp_path / "ref.json"), "--rtol", "0.01"]) == 0
    assert cli(["compare", str(tmp_path / "nothing"), str(tmp_path / "ref.json")]) == 2


def test_assert_results_match_raises_with_the_paths():
    assert_results_match(REFERENCE, REFERENCE)
    with pytest.raises(AssertionError, match="fit_measures.cfi"):
        assert_results_match(_changed(cfi=0.8), REFERENCE)


def test_snapshot_writes_golden_files_that_compare_equal(tmp_path):
    spec = ANALYSES / "shrout_fleiss.yaml"
    assert cli(["snapshot", str(spec), "--golden", str(tmp_path), "--no-progress"]) == 0
    golden = tmp_path / "shrout_fleiss" / "results.json"
    assert cli(["report", str(spec), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert (tmp_path / "out" / "results.json").read_bytes() == golden.read_bytes()
    assert cli(["compare", str(tmp_path / "out"), str(golden)]) == 0


def test_snapshot_refuses_to_write_a_failing_report(tmp_path):
    import yaml

    spec = yaml.safe_load((ANALYSES / "holzinger_swineford.yaml").read_text())
    spec["analyses"] = [{"type": "cfa", "model": "visual =~ x1 + x2 + not_a_column"}]
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    assert cli(["snapshot", str(tmp_path / "spec.yaml"), "--golden", str(tmp_path / "golden"), "--no-progress"]) == 1
    assert not (tmp_path / "golden").exists()
