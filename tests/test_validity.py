"""Convergent and discriminant validity (issue 6).

Reference values: Holzinger-Swineford published values (semTools regression values; project PUBLISHED_VALUES.md)
and tests/reference/validity.json written by tests/reference/validity.R (R 4.2.2, lavaan 0.6-14, semTools 0.5-6,
psych 2.2.9; versions recorded in the JSON).
"""

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from conftest import load_reference

REF = load_reference("validity.json")
HS_MODEL = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
HS_FACTORS = ["visual", "textual", "speed"]


def frame(entry):
    return pd.DataFrame(np.array(entry["values"], dtype=float), index=entry["rows"], columns=entry["cols"])


class StandInFit:
    """The part of the CFA fit contract used by ave/composite_reliability/fornell_larcker, from lavaan's estimates."""

    def __init__(self, per_group, groups=(1,)):
        self._per_group = dict(zip(groups, per_group))
        self.groups = list(groups)
        self.latent_variables = list(per_group[0]["lambda"]["cols"])

    def _get(self, group):
        return self._per_group[self.groups[0] if group is None else group]

    def model_matrices(self, group=None):
        entry = self._get(group)
        psi = frame(entry["psi"])
        beta = pd.DataFrame(0.0, index=psi.index, columns=psi.columns)
        return {"lambda": frame(entry["lambda"]), "psi": psi, "beta": beta}

    def sample_cov(self, group=None):
        return frame(self._get(group)["sample_cov"])

    def implied_cov(self, group=None):
        return frame(self._get(group)["implied_cov"])


@pytest.fixture(scope="module")
def hs():
    return pm.datasets.load("holzinger_swineford")


@pytest.fixture(scope="module")
def bfi():
    return pm.datasets.load("bfi")


# ---------------------------------------------------------------------------------------------------- HTMT
def test_htmt_holzinger_swineford_published(hs):
    # PUBLISHED_VALUES.md: semTools::htmt on HS x1-x9 (semTools 0.5-6), printed to 3 decimals.
    h2 = pm.htmt(HS_MODEL, hs).matrix
    h1 = pm.htmt(HS_MODEL, hs, htmt2=False).matrix
    assert h2.loc["visual", "textual"] == pytest.approx(0.384, abs=5e-4)
    assert h2.loc["visual", "speed"] == pytest.approx(0.387, abs=5e-4)
    assert h2.loc["textual", "speed"] == pytest.approx(0.280, abs=5e-4)
    assert h1.loc["visual", "textual"] == pytest.approx(0.424, abs=5e-4)
    assert h1.loc["visual", "speed"] == pytest.approx(0.467, abs=5e-4)
    assert h1.loc["textual", "speed"] == pytest.approx(0.290, abs=5e-4)


@pytest.mark.parametrize("dataset", ["holzinger_swineford", "bfi"])
@pytest.mark.parametrize("kind", ["htmt2", "htmt_arithmetic", "htmt_arithmetic_signed"])
def test_htmt_matches_semtools(dataset, kind, hs, bfi):
    # R: semTools::htmt(model, data, htmt2 = ..., absolute = ...) (validity.R; bfi raw items, listwise).
    ref = REF["holzinger_swineford" if dataset == "holzinger_swineford" else "bfi"]
    data = hs if dataset == "holzinger_swineford" else bfi
    result = pm.htmt(ref["model"], data, htmt2=kind == "htmt2", absolute=kind != "htmt_arithmetic_signed")
    expected = frame(ref[kind])
    pd.testing.assert_frame_equal(result.matrix, expected, atol=1e-8, check_exact=False)
    if dataset == "bfi":
        assert result.n_obs == ref["n_listwise"]


def test_htmt_from_mapping_and_correlation_matrix_agree(hs):
    mapping = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    from_model = pm.htmt(HS_MODEL, hs).matrix
    from_mapping = pm.htmt(mapping, hs).matrix
    from_corr = pm.htmt(mapping, hs[[f"x{i}" for i in range(1, 10)]].corr())
    pd.testing.assert_frame_equal(from_model, from_mapping)
    pd.testing.assert_frame_equal(from_model, from_corr.matrix)
    assert from_corr.n_obs is None


def test_htmt_parser_reads_modifiers_comments_and_repeated_lines(hs):
    model = (
        "# comment\nvisual =~ 1*x1 + x2\nvisual =~ x3 ! another\n"
        "textual =~ x4 + a*x5 + x6; speed =~ x7 + x8 + x9\nvisual ~~ textual"
    )
    pd.testing.assert_frame_equal(pm.htmt(model, hs).matrix, pm.htmt(HS_MODEL, hs).matrix)


def test_htmt_bootstrap_is_seeded_and_brackets_estimate(hs):
    first = pm.htmt(HS_MODEL, hs, bootstrap=300, seed=11)
    again = pm.htmt(HS_MODEL, hs, bootstrap=300, seed=11)
    pd.testing.assert_frame_equal(first.pairs, again.pairs)
    pairs = first.pairs
    assert list(pairs.columns) == [
        "factor_1",
        "factor_2",
        "htmt",
        "ci_low",
        "ci_high",
        "share_below_85",
        "share_below_90",
    ]
    assert (pairs["ci_low"] < pairs["htmt"]).all() and (pairs["htmt"] < pairs["ci_high"]).all()
    assert ((pairs["share_below_85"] >= 0) & (pairs["share_below_85"] <= pairs["share_below_90"])).all()
    assert first.bootstrap == 300


def test_bootstrap_weights_equal_resampled_rows(hs):
    # The vectorised bootstrap weights rows by their resampling counts; that equals correlating the resample.
    from psychometrics.validity.construct import _weighted_correlations

    x = hs[["x1", "x2", "x4", "x7"]].to_numpy()
    rng = np.random.default_rng(3)
    index = rng.integers(0, len(x), size=(2, len(x)))
    weights = np.stack([np.bincount(row, minlength=len(x)) for row in index]).astype(float)
    got = _weighted_correlations(x, weights)
    for draw in range(2):
        np.testing.assert_allclose(got[draw], np.corrcoef(x[index[draw]], rowvar=False), atol=1e-12)


def test_htmt_bad_input(hs):
    with pytest.raises(pm.DataError, match="x99"):
        pm.htmt({"visual": ["x1", "x99"], "textual": ["x4", "x5"]}, hs)
    with pytest.raises(pm.ModelSyntaxError):
        pm.htmt("visual =~ x1 + \ntextual =~ x4 + x5", hs)
    with pytest.raises(pm.ModelSyntaxError, match="measurement"):
        pm.htmt("visual ~ x1", hs)
    with pytest.raises(pm.DataError, match="raw data"):
        pm.htmt(HS_MODEL, hs[[f"x{i}" for i in range(1, 10)]].corr(), bootstrap=10)


def test_htmt_leaves_data_unchanged(hs):
    data = hs.copy()
    data.loc[0, "x1"] = np.nan
    before = data.copy()
    result = pm.htmt(HS_MODEL, data)
    pd.testing.assert_frame_equal(data, before)
    assert result.n_obs == 300


# ---------------------------------------------------------------------------------------- AVE / compRelSEM
def test_ave_and_composite_reliability_published():
    # PUBLISHED_VALUES.md: semTools compRelSEM and AVE on the lavaan HS fit, printed to 3 decimals.
    fit = StandInFit([REF["holzinger_swineford"]])
    np.testing.assert_allclose(pm.composite_reliability(fit)[HS_FACTORS], [0.612, 0.885, 0.686], atol=5e-4)
    np.testing.assert_allclose(pm.ave(fit)[HS_FACTORS], [0.371, 0.721, 0.424], atol=5e-4)


@pytest.mark.parametrize("dataset", ["holzinger_swineford", "bfi"])
def test_ave_and_composite_reliability_match_semtools(dataset):
    # R: semTools::compRelSEM(fit), compRelSEM(fit, obs.var = FALSE), compRelSEM(fit, tau.eq = TRUE), AVE(fit).
    ref = REF[dataset]
    fit = StandInFit([ref])
    pd.testing.assert_series_equal(pm.ave(fit), pd.Series(ref["ave"], name="ave"), atol=1e-8)
    cr = pd.Series(ref["comp_rel"], name="composite_reliability")
    pd.testing.assert_series_equal(pm.composite_reliability(fit), cr, atol=1e-8)
    fitted = pd.Series(ref["comp_rel_fitted"], name="composite_reliability")
    pd.testing.assert_series_equal(pm.composite_reliability(fit, obs_var=False), fitted, atol=1e-8)
    alpha = pd.Series(ref["comp_rel_tau_eq"], name="composite_reliability")
    pd.testing.assert_series_equal(pm.composite_reliability(fit, tau_eq=True), alpha, atol=1e-8)


def test_ave_cross_loading_is_nan_as_semtools():
    # R: x9 also loads on visual; semTools::AVE gives NA for visual and speed, compRelSEM still gives omega.
    ref = REF["hs_cross_loading"]
    fit = StandInFit([ref])
    result = pm.ave(fit)
    assert np.isnan(result["visual"]) and np.isnan(result["speed"])
    assert result["textual"] == pytest.approx(ref["ave"]["textual"], abs=1e-8)
    expected = pd.Series(ref["comp_rel"], name="composite_reliability")
    pd.testing.assert_series_equal(pm.composite_reliability(fit), expected, atol=1e-8)


def test_multigroup_gives_one_row_per_group():
    # R: compRelSEM / AVE of cfa(model, group = "school") (a data frame with one row per group).
    ref = REF["hs_by_school"]
    per_group = [
        {"lambda": ref["lambda"][g], "psi": ref["psi"][g], "sample_cov": ref["sample_cov"][g]} for g in ref["groups"]
    ]
    fit = StandInFit(per_group, groups=ref["groups"])
    ave_table = pm.ave(fit)
    assert list(ave_table.index) == ref["groups"]
    for factor in HS_FACTORS:
        np.testing.assert_allclose(ave_table[factor], ref["ave"][factor], atol=1e-8)
        np.testing.assert_allclose(pm.composite_reliability(fit)[factor], ref["comp_rel"][factor], atol=1e-8)
    assert pm.ave(fit, group="Pasteur")["visual"] == pytest.approx(ref["ave"]["visual"][0], abs=1e-8)


def test_fornell_larcker_holzinger_swineford():
    ref = REF["holzinger_swineford"]
    fit = StandInFit([ref])
    table = pm.fornell_larcker(fit)
    cor_lv = frame(ref["cor_lv"])
    for factor in HS_FACTORS:
        assert table.loc[factor, factor] == pytest.approx(np.sqrt(ref["ave"][factor]), abs=1e-10)
    assert table.loc["visual", "textual"] == pytest.approx(cor_lv.loc["visual", "textual"], abs=1e-10)
    # sqrt(AVE): visual .609, textual .849, speed .652; latent correlations up to .471 (visual-speed).
    assert table["pass"].tolist() == [True, True, True]
    assert table.loc["speed", "max_abs_correlation"] == pytest.approx(abs(cor_lv.loc["visual", "speed"]), abs=1e-10)


# ------------------------------------------------------------------------------------------ correlations
@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_correlations_match_cor_test(method, bfi):
    # R: cor.test(x, y, method, exact = FALSE) on pairwise complete rows; Fisher-z CI; p.adjust holm/bonferroni/BH.
    ref = pd.DataFrame(REF["correlations"][method])
    data = bfi.iloc[:200][["A1", "A2", "C1", "E1", "N1"]]
    result = pm.correlations(data, method=method)
    table = result.to_frame()
    assert list(table.columns) == ["x", "y", "r", "ci_low", "ci_high", "pvalue", "p_adjusted", "n"]
    assert table[["x", "y"]].values.tolist() == ref[["x", "y"]].values.tolist()
    for column in ["r", "ci_low", "ci_high", "pvalue", "n"]:
        np.testing.assert_allclose(table[column], ref[column], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(table["p_adjusted"], ref["p_holm"], rtol=1e-8)
    for adjust in ["bonferroni", "BH"]:
        adjusted = pm.correlations(data, method=method, adjust=adjust).table["p_adjusted"]
        np.testing.assert_allclose(adjusted, ref[f"p_{adjust}"], rtol=1e-8)


def test_correlations_matrix_view_and_bad_input(hs):
    result = pm.correlations(hs[["x1", "x2", "x3"]])
    matrix = result.matrix()
    assert matrix.loc["x2", "x1"] == matrix.loc["x1", "x2"] == pytest.approx(np.corrcoef(hs.x1, hs.x2)[0, 1])
    assert (np.diag(matrix) == 1).all()
    with pytest.raises(pm.DataError, match="method"):
        pm.correlations(hs[["x1", "x2"]], method="biserial")
    with pytest.raises(pm.DataError, match="adjust"):
        pm.correlations(hs[["x1", "x2"]], adjust="magic")
    with pytest.raises(pm.DataError, match="confidence"):
        pm.correlations(hs[["x1", "x2"]], confidence=95)


def test_correlations_polychoric(bfi):
    # R: psych::polychoric(data, correct = 0)$rho (psych 2.2.9), through psychometrics.polychoric.
    data = bfi.iloc[:200][["A1", "A2", "C1", "E1", "N1"]]
    result = pm.correlations(data, method="polychoric")
    matrix = result.matrix()
    expected = frame(REF["correlations"]["polychoric"])
    np.testing.assert_allclose(matrix.loc[expected.index, expected.columns], expected, atol=1e-4)
    assert result.table["n"].tolist()[0] == 198


# ---------------------------------------------------------------------------------------- disattenuation
def test_disattenuated_correlation():
    # Spearman (1904): r / sqrt(rxx ryy); e.g. .30 / sqrt(.70 x .80) = .400892.
    assert pm.disattenuated_correlation(0.30, 0.70, 0.80) == pytest.approx(0.30 / np.sqrt(0.56))
    corrected = pm.disattenuated_correlation([0.3, 0.5], [0.7, 0.8], 0.9)
    np.testing.assert_allclose(corrected, [0.3 / np.sqrt(0.63), 0.5 / np.sqrt(0.72)])
    with pytest.raises(pm.DataError, match="rel_x"):
        pm.disattenuated_correlation(0.3, 1.2, 0.8)
    with pytest.raises(pm.DataError, match="r_xy"):
        pm.disattenuated_correlation(1.3, 0.7, 0.8)


def test_disattenuated_matrix():
    corr = pd.DataFrame([[1, 0.4, 0.2], [0.4, 1, 0.3], [0.2, 0.3, 1]], index=list("abc"), columns=list("abc"))
    rel = {"a": 0.8, "b": 0.9, "c": 0.5}
    result = pm.disattenuated_matrix(corr, rel)
    assert result.loc["a", "b"] == pytest.approx(0.4 / np.sqrt(0.72))
    assert result.loc["c", "b"] == pytest.approx(0.3 / np.sqrt(0.45))
    assert (np.diag(result) == 1).all()
    with pytest.raises(pm.DataError, match="'c'"):
        pm.disattenuated_matrix(corr, {"a": 0.8, "b": 0.9})


def test_correlations_leave_data_unchanged_and_count_pairs(hs):
    data = hs[["x1", "x2", "x3"]].copy()
    data.loc[:4, "x1"] = np.nan
    before = data.copy()
    table = pm.correlations(data).table.set_index(["x", "y"])
    pd.testing.assert_frame_equal(data, before)
    assert table.loc[("x1", "x2"), "n"] == 296 and table.loc[("x2", "x3"), "n"] == 301


def test_htmt_needs_a_dataframe(hs):
    with pytest.raises(pm.DataError, match="DataFrame"):
        pm.htmt(HS_MODEL, hs[["x1", "x2"]].to_numpy())


# ------------------------------------------------------------------------------- end to end with pm.cfa
@pytest.mark.parametrize("dataset", ["holzinger_swineford", "hs_cross_loading", "bfi"])
def test_ave_and_composite_reliability_with_cfa(dataset, hs, bfi):
    # R: semTools::AVE / compRelSEM of lavaan::cfa(model, data) (validity.R); lavaan and psychometrics.cfa agree
    # to their convergence tolerance, hence 1e-4.
    ref = REF[dataset]
    fit = pm.cfa(ref["model"], bfi.iloc[:, :25] if dataset == "bfi" else hs)
    pd.testing.assert_series_equal(pm.ave(fit), pd.Series(ref["ave"], name="ave", dtype=float), atol=1e-4)
    expected = pd.Series(ref["comp_rel"], name="composite_reliability")
    pd.testing.assert_series_equal(pm.composite_reliability(fit), expected, atol=1e-4)
    if "comp_rel_fitted" in ref:
        fitted = pd.Series(ref["comp_rel_fitted"], name="composite_reliability")
        pd.testing.assert_series_equal(pm.composite_reliability(fit, obs_var=False), fitted, atol=1e-4)


def test_multigroup_with_cfa(hs):
    ref = REF["hs_by_school"]
    fit = pm.cfa(HS_MODEL, hs, group="school")
    for factor in HS_FACTORS:
        np.testing.assert_allclose(pm.ave(fit).loc[ref["groups"], factor], ref["ave"][factor], atol=1e-4)
        omega = pm.composite_reliability(fit).loc[ref["groups"], factor]
        np.testing.assert_allclose(omega, ref["comp_rel"][factor], atol=1e-4)
    with pytest.raises(pm.DataError, match="group="):
        pm.fornell_larcker(fit)
    assert pm.fornell_larcker(fit, group="Pasteur").loc["visual", "visual"] == pytest.approx(
        np.sqrt(ref["ave"]["visual"][0]), abs=1e-4
    )


def test_fornell_larcker_with_cfa(hs):
    ref = REF["holzinger_swineford"]
    table = pm.fornell_larcker(pm.cfa(HS_MODEL, hs))
    np.testing.assert_allclose(
        table.loc[HS_FACTORS, HS_FACTORS].to_numpy()[np.triu_indices(3, 1)],
        frame(ref["cor_lv"]).to_numpy()[np.triu_indices(3, 1)],
        atol=1e-4,
    )
    assert table["pass"].all()
