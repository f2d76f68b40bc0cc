"""The result contract of issue 20: every result has to_dict() (JSON-ready), to_frame() returning a copy where
tabular, an HTML form for notebooks, and one naming convention (df, ci_low / ci_high, ci tuples)."""

import json

import pandas as pd
import pytest

import psychometrics as pm
from psychometrics._results import Result

HS_ITEMS = [f"x{i}" for i in range(1, 10)]
OLD_NAMES = {"dof", "null_dof", "ci_lower", "ci_upper", "rmsea_ci_lower", "rmsea_ci_upper", "lower", "upper"}


@pytest.fixture(scope="module")
def results():
    hs = pm.datasets.load("holzinger_swineford")[HS_ITEMS]
    small = hs.iloc[:80, :4]
    sf = pm.datasets.load("shrout_fleiss")
    return {
        "alpha": pm.cronbach_alpha(small),
        "item_statistics": pm.item_statistics(small),
        "guttman": pm.guttman(small),
        "split_half": pm.split_half(small),
        "icc": pm.icc(sf),
        "kappa": pm.cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]]),
        "kmo": pm.kmo(hs),
        "bartlett": pm.bartlett_sphericity(hs),
        "efa": pm.efa(hs, 3),
        "rotation": pm.rotate_loadings(pm.efa(hs, 3, rotation="none").loadings, "varimax"),
        "map": pm.velicer_map(hs),
        "correlations": pm.correlations(small),
        "polychoric": pm.polychoric(pm.datasets.load("bfi").iloc[:200, :3]),
    }


def _keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def test_to_dict_is_json_and_uses_the_naming_convention(results):
    for name, result in results.items():
        assert isinstance(result, Result), name
        data = result.to_dict()
        json.dumps(data, allow_nan=False)
        assert not OLD_NAMES & set(_keys(data)), name
        for frame_name in ("table",):
            if isinstance(getattr(result, frame_name, None), pd.DataFrame):
                assert not OLD_NAMES & set(getattr(result, frame_name).columns), name


def test_to_frame_returns_a_copy(results):
    for name, result in results.items():
        if not hasattr(result, "to_frame"):
            continue
        frame = result.to_frame()
        before = result.to_frame().copy()
        column = next(j for j, dtype in enumerate(frame.dtypes) if dtype.kind in "if")
        frame.iloc[0, column] = 12345  # written in place: a view of the result's data would change it
        pd.testing.assert_frame_equal(result.to_frame(), before, obj=name)


def test_html_repr_for_notebooks(results):
    for name, result in results.items():
        text = result._repr_html_()
        assert text.startswith("<div>") and type(result).__name__ in text, name
    assert "<table" in results["efa"]._repr_html_() and "loadings" in results["efa"]._repr_html_()


def test_interval_results_take_confidence(results):
    assert results["alpha"].confidence == 0.95 and len(results["alpha"].ci) == 2
    assert results["efa"].confidence == 0.90  # psych::fa's alpha = .1
    assert {"ci_low", "ci_high"} <= set(results["correlations"].columns)
