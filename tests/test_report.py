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
    assert {
        "scree",
        "loadings",
        "reliability_by_site",
        "invariance_ladder",
        "mtmm",
        "response_distributions",
    } <= figures


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
    return {
        name: json.loads(dumps(run_spec(ANALYSES / f"{name}.yaml", progress=False).results()))
        for name in REFERENCE_SPECS
    }


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
    expected = {
        "ICC1": 0.165742,
        "ICC2": 0.289764,
        "ICC3": 0.714841,
        "ICC1k": 0.442797,
        "ICC2k": 0.620051,
        "ICC3k": 0.909316,
    }
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
    spec["analyses"] = [
        {"type": "sample"},
        {"type": "reliability", "omega": False},
        {"type": "cfa", "model": "visual =~ x1 + x2 + nonexistent_item"},
    ]
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


# ------------------------------------------------------------------------- what a reviewer reads (issue 17)
def test_sections_registry_matches_the_spec_schema():
    from psychometrics.report import spec_schema
    from psychometrics.report.sections import SECTIONS

    types = spec_schema()["$defs"]["analysis"]["properties"]["type"]["enum"]
    assert sorted(SECTIONS) == sorted(types)
    assert all(SECTIONS[t].type == t and SECTIONS[t].title for t in types)


def test_spec_schema_estimators_are_the_engines():
    from psychometrics.report import spec_schema
    from psychometrics.sem.cfa._options import CONTINUOUS_ESTIMATORS, MISSING, ORDINAL_ESTIMATORS, ORDINAL_MISSING

    assert spec_schema()["$defs"]["estimator"]["enum"] == list(
        dict.fromkeys(CONTINUOUS_ESTIMATORS + ORDINAL_ESTIMATORS)
    )
    assert spec_schema()["$defs"]["missing"]["enum"] == list(dict.fromkeys(MISSING + ORDINAL_MISSING))


def test_methods_section_states_estimators_missing_data_n_and_cutoffs(main_run):
    _, out, _ = main_run
    markdown = (out / "report.md").read_text()
    methods = markdown[markdown.index("## Methods") : markdown.index("## Sample")]
    assert 'missing = "pairwise", ordered = TRUE' in methods and "pairwise-present data" in methods
    assert "scaled-shifted test (WLSMV)" in methods and "Estabrook (2016)" in methods
    assert (
        "pooled n = 489 of 489 (every respondent); per site n = 58 to 112 (every respondent of each site)."
    ) in methods  # issue 14
    assert "n = 58 to 112 per group; 489 of 489 respondents." in methods
    assert (
        "oc1: 1 into 2 (no answers at TZ-DarEsSalaam); oc4: 1 into 2 (no answers at UG-Kampala); rs2: 1 into 2 "
        "(no answers at TZ-DarEsSalaam); pn1: 1 into 2 (no answers at IL-Jerusalem)"
    ) in methods
    assert "nested in 23 clusters by service" in methods
    assert methods.count("lavaan 0.6-14 applies no cluster correction to ordinal (WLSMV) fits") == 1
    assert "The bootstrap of ordinal omega resamples whole services with replacement" in methods
    assert (
        "pooled: 23 services, drawn within each site (stratified: every resample keeps each site's number of services)."
        in methods
    )
    assert "100 resamples of whole services; the interval pooled only" in methods
    assert "resamples respondents, not whole services" not in methods
    assert "Declared missing codes (9, 99) were treated as missing answers" in methods
    assert "lavaan 0.6-14" in methods and "psych 2.2.9" in methods
    cutoffs = pd.read_csv(out / "tables" / "methods_cutoffs.csv", index_col="criterion")
    assert tuple(cutoffs.loc["HTMT"]) == ("< .85 for every pair of scales", "Henseler, Ringle & Sarstedt (2015)")
    assert "HTMT" in methods and "Henseler, Ringle" in methods


def test_caveats_are_flagged(main_run):
    _, out, _ = main_run
    markdown = (out / "report.md").read_text()
    assert "116 free parameters estimated from n = 58 to 489 respondents, fewer than 5" in markdown
    assert "Caveat: the robust CFI, TLI and RMSEA of UG-Kampala are undefined" in markdown
    assert "UG-Kampala: scaled chi2(174) = 198.59, robust CFI and RMSEA undefined (see the caveat)" in markdown
    assert "Scalar invariance holds by Chen's cut-offs: CFI drops by less than .010 (delta CFI -.005)" in markdown
    assert "Satorra's (2000) scaled-shifted difference test" in markdown
    assert "Hypothesis: peer support workers, mental health staff and managers" in markdown
    assert "Verdict: supported for 0 of 6 scales." in markdown


def test_text_and_tables_use_words_not_identifiers(main_run):
    _, out, _ = main_run
    markdown = (out / "report.md").read_text()
    for identifier in (
        "declared_missing_code",
        "alpha_if_deleted",
        "fornell larcker",
        "welch anova",
        "validity gt heterotrait",
        "| True |",
        "groups of site",
        "organisational_culture",
    ):
        assert identifier not in markdown, identifier
    assert "| oc3 (R) |" in markdown  # reverse-keyed items marked
    assert "Welch's ANOVA" in markdown and "Access to a peer support network" in markdown


def test_fit_tables_keep_the_names_of_results_json(main_run):
    _, out, results = main_run
    fit = pd.read_csv(out / "tables" / "cfa_fit.csv", index_col=0)
    measures = _section(results, "cfa")["fit_measures"]
    for name in ("chisq", "chisq_scaled", "cfi", "cfi_robust", "rmsea_robust"):
        assert fit.loc["pooled", name] == pytest.approx(measures[name], rel=1e-9), name
    assert fit.loc["pooled", "chisq"] != pytest.approx(fit.loc["pooled", "chisq_scaled"], rel=1e-6)
    ladder = pd.read_csv(out / "tables" / "invariance.csv", index_col=0)
    table = _section(results, "invariance")["table"]
    assert ladder.loc["scalar", "chisq"] == pytest.approx(table["scalar"]["chisq"], rel=1e-9)
    assert ladder.loc["scalar", "cfi"] == pytest.approx(table["scalar"]["cfi"], rel=1e-9)


def test_html_page_is_readable(main_run):
    _, out, _ = main_run
    html = (out / "report.html").read_text()
    assert 'font-family: "Helvetica Neue"' in html and "&#34;" not in html.split("</style>")[0]
    assert html.count("<details>") == 6  # the six per-site item tables are folded
    assert "1 strongly disagree" in (out / "figures" / "response_distributions.svg").read_text()


def test_html_page_in_a_real_browser(main_run):
    from psychometrics.report.browser import find_chromium, page_metrics

    if find_chromium() is None:
        pytest.skip("no Chromium on PATH (Debian: apt-get install chromium); the page was not looked at")
    _, out, _ = main_run
    page = page_metrics(out / "report.html", width=800)
    assert "Helvetica Neue" in page["font"]  # the CSS applies (an escaped rule leaves the default serif)
    assert page["page_width"] <= page["window_width"] == 800  # wide tables scroll in their box, not the page
    assert page["sections"][:2] == ["methods", "sample"] and page["folded"] == 6


def _bfi_spec(tmp_path, scales, analyses, data=None):
    spec = {"name": "bfi", "title": "BFI", "data": data or {"dataset": "bfi"}, "scales": scales, "analyses": analyses}
    path = tmp_path / "bfi.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_scales_accept_a_leading_minus_for_reverse_keyed_items(tmp_path):
    # psych::alpha(bfi[c("A1", ..., "A5")], keys = "A1"): tests/reference/reliability.json (R 4.2.2, psych 2.2.9)
    reference = json.loads((ROOT / "tests" / "reference" / "reliability.json").read_text())["alpha"]
    path = _bfi_spec(
        tmp_path,
        {"agreeableness": ["-A1", "A2", "A3", "A4", "A5"]},
        [{"type": "reliability", "omega": False}, {"type": "known_groups", "by": "education"}],
    )
    report = run_spec(path)
    assert report.ok, [s.errors for s in report.sections]
    alpha = report.sections[0].units["pooled"].payload["scales"]["agreeableness"]["alpha"]
    assert alpha.alpha == pytest.approx(reference["agreeableness"]["alpha"], abs=1e-4)
    assert report.context.label("A1") == "A1 (R)"


def test_an_unreversed_negative_item_is_named_in_a_warning(tmp_path):
    path = _bfi_spec(tmp_path, {"agreeableness": ["A1", "A2", "A3", "A4", "A5"]}, [{"type": "sample"}])
    with pytest.warns(UserWarning, match="item A1 correlates negatively") as caught:
        report = run_spec(path)
    assert not [w for w in caught if "A2" in str(w.message)]
    out = tmp_path / "out"
    report.write(out)
    assert "write -A1 in the spec's scales" in (out / "report.md").read_text()


def test_data_id_column_is_kept_out_of_the_analyses(tmp_path):
    frame = pd.DataFrame(
        {
            "rid": [101, 102, 103, 104, 105, 106],
            "a": [1, 2, 3, 4, 5, 6],
            "b": [2, 2, 4, 4, 6, 5],
            "c": [1, 3, 3, 5, 5, 6],
        }
    )
    frame.to_csv(tmp_path / "ratings.csv", index=False)
    spec = {"name": "ids", "title": "ids", "data": {"file": "ratings.csv", "id": "rid"}, "analyses": [{"type": "icc"}]}
    (tmp_path / "ids.yaml").write_text(yaml.safe_dump(spec))
    report = run_spec(tmp_path / "ids.yaml")
    assert report.ok and list(report.context.data.columns) == ["a", "b", "c"]
    assert list(report.context.data.index) == [101, 102, 103, 104, 105, 106]


def test_instrument_id_column_may_be_the_index():
    from psychometrics.report.context import _with_id

    class Instrument:
        id_column = "respondent_id"

    frame = pd.DataFrame({"x": [1, 2]}, index=pd.Index(["r1", "r2"], name="respondent_id"))
    assert list(_with_id(frame, "respondent_id", Instrument())["respondent_id"]) == ["r1", "r2"]


def test_version_and_plain_help(capsys):
    with pytest.raises(SystemExit):
        cli(["--version"])
    assert capsys.readouterr().out.strip() == f"psychometrics {pm.__version__}"
    with pytest.raises(SystemExit):
        cli(["--help"])
    assert "``" not in capsys.readouterr().out
