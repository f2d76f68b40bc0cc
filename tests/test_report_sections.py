"""The report's ordinal reliability (ordinal omega with a bootstrap interval, floor and ceiling effects; issue 15)
and DIF (issue 18) sections: each number equals the public function's on the same respondents (those functions
are checked against R in tests/test_reliability_ordinal.py and tests/test_irt.py), and the text is in words."""

import json

import pytest

import psychometrics as pm
from psychometrics.report import dumps, load_spec, run_spec

SPEC = {
    "name": "ordinal_sections",
    "title": "Ordinal reliability and DIF",
    "seed": 7,
    "instrument": "peer_support_implementation",
    "data": {"dataset": "peer_support_survey"},
    "group": "site",
    "scales": ["training", "resourcing"],
    "analyses": [
        {"type": "reliability", "ordinal": True, "omega_ci": "percentile", "omega_n_boot": 30, "per_group": False},
        {"type": "dif", "by": ["language"]},
    ],
}
ITEMS = {"training": ["tr1", "tr2", "tr3"], "resourcing": ["rs1", "rs2", "rs3"]}  # none reverse-keyed


@pytest.fixture(scope="module")
def report():
    return run_spec(load_spec(SPEC), progress=False)


@pytest.fixture(scope="module")
def results(report):
    return json.loads(dumps(report.results()))


@pytest.fixture(scope="module")
def answers():
    """The raw answers with the instrument's missing code (9 = not applicable) as missing."""
    data = pm.datasets.load("peer_support_survey")
    items = [i for items in ITEMS.values() for i in items]
    return data[items].where(data[items] != 9), data


def _rendered(report, section_id):
    return next(s.rendered for s in report.sections if s.id == section_id)


def test_ordinal_omega_with_its_bootstrap_interval(results, answers):
    raw, _ = answers
    pooled = results["sections"]["reliability"]["units"]["pooled"]["results"]["scales"]["training"]["omega"]
    expected = pm.omega(
        raw[ITEMS["training"]].dropna(how="all"), n_factors=1, cor="polychoric", ci="percentile", n_boot=30, seed=7
    )
    assert pooled["cor"] == "polychoric" and pooled["ci_method"] == "percentile" and pooled["n_boot"] == 30
    assert pooled["omega_total"] == pytest.approx(expected.omega_total, abs=1e-9)
    assert pooled["omega_total_ci"] == pytest.approx(list(expected.omega_total_ci), abs=1e-9)


def test_floor_and_ceiling_from_the_instruments_response_range(results):
    got = results["sections"]["reliability"]["units"]["pooled"]["results"]["floor_ceiling"]["table"]
    scores = pm.score(pm.datasets.load("peer_support_survey"), "peer_support_implementation")
    expected = pm.floor_ceiling(scores[list(ITEMS)], 1, 5).to_frame()
    for scale in ITEMS:
        assert (got[scale]["minimum"], got[scale]["maximum"]) == (1, 5)
        assert got[scale]["floor_share"] == pytest.approx(expected.loc[scale, "floor_share"], abs=1e-9)
        assert got[scale]["ceiling_share"] == pytest.approx(expected.loc[scale, "ceiling_share"], abs=1e-9)
        assert got[scale]["ceiling_effect"] is bool(expected.loc[scale, "ceiling_effect"])


def test_dif_per_scale_with_the_missing_codes_as_missing(results, answers):
    raw, data = answers
    unit = results["sections"]["dif"]["units"]["language"]["results"]
    kept = raw[ITEMS["resourcing"]].dropna(how="all")
    expected = pm.dif(kept, data.loc[kept.index, "language"].astype(str), model="grm").to_frame()
    got = unit["scales"]["resourcing"]["table"]
    assert unit["n_obs"]["resourcing"] == len(kept)
    for item, row in expected.iterrows():
        if row["note"]:
            assert got[item]["note"] == row["note"] and got[item]["chisq"] is None
        else:
            assert got[item]["chisq"] == pytest.approx(row["chisq"], abs=1e-6)
            assert got[item]["p_adjusted"] == pytest.approx(row["p_adjusted"], abs=1e-9)
            assert got[item]["max_abs_esd"] == pytest.approx(row["max_abs_esd"], abs=1e-6)


def test_sections_speak_in_words(report):
    reliability, dif = _rendered(report, "reliability"), _rendered(report, "dif")
    titles = [t.title for t in reliability.tables]
    assert "Ordinal omega total (one factor, polychoric) [95% CI] by scale and site" in titles
    assert "Floor and ceiling effects: share at the lowest / highest possible score" in titles
    assert any(line.startswith("No floor or ceiling effect") for line in reliability.text)
    text = " ".join(dif.text)
    assert "Resourcing, item rs2 by language: not tested: no respondent in sw chose answer 1" in text
    assert "never takes the value" not in text and "resourcing" not in text
    assert dif.tables[0].title == "Differential item functioning by language"


def test_methods_state_the_estimators_and_their_references(report):
    methods = " ".join(report.document[0].rendered.text)
    assert "polychoric correlations (ordinal omega; Zumbo, Gadermann & Zeisser 2007" in methods
    assert "(bootstrap percentile, 30 resamples)" in methods
    assert "flagged above 15% (McHorney & Tarlov 1995; Terwee et al. 2007)" in methods
    assert "Differential item functioning by language: for each scale on its own" in methods
    assert "mirt::DIF" in methods and "Benjamini & Hochberg 1995" in methods


def test_response_range_without_an_instrument():
    """Without the instrument the 9s (not applicable) are answers, so the scores leave the stated range: the
    section says so instead of reporting shares of a wrong range."""
    spec = {
        "name": "no_instrument",
        "title": "t",
        "data": {"dataset": "peer_support_survey", "id": "respondent_id"},
        "scales": {"training": ITEMS["training"]},
        "analyses": [{"type": "reliability", "omega": False, "response_range": [1, 5]}],
    }
    with pytest.raises(pm.errors.PsychometricsError):
        load_spec({**spec, "analyses": [{"type": "reliability", "response_range": [1]}]})
    unit = run_spec(load_spec(spec), progress=False).results()["sections"]["reliability"]["units"]["pooled"]
    assert unit["status"] == "failed"
    assert "scale 'training' has scores outside its possible range [1.0, 5.0]" in unit["error"]


#: training's ordinal omega with a bootstrap interval of 20 resamples at every site
PER_SITE = {
    **SPEC,
    "scales": ["training"],
    "analyses": [
        {
            "type": "reliability",
            "ordinal": True,
            "omega_ci": "percentile",
            "omega_n_boot": 20,
            "omega_ci_per_group": True,
        }
    ],
}


def test_ordinal_omega_interval_at_every_site_when_asked():
    results = json.loads(dumps(run_spec(load_spec(PER_SITE), progress=False).results()))
    units = results["sections"]["reliability"]["units"]
    data = pm.datasets.load("peer_support_survey")
    site = sorted(data["site"].unique())[0]
    raw = data.loc[data["site"] == site, ITEMS["training"]]
    expected = pm.omega(
        raw.where(raw != 9).dropna(how="all"), n_factors=1, cor="polychoric", ci="percentile", n_boot=20, seed=7
    )
    got = units[site]["results"]["scales"]["training"]["omega"]
    assert got["omega_total_ci"] == pytest.approx(list(expected.omega_total_ci), abs=1e-9)
    assert all(
        unit["results"]["scales"]["training"]["omega"]["omega_total_ci"] is not None
        for name, unit in units.items()
        if unit["status"] == "ok"
    )


@pytest.mark.filterwarnings("ignore::psychometrics.factor.efa.HeywoodWarning")  # resamples of 3 to 5 services
def test_ordinal_omega_resamples_the_specs_clusters():
    """With the spec's cluster (services) the omega bootstrap resamples whole services: pooled over the 23
    services and at each site over its own; the Methods section says so, with the per-site caveat."""
    spec = {**PER_SITE, "cluster": "service"}
    report = run_spec(load_spec(spec), progress=False)
    units = json.loads(dumps(report.results()))["sections"]["reliability"]["units"]
    data = pm.datasets.load("peer_support_survey")
    raw = data[ITEMS["training"]].where(data[ITEMS["training"]] != 9)
    answered = raw.notna().any(axis=1)
    site = sorted(data["site"].unique())[1]
    for unit, rows in (("pooled", answered), (site, answered & (data["site"] == site))):
        strata = {"strata": data.loc[rows, "site"]} if unit == "pooled" else {}  # the pooled draw within sites
        expected = pm.omega(
            raw[rows],
            1,
            cor="polychoric",
            ci="percentile",
            n_boot=20,
            seed=7,
            cluster=data.loc[rows, "service"],
            **strata,
        )
        got = units[unit]["results"]["scales"]["training"]["omega"]
        assert got["omega_total_ci"] == pytest.approx(list(expected.omega_total_ci), abs=1e-9)
        assert (got["cluster_bootstrap"], got["n_clusters"]) == (True, data.loc[rows, "service"].nunique())
        assert got["n_strata"] == (6 if unit == "pooled" else None)
    methods = " ".join(report.document[0].rendered.text)
    assert "(bootstrap percentile, 20 resamples of whole services)" in methods
    assert "resamples whole services with replacement and keeps every respondent of each service drawn" in methods
    assert (
        "pooled: 23 services, drawn within each site (stratified: every resample keeps each site's number of services)."
        in methods
    )
    assert "Caveat: the interval of each site rests on that site's 3 to 5 services only" in methods
    assert "resamples respondents, not whole services" not in methods
