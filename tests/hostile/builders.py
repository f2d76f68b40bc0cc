"""Builders of the hostile-input tests (issue 16): a small survey file and a spec that reports it.

A module of its own (not conftest) so that the tests can import them without shadowing tests/conftest.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml


def survey(sites=("north", "south"), n=40, seed=0) -> pd.DataFrame:
    """n respondents of a three-item scale (answers 1-5 sharing one trait) spread over ``sites``."""
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=n)
    items = {f"a{j}": np.clip(np.round(3 + trait + rng.normal(scale=0.8, size=n)), 1, 5) for j in (1, 2, 3)}
    return pd.DataFrame({"site": [sites[i % len(sites)] for i in range(n)], **items})


def write_spec(folder, data_file: str, **extra) -> "Path":
    """A spec reporting item statistics per site of ``data_file`` (relative to ``folder``)."""
    spec = {"name": "hostile", "title": "Hostile input", "data": {"file": data_file}, "group": "site",
            "scales": {"scale": ["a1", "a2", "a3"]},
            "analyses": [{"type": "item_statistics", "per_group": True}], **extra}
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path):
    """tmp_path/in holding data.csv and spec.yaml; returns (input folder, spec path)."""
    folder = tmp_path / "in"
    folder.mkdir()
    survey().to_csv(folder / "data.csv", index=False)
    return folder, write_spec(folder, "data.csv")
