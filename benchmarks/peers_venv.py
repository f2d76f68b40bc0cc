"""Times a Python peer inside benchmarks/.venv-peers (factor_analyzer, semopy), where their pinned dependencies live.

Run by run.py, one process per case, never imported by the project:
``benchmarks/.venv-peers/bin/python benchmarks/peers_venv.py TASK data=FILE [model=FILE] [n_factors=5]
budget=5 min_repeats=3 max_repeats=50``. Library imports and data loading are not timed; the result is one marked
JSON line (see timing.py).
"""

from __future__ import annotations

import importlib.metadata
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import emit, measure  # noqa: E402


def efa_factor_analyzer(args: dict):
    from factor_analyzer import FactorAnalyzer

    data = pd.read_csv(args["data"])
    n_factors = int(args["n_factors"])
    return lambda: FactorAnalyzer(n_factors=n_factors, rotation="oblimin", method="minres").fit(data)


def cfa_semopy(args: dict):
    import semopy

    data = pd.read_csv(args["data"])
    model_text = Path(args["model"]).read_text()

    def fit():
        model = semopy.Model(model_text)
        model.fit(data)
        return semopy.calc_stats(model), model.inspect(std_est=True)

    return fit


def polychoric_semopy(args: dict):
    # semopy's hetcor() does exactly this loop over the item pairs (thresholds once per item, then one
    # polychoric_corr per pair); it is called pair by pair here because hetcor() fails on a DataFrame.
    from semopy.polycorr import estimate_intervals, polychoric_corr

    data = pd.read_csv(args["data"]).to_numpy(dtype=float)

    def correlations():
        intervals = [estimate_intervals(column) for column in data.T]
        corr = np.eye(data.shape[1])
        for i, j in combinations(range(data.shape[1]), 2):
            corr[i, j] = corr[j, i] = polychoric_corr(data[:, i], data[:, j], intervals[i], intervals[j])
        return corr

    return correlations


TASKS = {"efa_factor_analyzer": efa_factor_analyzer, "cfa_semopy": cfa_semopy, "polychoric_semopy": polychoric_semopy}
PACKAGES = ("factor_analyzer", "semopy", "scikit-learn", "numpy", "scipy", "pandas")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def main(argv: list[str]) -> int:
    task, pairs = argv[0], dict(arg.split("=", 1) for arg in argv[1:])
    fn = TASKS[task](pairs)
    result = measure(fn, float(pairs["budget"]), int(pairs["min_repeats"]), int(pairs["max_repeats"]))
    result["versions"] = {package: _version(package) for package in PACKAGES}
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
