"""The SIMULATED peer-support survey: deterministic given the seed, follows the instrument, recovers the truth."""

import hashlib

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.survey import simulate
from psychometrics.survey.simulate import simulate_peer_support_survey

INSTRUMENT = pm.load_instrument("peer_support_implementation")
TRUTH = pm.peer_support_true_values()


def _csv_bytes(frame):
    return frame.to_csv(index=False, lineterminator="\n").encode()


def test_same_seed_same_data_and_committed_file_is_reproduced(tmp_path):
    first, second = simulate_peer_support_survey(seed=7), simulate_peer_support_survey(seed=7)
    pd.testing.assert_frame_equal(first, second)
    assert _csv_bytes(first) == _csv_bytes(second)
    assert not simulate_peer_support_survey(seed=8).equals(first)
    path = simulate.write_bundled_csv(tmp_path / "peer_support_survey.csv")
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(simulate.OUTPUT_FILE.read_bytes()).digest()


def test_bundled_data_follow_the_instrument():
    data = pm.datasets.load("peer_support_survey")
    assert list(data.columns) == INSTRUMENT.expected_columns
    assert pm.validate(data, INSTRUMENT).ok
    sizes = data["site"].value_counts()
    assert sizes.to_dict() == TRUTH["site_sizes"]
    assert sizes.between(40, 120).all()
    assert data["respondent_id"].is_unique
    assert set(data.loc[data["site"].str.startswith("DE"), "language"]) == {"de"}
    assert set(data.loc[data["site"] == "IN-Bangalore", "language"]) == {"en", "hi"}
    assert set(data["role"]) == set(INSTRUMENT.group_labels["role"])


def test_description_says_simulated_and_gives_the_truth():
    info = pm.datasets.describe("peer_support_survey")
    assert info["description"].startswith("SIMULATED")
    for text in ("oc3(R) 0.65", "rs2 at TZ-DarEsSalaam", "9 (not applicable) with probability 0.40", "oc-tr 0.40"):
        assert text in info["description"]
    truth = info["true_values"]
    assert truth["loadings"]["oc1"] == 0.75 and truth["noninvariant_intercept"]["site"] == "TZ-DarEsSalaam"
    assert truth["factor_correlations"].loc["organisational_culture", "staff_attitudes"] == 0.50


def test_missing_answers_and_codes_at_stated_rates():
    data = simulate_peer_support_survey(seed=5, site_sizes={s: 1000 for s in TRUTH["site_sizes"]})
    likert = data[list(simulate.LIKERT_ITEMS)]
    globals_ = data[list(simulate.GLOBAL_ITEMS.values())]
    rates = TRUTH["missing_rates"]
    skipped = rates["skipping_respondents"] * rates["skip_probability"]
    not_applicable = rates["not_applicable_respondents"] * rates["not_applicable_probability"]
    assert likert.isna().mean().mean() == pytest.approx(skipped, abs=0.005)
    assert (likert == 9).mean().mean() == pytest.approx(not_applicable * (1 - skipped), abs=0.005)
    assert globals_.isna().mean().mean() == pytest.approx(skipped, abs=0.005)
    assert (globals_ == 99).mean().mean() == pytest.approx(rates["global_dont_know_99"] * (1 - skipped), abs=0.002)
    assert data["readiness"].isna().mean() == pytest.approx(rates["readiness_nan"], abs=0.005)
    # clustered in respondents: most respondents answer every Likert item
    complete = (likert.notna() & (likert != 9)).all(axis=1).mean()
    assert complete == pytest.approx(1 - rates["skipping_respondents"] * (1 - 0.7**21) - 0.05 * (1 - 0.6**21), abs=0.02)


def _one_factor_loadings(corr: np.ndarray, iterations: int = 200) -> np.ndarray:
    """One-factor principal-axis loadings (iterated communalities), sign fixed positive."""
    communality = 1 - 1 / np.diag(np.linalg.inv(corr))
    for _ in range(iterations):
        reduced = corr.copy()
        np.fill_diagonal(reduced, communality)
        values, vectors = np.linalg.eigh(reduced)
        loadings = vectors[:, -1] * np.sqrt(values[-1])
        communality = loadings**2
    return np.abs(loadings)


def test_recovered_loadings_from_latent_responses_are_close_to_the_truth():
    data, latent = simulate_peer_support_survey(
        seed=11, site_sizes={s: 1500 for s in TRUTH["site_sizes"]}, return_latent=True
    )
    not_shifted = data["site"] != TRUTH["noninvariant_intercept"]["site"]
    for trait in simulate.TRAITS:
        items = list(simulate.LOADINGS[trait])
        corr = latent.loc[not_shifted, [f"{i}*" for i in items]].corr().to_numpy()
        np.testing.assert_allclose(
            _one_factor_loadings(corr), [TRUTH["loadings"][i] for i in items], atol=0.03, err_msg=trait
        )
    np.testing.assert_allclose(latent[list(simulate.TRAITS)].corr().to_numpy(), simulate.PHI, atol=0.03)
    shift = latent.groupby(data["site"])["rs2*"].mean()
    assert shift["TZ-DarEsSalaam"] - shift.drop("TZ-DarEsSalaam").mean() == pytest.approx(0.70, abs=0.08)
    readiness = latent[list(simulate.TRAITS)].corrwith(latent["readiness*"])
    np.testing.assert_allclose(readiness.to_numpy(), list(TRUTH["readiness_trait_correlations"].values()), atol=0.03)


def test_recovered_loadings_from_bundled_items_are_close_to_the_truth():
    """Pearson loadings of the 1-5 answers are attenuated by the categorisation: within 0.12 of the truth."""
    scored = pm.score(pm.datasets.load("peer_support_survey"), INSTRUMENT)
    for trait in simulate.TRAITS:
        items = INSTRUMENT.scale_items(trait)
        corr = scored[items].corr().to_numpy()  # pairwise complete
        recovered = _one_factor_loadings(corr)
        np.testing.assert_allclose(recovered, [TRUTH["loadings"][i] for i in items], atol=0.12, err_msg=trait)


def _alpha(items: pd.DataFrame) -> float:
    complete = items.dropna()
    k = complete.shape[1]
    return k / (k - 1) * (1 - complete.var().sum() / complete.sum(axis=1).var())


def _htmt(corr: pd.DataFrame, a: list, b: list) -> float:
    """Heterotrait-monotrait ratio (Henseler, Ringle & Sarstedt 2015) from absolute item correlations."""
    c = corr.abs()
    within = lambda items: c.loc[items, items].to_numpy()[np.triu_indices(len(items), 1)].mean()  # noqa: E731
    return c.loc[a, b].to_numpy().mean() / np.sqrt(within(a) * within(b))


def test_bundled_data_have_realistic_psychometrics():
    scored = pm.score(pm.datasets.load("peer_support_survey"), INSTRUMENT)
    corr = scored[[i for t in simulate.TRAITS for i in INSTRUMENT.scale_items(t)]].corr()
    for trait in simulate.TRAITS:
        items = INSTRUMENT.scale_items(trait)
        assert 0.7 <= _alpha(scored[items]) <= 0.85, trait
        r_global = scored[trait].corr(scored[INSTRUMENT.scales[trait].global_item])
        assert 0.45 <= r_global <= 0.75, (trait, r_global)
    for i, a in enumerate(simulate.TRAITS):
        for b in simulate.TRAITS[i + 1 :]:
            assert _htmt(corr, INSTRUMENT.scale_items(a), INSTRUMENT.scale_items(b)) < 0.85, (a, b)
    assert scored[list(simulate.TRAITS)].corrwith(scored["readiness"]).between(0.15, 0.7).all()
    # the non-invariant intercept is visible in the answers
    rs2 = scored.groupby("site")["rs2"].mean() - scored.groupby("site")["rs1"].mean()
    assert rs2["TZ-DarEsSalaam"] - rs2.drop("TZ-DarEsSalaam").mean() > 0.3


def test_unknown_site_is_refused():
    with pytest.raises(pm.DataError, match="unknown site"):
        simulate_peer_support_survey(site_sizes={"FR-Paris": 50})


def test_services_are_nested_in_sites_and_drawn_from_their_own_stream(monkeypatch):
    data = pm.datasets.load("peer_support_survey")
    assert data.groupby("service")["site"].nunique().eq(1).all()
    for site, services in data.groupby("site")["service"].unique().items():
        assert sorted(services) == simulate.service_labels(site)
    assert set(data["service"]) == set(INSTRUMENT.group_labels["service"])
    # the services come last from their own stream: other columns do not depend on them
    monkeypatch.setattr(simulate, "_services", lambda seed, sites, eta: np.full(len(sites), "none", dtype=object))
    without = simulate_peer_support_survey()
    pd.testing.assert_frame_equal(without.drop(columns="service"), data.drop(columns="service"), check_dtype=False)
