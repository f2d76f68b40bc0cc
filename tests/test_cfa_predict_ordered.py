"""Factor scores of ordered items (lavPredict's EBM scores) against lavaan 0.6-14.

Reference: tests/reference/predict_ordered.R (R 4.2.2, lavaan 0.6-14) on the Holzinger-Swineford items x1-x6 cut
into 3-5 categories (the categorised data are in the JSON). Two reference sets per case:
- ``ebm_exact``: lavaan's EBM objective (built in R from lav_predict_fy_eta.i, computeVETAx, computeEETAx, computeTH,
  computeTHETA, as lav_predict_eta_ebm_ml) minimised to a gradient below 1e-9: the scores as lavaan defines them,
  tested at 1e-4 (the remaining differences, ~2e-6, come from the fitted estimates);
- ``lavpredict``: lavPredict(fit) itself, whose optim(BFGS, reltol = 1e-8) with numerical gradients stops up to
  1.3e-3 from the minimum (recorded in the JSON as max_difference), so it is checked at 2e-3 only.
The same two sets for lavaan's ML scores (lavPredict(method = "ML"), run for "Bartlett"): ``ml_exact`` at 1e-4,
``ml_lavpredict`` at 2e-3 where the ML scores exist without the ridge (see test_ml_scores_equal_lavaan).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm

REF = json.loads((Path(__file__).parent / "reference" / "predict_ordered.json").read_text())
CASES = REF["cases"]
LAVPREDICT_TOLERANCE = 2e-3  # lavPredict's own optimiser error (see the module docstring)


def _frame(columns) -> np.ndarray:
    return pd.DataFrame(columns).to_numpy(dtype=float)


@pytest.fixture(scope="module")
def missing_fit():
    data = pd.DataFrame(REF["data_missing"])
    return pm.cfa(REF["model"], data, ordered=REF["items"], missing="pairwise"), data


@pytest.fixture(scope="module")
def group_fits():
    data = pd.DataFrame(REF["data_complete"])
    equal = pm.cfa(REF["model"], data, ordered=REF["items"], group="school", group_equal=["thresholds", "loadings"])
    return {"groups": equal, "configural": pm.cfa(REF["model"], data, ordered=REF["items"], group="school")}, data


def test_reference_optimum_is_tight():
    for case in CASES.values():
        assert case["max_gradient"] < 1e-8
        assert case["max_difference"] < LAVPREDICT_TOLERANCE


def test_ebm_scores_with_missing_answers_equal_lavaan(missing_fit):
    # cfa(MODEL, data = MISS, ordered = ITEMS, missing = "pairwise"); lavPredict(fit): rows with missing answers
    # are scored from their answered items; the respondent without answers (row 7) gets NA
    fit, data = missing_fit
    exact, theirs = _frame(CASES["missing"]["ebm_exact"][0]), _frame(CASES["missing"]["lavpredict"][0])
    ours = fit.predict(data.set_index(data.index + 100))
    assert list(ours.columns) == ["visual", "textual"] and (ours.index == data.index + 100).all()
    assert np.isnan(ours.iloc[6]).all() and np.isnan(exact[6]).all()
    np.testing.assert_allclose(ours, exact, atol=1e-4)
    np.testing.assert_allclose(ours, theirs, atol=LAVPREDICT_TOLERANCE)
    fitted = fit.predict()  # the cases the fit used: all but the empty row
    np.testing.assert_allclose(fitted, np.delete(exact, 6, axis=0), atol=1e-4)
    assert fit.predict(method="Regression").equals(fitted)


@pytest.mark.parametrize("case", ["groups", "configural"])
def test_multi_group_ebm_scores_equal_lavaan(group_fits, case):
    # group.equal = c("thresholds", "loadings"): scaling factors and latent means differ by group; configural:
    # lavaan 0.6-14 computes yhat with group 1's loadings in every group (see _predict_ordered)
    fits, data = group_fits
    fit = fits[case]
    stacked = fit.predict()
    by_rows = fit.predict(data, group="school")
    for g, label in enumerate(fit.groups):
        exact = _frame(CASES[case]["ebm_exact"][g])
        np.testing.assert_allclose(stacked.loc[label], exact, atol=1e-4)
        np.testing.assert_allclose(by_rows[data["school"] == label], exact, atol=1e-4)
        np.testing.assert_allclose(
            stacked.loc[label], _frame(CASES[case]["lavpredict"][label]), atol=LAVPREDICT_TOLERANCE
        )


def test_listwise_fit_scores_only_complete_new_rows():
    data = pd.DataFrame(REF["data_missing"])
    fit = pm.cfa(REF["model"], data, ordered=REF["items"])  # listwise: lavaan's newdata drops incomplete rows
    scores = fit.predict(data)
    incomplete = data[REF["items"]].isna().any(axis=1).to_numpy()
    assert np.isnan(scores[incomplete]).all().all() and not np.isnan(scores[~incomplete]).any().any()
    np.testing.assert_allclose(scores[~incomplete], fit.predict(), atol=1e-12)


def test_ordered_categoricals_are_scored_by_their_order(missing_fit):
    fit, data = missing_fit
    names = np.array(["low", "mid", "high", "top", "max"])
    as_categories = data.copy()
    for item in REF["items"]:
        levels = list(names[: int(data[item].max())])
        as_categories[item] = pd.Categorical(
            data[item].map(lambda v: names[int(v) - 1] if v == v else None), categories=levels, ordered=True
        )
    categorical_fit = pm.cfa(REF["model"], as_categories, ordered=REF["items"], missing="pairwise")
    np.testing.assert_allclose(categorical_fit.predict(as_categories), fit.predict(data), atol=1e-8)


def test_ml_scores_equal_lavaan(missing_fit):
    # lavPredict(fit, method = "ML") (lavaan's "Bartlett" for ordered items): the likelihood with a 1e-5 ridge.
    # Where a factor's answered items all sit at their lowest or highest category the likelihood alone has no
    # maximum, the objective is nearly flat and lavPredict's optim stops far from the minimum: lavPredict is
    # compared on the other rows only, at its optimiser's accuracy
    fit, data = missing_fit
    exact, theirs = _frame(CASES["missing"]["ml_exact"]), _frame(CASES["missing"]["ml_lavpredict"])
    assert CASES["missing"]["ml_max_gradient"] < 1e-8
    ours = fit.predict(data, method="Bartlett").to_numpy()
    np.testing.assert_allclose(ours, exact, atol=1e-4)
    items = data[REF["items"]].to_numpy(float)
    low, high = np.nanmin(items, axis=0), np.nanmax(items, axis=0)
    extreme = np.zeros(len(data), bool)
    for block in (slice(0, 3), slice(3, 6)):  # visual: x1-x3, textual: x4-x6
        answered = ~np.isnan(items[:, block])
        at_low = np.where(answered, items[:, block] == low[block], True).all(axis=1)
        at_high = np.where(answered, items[:, block] == high[block], True).all(axis=1)
        extreme |= answered.any(axis=1) & (at_low | at_high)
    assert 0 < extreme.sum() < len(data) / 2  # most rows are compared with lavPredict
    np.testing.assert_allclose(ours[~extreme], theirs[~extreme], atol=LAVPREDICT_TOLERANCE)


def test_unsupported_requests_are_refused(missing_fit):
    fit, data = missing_fit
    with pytest.raises(pm.ModelError, match="type='lv'"):
        fit.predict(type="ov")
    bad = data.copy()
    bad.loc[0, "x1"] = 9
    with pytest.raises(pm.DataError, match="'x1' has the answer 9"):
        fit.predict(bad)
