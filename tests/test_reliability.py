"""Reliability (psychometrics.reliability) against published values and R psych 2.2.9.

Published values: /work/shared/reference/PUBLISHED_VALUES.md copied below with their sources. R values:
tests/reference/reliability.json, written by tests/reference/reliability.R (R 4.2.2, psych 2.2.9).
"""

import json
import pathlib

import numpy as np
import pandas as pd
import pingouin
import pytest

import psychometrics as pm
from psychometrics.reliability import _bootstrap

REFERENCE = json.loads((pathlib.Path(__file__).parent / "reference" / "reliability.json").read_text())
TOL = 1e-4


@pytest.fixture(scope="module")
def attitude():
    return pm.datasets.load("attitude")


@pytest.fixture(scope="module")
def bfi():
    return pm.datasets.load("bfi")


# --------------------------------------------------------------------------------------------- published values
def test_attitude_alpha_published(attitude):
    # psychTools overview vignette, alpha(attitude); exact values recomputed with psych 2.2.9.
    res = pm.cronbach_alpha(attitude)
    assert res.alpha == pytest.approx(0.8431428, abs=TOL)
    assert res.std_alpha == pytest.approx(0.839084, abs=TOL)
    assert res.g6_smc == pytest.approx(0.875215, abs=TOL)
    assert res.average_r == pytest.approx(0.426907, abs=TOL)
    assert res.signal_noise == pytest.approx(5.2, abs=0.05)
    assert res.ase == pytest.approx(0.0424357, abs=TOL)
    assert res.ci == pytest.approx((0.7393757, 0.9157731), abs=TOL)  # Feldt
    assert res.n_obs == 30 and res.n_items == 7
    duhachek = pm.cronbach_alpha(attitude, ci="duhachek")
    assert duhachek.ci == pytest.approx((0.75997, 0.92632), abs=TOL)


def test_attitude_reverse_keyed_published(attitude):
    # psychTools overview vignette: complaints and critical reverse-keyed: raw .18, std .27, Feldt [-.36, .56].
    res = pm.cronbach_alpha(attitude, keys=["complaints", "critical"])
    assert res.alpha == pytest.approx(0.18, abs=0.005)
    assert res.std_alpha == pytest.approx(0.27, abs=0.005)
    assert res.ci == pytest.approx((-0.36, 0.56), abs=0.005)
    assert res.reversed_items == ("complaints", "critical")


BFI_KEYS = {"A": ["A1"], "C": ["C4", "C5"], "E": ["E1", "E2"], "N": [], "O": ["O2", "O5"]}
# psych scoreItems(bfi.keys, bfi): agree, conscientious, extraversion, neuroticism, openness.
BFI_SCORE_ITEMS_ALPHA = {"A": 0.701237, "C": 0.724687, "E": 0.759695, "N": 0.811775, "O": 0.596772}


@pytest.mark.parametrize("scale", list(BFI_KEYS))
def test_bfi_scale_alphas_published(bfi, scale):
    # scoreItems imputes each missing answer by the item median (its default impute = "median") before the
    # alpha; the toolkit never imputes, so the caller does it explicitly here to reproduce the published value.
    items = bfi[[f"{scale}{i}" for i in range(1, 6)]]
    imputed = items.fillna(items.median())
    assert pm.cronbach_alpha(imputed, keys=BFI_KEYS[scale]).alpha == pytest.approx(
        BFI_SCORE_ITEMS_ALPHA[scale], abs=TOL
    )


def test_feldt_woodruff_salih_example():
    # Feldt, Woodruff & Salih (1987): alpha .79, k = 26, N = 41, 90% two-sided CI [.7047, .8616]. A compound
    # symmetric correlation matrix with that alpha stands in for the data (only alpha, k and N enter).
    k, alpha = 26, 0.79
    r = alpha / (k - (k - 1) * alpha)
    corr = np.full((k, k), r)
    np.fill_diagonal(corr, 1.0)
    res = pm.cronbach_alpha(corr, n_obs=41, confidence=0.90)
    assert res.alpha == pytest.approx(0.79, abs=1e-12)
    assert res.ci == pytest.approx((0.7047, 0.8616), abs=1e-4)


# --------------------------------------------------------------------------------------------- R psych cases
ALPHA_CASES = REFERENCE["alpha"]


def _case_data(bfi, attitude, name, case):
    source = attitude if name.startswith("attitude") else bfi
    data = source[case["items"]]
    return data.dropna() if name.endswith("listwise") else data


@pytest.mark.parametrize("name", list(ALPHA_CASES))
def test_alpha_matches_psych(bfi, attitude, name):
    case = ALPHA_CASES[name]  # R: case["call"]
    data = _case_data(bfi, attitude, name, case)
    res = pm.cronbach_alpha(data, keys=case["keys"] or None)
    for field in ("alpha", "std_alpha", "g6_smc", "average_r", "signal_noise", "ase"):
        assert getattr(res, field) == pytest.approx(case[field], abs=TOL), field
    assert res.n_obs == case["n_obs"]
    assert res.ci == pytest.approx(tuple(case["feldt"]), abs=TOL)
    # psych prints the Duhachek interval with z = 1.96; the toolkit uses the exact normal quantile.
    assert pm.cronbach_alpha(data, keys=case["keys"] or None, ci="duhachek").ci == pytest.approx(
        tuple(case["duhachek"]), abs=TOL
    )


@pytest.mark.parametrize("name", list(ALPHA_CASES))
def test_item_statistics_match_psych(bfi, attitude, name):
    case = ALPHA_CASES[name]
    table = pm.item_statistics(_case_data(bfi, attitude, name, case), keys=case["keys"] or None).to_frame()
    assert list(table.columns) == [
        "n",
        "mean",
        "sd",
        "r",
        "r_cor",
        "r_drop",
        "alpha_if_deleted",
        "std_alpha_if_deleted",
    ]
    np.testing.assert_array_equal(table["n"], case["item_n"])
    for column, key in [
        ("mean", "item_mean"),
        ("sd", "item_sd"),
        ("r", "item_r"),
        ("r_cor", "item_r_cor"),
        ("r_drop", "item_r_drop"),
        ("alpha_if_deleted", "alpha_if_deleted"),
        ("std_alpha_if_deleted", "std_alpha_if_deleted"),
    ]:
        np.testing.assert_allclose(table[column], case[key], atol=TOL, err_msg=column)


def test_listwise_differs_from_pairwise(bfi):
    items = bfi[[f"A{i}" for i in range(1, 6)]]
    listwise = pm.cronbach_alpha(items, keys=["A1"], missing="listwise")
    expected = ALPHA_CASES["agreeableness_listwise"]
    assert listwise.alpha == pytest.approx(expected["alpha"], abs=TOL)
    assert listwise.n_obs == expected["n_obs"] < 2800


@pytest.mark.parametrize("name", ["bfi_A_C", "bfi_16", "attitude_6", "attitude_7_all_splits"])
def test_split_half_matches_psych(bfi, attitude, name):
    case = REFERENCE["split_half"][name]  # R: case["call"]
    source = attitude if name.startswith("attitude") else bfi
    res = pm.split_half(source[case["items"]], keys=case["keys"] or None)
    assert res.exhaustive
    assert res.maximum == pytest.approx(case["maximum"], abs=TOL)
    assert res.minimum == pytest.approx(case["minimum"], abs=TOL)
    assert res.average == pytest.approx(case["average"], abs=TOL)


def test_split_half_counts_and_sampling(bfi):
    assert pm.split_half(bfi[[f"A{i}" for i in range(1, 5)]]).n_splits == 3  # {12|34, 13|24, 14|23}
    items = bfi[[c for c in bfi.columns[:17]]]
    first = pm.split_half(items, seed=3)
    assert not first.exhaustive and first.n_splits == 10_000
    assert first == pm.split_half(items, seed=3)
    assert first.minimum <= first.average <= first.maximum


@pytest.mark.parametrize("name", ["attitude", "neuroticism"])
def test_guttman_matches_psych(bfi, attitude, name):
    case = REFERENCE["guttman"][name]  # R: case["call"]
    source = attitude if name == "attitude" else bfi
    res = pm.guttman(source[case["items"]])
    for i in range(1, 7):
        assert getattr(res, f"lambda{i}") == pytest.approx(case[f"lambda{i}"], abs=TOL), i


def test_guttman_accepts_a_correlation_matrix():
    thurstone = pm.datasets.load("thurstone")
    res = pm.guttman(thurstone)
    # psychTools omega vignette, omega(Thurstone): alpha .8914575 (lambda 3), G6 .9081762 (lambda 6).
    assert res.lambda3 == pytest.approx(0.8914575, abs=TOL)
    assert res.lambda6 == pytest.approx(0.9081762, abs=TOL)
    alpha = pm.cronbach_alpha(thurstone, n_obs=213)
    assert alpha.alpha == pytest.approx(0.8914575, abs=TOL) and alpha.n_obs == 213


# --------------------------------------------------------------------------------------------- pingouin
def test_alpha_agrees_with_pingouin(bfi, attitude):
    for data in (attitude, bfi[["A2", "A3", "A4", "A5"]]):
        alpha, ci = pingouin.cronbach_alpha(data)
        res = pm.cronbach_alpha(data)
        assert res.alpha == pytest.approx(alpha, abs=1e-10)
        assert res.ci == pytest.approx(tuple(ci), abs=1e-3)  # pingouin rounds its interval to 3 decimals


# --------------------------------------------------------------------------------------------- bootstrap
def _resampled_alphas(values, n_boot, seed):
    """Alpha of each resample built row by row (np.repeat by the counts) with pandas' pairwise covariance."""
    counts = np.vstack(list(_bootstrap._count_blocks(len(values), n_boot, np.random.default_rng(seed))))
    alphas = []
    for draw in counts:
        cov = pd.DataFrame(np.repeat(values, draw, axis=0)).cov().to_numpy()
        alphas.append((1 - np.trace(cov) / cov.sum()) * len(cov) / (len(cov) - 1))
    return np.array(alphas)


@pytest.mark.parametrize("complete", [False, True])
def test_bootstrap_alphas_equal_alpha_of_each_resample(bfi, complete):
    values = bfi[["A1", "A2", "A3", "A4"]].to_numpy(dtype=float)
    values = values[~np.isnan(values).any(axis=1)] if complete else values
    alphas = _bootstrap.bootstrap_alphas(values, 5, np.random.default_rng(5))
    np.testing.assert_allclose(alphas, _resampled_alphas(values, 5, 5), rtol=1e-12)


def test_bootstrap_blocks_give_the_same_alphas_as_one_block(bfi, monkeypatch):
    # Small blocks of rows and of resamples (as with a million rows) change nothing but rounding.
    values = bfi[["A1", "A2", "A3", "A4"]].to_numpy(dtype=float)
    whole = _bootstrap.bootstrap_alphas(values, 7, np.random.default_rng(2))
    monkeypatch.setattr(_bootstrap, "_BLOCK_BYTES", 20_000)
    np.testing.assert_allclose(_bootstrap.bootstrap_alphas(values, 7, np.random.default_rng(2)), whole, rtol=1e-12)


@pytest.mark.parametrize("complete", [False, True])
def test_bootstrap_float32_sums_of_whole_answers_equal_float64_ones(bfi, complete, monkeypatch):
    values = bfi[["A1", "A2", "A3", "A4"]].to_numpy(dtype=float)
    values = values[~np.isnan(values).any(axis=1)] if complete else values
    assert _bootstrap._exact_in_float32(values, 16.0 if complete else 1.0)
    exact = _bootstrap.bootstrap_alphas(values, 20, np.random.default_rng(4))
    monkeypatch.setattr(_bootstrap, "_exact_in_float32", lambda values, largest: False)
    np.testing.assert_allclose(_bootstrap.bootstrap_alphas(values, 20, np.random.default_rng(4)), exact, rtol=1e-13)
    assert not _bootstrap._exact_in_float32(values + 0.5, 1.0)


def test_bootstrap_counts_of_a_seed_do_not_depend_on_the_block_size(monkeypatch):
    whole = np.vstack(list(_bootstrap._count_blocks(70_000, 40, np.random.default_rng(3))))
    monkeypatch.setattr(_bootstrap, "_BLOCK_BYTES", 2**20)
    blocks = list(_bootstrap._count_blocks(70_000, 40, np.random.default_rng(3)))
    assert len(blocks) > 1 and all(block.dtype == np.uint8 for block in blocks)
    np.testing.assert_array_equal(np.vstack(blocks), whole)
    assert np.all(whole.sum(axis=1) == 70_000)  # every resample draws n rows


class _Words:
    """A stand-in bit generator whose raw output is given 64-bit words."""

    def __init__(self, *raw):
        self.raw = list(raw)

    def random_raw(self, count):
        taken, self.raw = self.raw[:count], self.raw[count:]
        return np.array(taken, dtype=np.uint64)


def test_uniform_rows_divide_raw_words_and_redraw_the_rejected_ones():
    # 3 rows: row = word // q with q = 2^32 // 3; the one word 2^32 - 1 = 3 q is rejected and drawn again.
    q, top = 2**32 // 3, 2**32 - 1
    rng = type(
        "Rng",
        (),
        {
            "bit_generator": _Words(
                q << 32 | 5,
                top << 32 | 2 * q,
                (q + 1) << 32 | top,  # 32-bit words low half first: rows 0 1 2 - - 1
                (3 * q - 1) << 32 | top,  # the two redraws: rejected again, row 2
                0,
            )
        },
    )()  # the last redraw: row 0
    np.testing.assert_array_equal(_bootstrap._uniform_rows(rng, 2, 3), [[0, 1, 2], [0, 2, 1]])
    assert not rng.bit_generator.raw


def test_bootstrap_interval_is_seeded_and_sensible(bfi):
    items = bfi[[f"A{i}" for i in range(1, 6)]]
    res = pm.cronbach_alpha(items, keys=["A1"], ci="bootstrap", seed=11, n_boot=500)
    assert res == pm.cronbach_alpha(items, keys=["A1"], ci="bootstrap", seed=11, n_boot=500)
    low, high = res.ci
    assert low < res.alpha < high
    feldt_low, feldt_high = pm.cronbach_alpha(items, keys=["A1"]).ci
    assert abs(low - feldt_low) < 0.01 and abs(high - feldt_high) < 0.01
    assert res.ci_method == "bootstrap" and res.confidence == 0.95


# --------------------------------------------------------------------------------------------- helpers
def test_sem_and_spearman_brown():
    assert pm.standard_error_of_measurement(10, 0.91) == pytest.approx(3.0)
    np.testing.assert_allclose(pm.standard_error_of_measurement([10, 20], 0.75), [5.0, 10.0])
    assert pm.spearman_brown(0.6, 2) == pytest.approx(0.75)  # 2 * .6 / 1.6
    assert pm.spearman_brown(0.75, 0.5) == pytest.approx(0.6)
    with pytest.raises(pm.DataError, match="reliability"):
        pm.standard_error_of_measurement(10, 1.2)
    with pytest.raises(pm.DataError, match="factor"):
        pm.spearman_brown(0.5, 0)


def test_test_retest_matches_psych(attitude):
    case = REFERENCE["test_retest"]  # R: case["call"]
    res = pm.test_retest(attitude["rating"], attitude["complaints"])
    icc = dict(zip(case["forms"], zip(case["icc"], case["ci_low"], case["ci_high"])))
    assert (res.icc2, *res.icc2_ci) == pytest.approx(icc["ICC2"], abs=TOL)
    assert (res.icc3, *res.icc3_ci) == pytest.approx(icc["ICC3"], abs=TOL)
    assert res.pearson_r == pytest.approx(case["pearson"], abs=1e-10)
    assert res.pearson_ci == pytest.approx(tuple(case["pearson_ci"]), abs=1e-8)
    assert res.n_obs == 30


def test_test_retest_names_rows_without_both_scores():
    first = pd.Series([1.0, 2, 3, 4, 5], index=list("abcde"))
    second = pd.Series([1.0, 2, np.nan, 4, 6], index=list("abcde"))
    with pytest.raises(pm.DataError, match=r"'c'"):
        pm.test_retest(first, second)


# --------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"a": [1, 2, 3], "b": [1, "two", 3]}), r"'two'.*'b'.*row 1"),
        (pd.DataFrame({"a": [1, 2, 3], "b": [4, 4, 4]}), r"'b' is constant"),
        (pd.DataFrame({"a": [1, 2, 3]}), "at least 2 items"),
        (pd.DataFrame({"a": [1, 2, 3, 4], "b": [np.nan] * 4}), r"column 'b' has no observed values"),
        (pd.DataFrame({"a": [1, 2], "b": [2, 1]}), "at least 3 respondents"),
    ],
)
@pytest.mark.parametrize(
    "function", [pm.cronbach_alpha, pm.item_statistics, pm.guttman, pm.split_half], ids=lambda f: f.__name__
)
def test_bad_input_is_a_clear_error(function, frame, message):
    if function is pm.guttman and "at least 2 items" in message:
        message = "at least 2 items"
    with pytest.raises(pm.PsychometricsError, match=message):
        function(frame)


@pytest.mark.parametrize("function", [pm.cronbach_alpha, pm.split_half])
def test_keys_match_labels_of_their_own_kind(function):
    # True == 1 in Python: a boolean key must not name column 1, and a repeated key is an error, not a silent
    # double reversal (both raised pandas' own ValueError before).
    items = pd.DataFrame(np.random.default_rng(5).integers(1, 6, (40, 4)), columns=[0, 1, 2, 3])
    with pytest.raises(pm.DataError, match=r"keys names item\(s\) \[True\] that are not columns"):
        function(items, keys=[True])
    with pytest.raises(pm.DataError, match=r"\[1\] more than once"):
        function(items, keys=[1, np.int64(1)])
    by_label, by_numpy_label = function(items, keys=[1]), function(items, keys=[np.int64(1)])
    assert by_label.to_dict() == by_numpy_label.to_dict()


def test_negative_item_warning_suggests_keys_that_work():
    items = pd.DataFrame(np.random.default_rng(6).normal(size=(200, 1)) + np.zeros((1, 4)), columns=[10, 11, 12, 13])
    items = items + np.random.default_rng(7).normal(scale=0.5, size=items.shape)
    items[12] = -items[12]
    with pytest.warns(UserWarning, match=r"pass keys=\[12\]"):
        pm.cronbach_alpha(items)
    assert pm.cronbach_alpha(items, keys=[12]).reversed_items == (12,)


def test_bad_options_are_clear_errors(attitude):
    with pytest.raises(pm.DataError, match="keys names item"):
        pm.cronbach_alpha(attitude, keys=["nope"])
    with pytest.raises(pm.DataError, match="ci="):
        pm.cronbach_alpha(attitude, ci="wald")
    with pytest.raises(pm.DataError, match="missing="):
        pm.cronbach_alpha(attitude, missing="mean")
    with pytest.raises(pm.DataError, match="confidence"):
        pm.cronbach_alpha(attitude, confidence=95)
    with pytest.raises(pm.DataError, match="n_obs"):
        pm.cronbach_alpha(pm.datasets.load("thurstone"))
    with pytest.raises(pm.DataError, match="at least 3 items"):
        pm.guttman(attitude[["rating", "complaints"]])
    with pytest.raises(pm.DataError, match="'a' and 'b' are answered together by fewer than 2"):
        pm.cronbach_alpha(
            pd.DataFrame({"a": [1, 2, 3, np.nan, np.nan], "b": [np.nan, np.nan, 1, 2, 3], "c": [1, 2, 3, 4, 6]})
        )
    with pytest.raises(pm.DataError, match="listwise"):
        pm.cronbach_alpha(pd.DataFrame({"a": [1, np.nan, 3, 4], "b": [2, 3, np.nan, 5]}), missing="listwise")


def test_callers_frame_is_never_modified(bfi):
    items = bfi[[f"A{i}" for i in range(1, 6)]].copy()
    before = items.copy()
    pm.cronbach_alpha(items, keys=["A1"], ci="bootstrap", seed=1, n_boot=50)
    pm.cronbach_alpha(items, keys=["A1"], missing="listwise")
    pm.item_statistics(items, keys=["A1"])
    pm.guttman(items)
    pm.split_half(items, keys=["A1"])
    pd.testing.assert_frame_equal(items, before)


def test_results_are_frozen_and_json_ready(attitude):
    res = pm.cronbach_alpha(attitude)
    json.dumps(res.to_dict())
    json.dumps(pm.item_statistics(attitude).to_dict())
    with pytest.raises(AttributeError):
        res.alpha = 1.0
    assert "alpha: 0.8431" in repr(res)
