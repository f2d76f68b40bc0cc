"""The report pipeline: specs, checks before analysis, sections, outputs, determinism, golden results.

The main job runs once per module (module-scoped fixture); the reference specs are small.
"""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import psychometrics as pm
from psychometrics.cli import main as cli
from psychometrics.report import dumps, load_spec, run_spec
from psychometrics.report.canonical import canonical
from psychometrics.report.formatting import fmt_bounded, fmt_ci, fmt_p, interpret_alpha, interpret_fit
from psychometrics.report.progress import Progress
from psychometrics.testing import assert_results_match

ROOT = Path(__file__).resolve().parent.parent
ANALYSES = ROOT / "analyses"
GOLDEN = Path(__file__).parent / "golden"
MAIN = ANALYSES / "peer_support_implementation.yaml"
REFERENCE_SPECS = ["holzinger_swineford", "shrout_fleiss", "thurstone"]


@pytest.fixture(scope="module")
def main_run(tmp_path_factory):
    """The main job, run once through the command line."""
    out = tmp_path_factory.mktemp("peer_support")
    code = cli(["report", str(MAIN), "--out", str(out)])
    return code, out, json.loads((out / "results.json").read_text())


def _section(results, name, unit="pooled"):
    entry = results["sections"][name]
    assert entry["status"] == "ok", entry["units"]
    return entry["units"][unit]["results"]


# ---------------------------------------------------------------------------------------------- the main job
def test_main_job_writes_every_output(main_run):
    code, out, results = main_run
    assert code == 0, [(k, s["units"]) for k, s in results["sections"].items() if s["status"] != "ok"]
    for name in ("results.json", "report.html", "report.md"):
        assert (out / name).stat().st_size > 0
    tables = {p.name for p in (out / "tables").glob("*.csv")}
    assert {"reliability.csv", "item_statistics.csv", "cfa_fit.csv", "invariance.csv"} <= tables
    figures = {p.stem for p in (out / "figures").glob("*.svg")}
    assert {"scree", "loadings", "reliability_by_site", "invariance_ladder", "mtmm", "response_distributions"} <= figures


def test_results_record_inputs_versions_and_seed(main_run):
    _, _, results = main_run
    assert results["seed"] == 20260101
    assert results["spec"]["name"] == "peer_support_implementation"
    assert re.fullmatch(r"[0-9a-f]{64}", results["input"]["sha256"])
    assert results["input"]["rows"] == len(pm.datasets.load("peer_support_survey"))
    assert {"psychometrics", "numpy", "scipy", "pandas", "python"} <= set(results["versions"])
    assert results["instrument"]["id"] == "peer_support_implementation"


def test_reliability_per_site_and_pooled(main_run):
    _, _, results = main_run
    units = results["sections"]["reliability"]["units"]
    sites = {"DE-Hamburg", "DE-Ulm", "IN-Bangalore", "IL-Jerusalem", "TZ-DarEsSalaam", "UG-Kampala"}
    assert set(units) == sites | {"pooled"}
    pooled = units["pooled"]["results"]["scales"]["training"]["alpha"]
    data = pm.score(pm.datasets.load("peer_support_survey"), "peer_support_implementation")
    expected = pm.cronbach_alpha(data[["tr1", "tr2", "tr3"]].dropna(how="all"))
    assert pooled["alpha"] == pytest.approx(expected.alpha, abs=1e-9)
    assert pooled["ci"] == pytest.approx(list(expected.ci), abs=1e-9)


def test_html_is_self_contained_with_interpretations(main_run):
    _, out, _ = main_run
    html = (out / "report.html").read_text()
    assert "<svg" in html and "<style>" in html
    assert not re.search(r"<link|<script|src=\"http|url\(http|@import", html)
    assert re.search(r"alpha \.\d\d \[\.\d\d, \.\d\d\]: (excellent|good|acceptable|questionable|poor)", html)
    markdown = (out / "report.md").read_text()
    assert "| scale | pooled |" in markdown


def test_main_job_matches_golden(main_run):
    assert_results_match(main_run[2], GOLDEN / "peer_support_implementation" / "results.json")


# ---------------------------------------------------------------------------------------------- reference specs
@pytest.fixture(scope="module")
def reference_results():
    return {name: json.loads(dumps(run_spec(ANALYSES / f"{name}.yaml", progress=False).results()))
            for name in REFERENCE_SPECS}


@pytest.mark.parametrize("name", REFERENCE_SPECS)
def test_reference_specs_match_golden(reference_results, name):
    assert reference_results[name]["status"] == "ok"
    assert_results_match(reference_results[name], GOLDEN / name / "results.json")


def test_holzinger_swineford_reproduces_lavaan(reference_results):
    # Rosseel (2012) lavaan tutorial, as listed in the team's PUBLISHED_VALUES.md (lavaan 0.6-14)
    results = reference_results["holzinger_swineford"]
    fit = _section(results, "cfa")["fit_measures"]
    assert fit["chisq"] == pytest.approx(85.306, abs=1e-3)
    assert fit["df"] == 24
    assert fit["cfi"] == pytest.approx(0.931, abs=5e-4)
    table = _section(results, "invariance")["table"]
    assert table["configural"]["chisq"] == pytest.approx(115.851, abs=1e-3)
    assert table["metric"]["chisq"] == pytest.approx(124.044, abs=1e-3)
    assert table["scalar"]["chisq"] == pytest.approx(164.103, abs=1e-3)
    htmt = _section(results, "validity")["htmt"]["matrix"]
    assert htmt["visual"]["textual"] == pytest.approx(0.384, abs=5e-4)  # semTools 0.5-6 htmt2


def test_shrout_fleiss_reproduces_table_1(reference_results):
    # Shrout & Fleiss (1979) Table 1; R psych 2.2.9 ICC(sf)
    table = _section(reference_results["shrout_fleiss"], "icc")["icc"]["table"]
    expected = {"ICC1": 0.165742, "ICC2": 0.289764, "ICC3": 0.714841, "ICC1k": 0.442797, "ICC2k": 0.620051,
                "ICC3k": 0.909316}
    for form, value in expected.items():
        assert table[form]["icc"] == pytest.approx(value, abs=1e-6)


def test_thurstone_reproduces_psych_omega(reference_results):
    # psych 2.2.9 omega(Thurstone, n.obs = 213), psychTools omega vignette
    omega = _section(reference_results["thurstone"], "omega")["omega"]
    assert omega["omega_hierarchical"] == pytest.approx(0.7360703, abs=1e-4)
    assert omega["omega_total"] == pytest.approx(0.9308254, abs=1e-4)


def test_results_json_is_byte_identical_across_runs(tmp_path):
    spec = ANALYSES / "holzinger_swineford.yaml"
    first, second = tmp_path / "a", tmp_path / "b"
    run_spec(spec, progress=False).write(first)
    run_spec(spec, progress=False).write(second)
    assert (first / "results.json").read_bytes() == (second / "results.json").read_bytes()
    assert (first / "report.md").read_bytes() == (second / "report.md").read_bytes()
    html = [re.sub(r"Run time [0-9.]+ s", "", (folder / "report.html").read_text()) for folder in (first, second)]
    assert html[0] == html[1]


# ---------------------------------------------------------------------------------------------- bad input
def _write_spec(tmp_path, **changes):
    spec = load_spec(MAIN).raw
    spec.update(changes)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_spec_naming_a_missing_scale_stops_before_analysis(tmp_path, capsys):
    path = _write_spec(tmp_path, scales=["training", "leadership"])
    code = cli(["report", str(path), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "leadership" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_spec_breaking_the_schema_names_the_place(tmp_path):
    path = _write_spec(tmp_path, analyses=[{"type": "reliability", "ci": "magic"}])
    with pytest.raises(pm.SpecError, match=r"spec\.analyses\[0\]\.ci"):
        load_spec(path)
    with pytest.raises(pm.SpecError, match="analysis|type"):
        load_spec({"name": "x", "title": "x", "data": {"dataset": "bfi"}, "analyses": [{"type": "nope"}]})


def test_invalid_data_stops_before_analysis_and_prints_the_validation_report(tmp_path, capsys):
    data = pm.datasets.load("peer_support_survey")
    bad = data.copy()
    bad.loc[3, "oc1"] = 7
    bad.to_csv(tmp_path / "bad.csv", index=False)
    code = cli(["report", str(MAIN), "--out", str(tmp_path / "out"), "--data", str(tmp_path / "bad.csv")])
    printed = capsys.readouterr().out
    assert code == 1
    assert "INVALID" in printed and "oc1" in printed
    assert not (tmp_path / "out").exists()


def test_failing_section_is_reported_and_the_rest_builds(tmp_path):
    spec = load_spec(ANALYSES / "holzinger_swineford.yaml").raw
    spec["analyses"] = [{"type": "sample"}, {"type": "reliability", "omega": False},
                        {"type": "cfa", "model": "visual =~ x1 + x2 + nonexistent_item"}]
    report = run_spec(spec, progress=False)
    status = {s.id: s.status for s in report.sections}
    assert status == {"sample": "ok", "reliability": "ok", "cfa": "failed"}
    assert not report.ok
    report.write(tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["status"] == "failed"
    assert results["sections"]["cfa"]["units"]["pooled"]["error"]
    assert "failed" in (tmp_path / "report.html").read_text()
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    assert cli(["report", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "cli"), "--no-progress"]) == 1
    assert (tmp_path / "cli" / "report.html").is_file()


# ---------------------------------------------------------------------------------------------- building blocks
def test_canonical_json_rounds_and_sorts():
    frame = pd.DataFrame({"b": [1.0, float("nan")], "a": [-0.0, 1 / 3]}, index=["x", "y"])
    data = canonical({"z": 0.1 + 0.2, "frame": frame, "n": 3})
    assert data == {"z": 0.3, "frame": {"x": {"b": 1.0, "a": 0.0}, "y": {"b": None, "a": 0.3333333333}}, "n": 3}
    text = dumps({"b": 1, "a": float("inf")})
    assert text.index('"a"') < text.index('"b"') and "null" in text


def test_apa_formatting_and_interpretation():
    assert fmt_bounded(0.8234) == ".82" and fmt_bounded(-0.051) == "-.05" and fmt_bounded(1.0) == "1.00"
    assert fmt_p(0.0004) == "< .001" and fmt_p(0.0342) == ".034"
    assert f"alpha {fmt_bounded(0.82)} {fmt_ci(0.78, 0.85)}: {interpret_alpha(0.82)}" == "alpha .82 [.78, .85]: good"
    assert interpret_alpha(0.7996) == "good"  # interpreted as shown (.80)
    assert interpret_fit(0.96, 0.05, 0.04) == "good" and interpret_fit(0.91, 0.07, 0.09) == "acceptable"


def test_progress_bar_only_on_a_terminal():
    import io

    quiet = io.StringIO()
    Progress(3, stream=quiet).advance("x")
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    bar = Progress(2, stream=shown, enabled=True)
    bar.advance("one")
    bar.close()
    assert "1/2" in shown.getvalue()


def test_schema_file_in_analyses_is_the_packaged_one():
    from psychometrics.report import spec_schema

    assert json.loads((ANALYSES / "spec.schema.json").read_text()) == spec_schema()
    for path in ANALYSES.glob("*.yaml"):
        load_spec(path)


def test_data_file_replaces_the_bundled_data_and_is_hashed(tmp_path):
    import hashlib

    data = pm.datasets.load("peer_support_survey")
    data.to_csv(tmp_path / "survey.csv", index=False)
    path = _write_spec(tmp_path, analyses=[{"type": "reliability", "per_group": False, "omega": False}])
    bundled = run_spec(path, progress=False).results()
    from_file = run_spec(path, data=tmp_path / "survey.csv", progress=False).results()
    assert from_file["input"]["sha256"] == hashlib.sha256((tmp_path / "survey.csv").read_bytes()).hexdigest()
    assert from_file["input"]["source"] == "file survey.csv"
    assert canonical(from_file["sections"]) == canonical(bundled["sections"])
