"""Builders shared by the hostile-input tests (issue 16): a small survey, a spec that reports it, and the
property-based tests' settings and outcome check."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from hypothesis import HealthCheck, settings

import psychometrics as pm

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def outcome(function, *args, **kwargs):
    """Call ``function``; a PsychometricsError is an acceptable outcome, any other exception fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return function(*args, **kwargs)
        except pm.PsychometricsError:
            return None


def survey(sites=("north", "south"), n=40, seed=0) -> pd.DataFrame:
    """n respondents of a three-item scale (answers 1-5 sharing one trait) spread over ``sites``."""
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=n)
    items = {f"a{j}": np.clip(np.round(3 + trait + rng.normal(scale=0.8, size=n)), 1, 5) for j in (1, 2, 3)}
    return pd.DataFrame({"site": [sites[i % len(sites)] for i in range(n)], **items})


def write_spec(folder, data_file: str, **extra) -> Path:
    """A spec reporting item statistics per site of ``data_file`` (relative to ``folder``)."""
    spec = {
        "name": "hostile",
        "title": "Hostile input",
        "data": {"file": data_file},
        "group": "site",
        "scales": {"scale": ["a1", "a2", "a3"]},
        "analyses": [{"type": "item_statistics", "per_group": True}],
        **extra,
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path
