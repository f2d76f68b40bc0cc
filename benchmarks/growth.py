"""Growth curves: time and peak memory of psychometrics against the size of the data (issue 19).

    .venv/bin/python benchmarks/growth.py [--cases alpha polychoric power fiml invariance] [--psych] [--markdown FILE]

Each point runs in a fresh process with one BLAS thread: the data are simulated there (not timed, not counted),
a warm-up call runs on 500 rows (imports, first-call set-up), then one call runs with ``tracemalloc`` on, whose
peak is the memory the call allocated beyond its input (NumPy reports its arrays to tracemalloc); ``input`` is
the size of the data frame. Wall and CPU seconds are that call's, or for quick points (under 2 s) the median of
up to 6 more runs without tracemalloc.
With ``--psych`` the same data (written to a CSV) are timed with psych through ``benchmarks/r/*.R`` (the timing
rule of run.py, budget 1 s: one warm-up and at least one timed run) where psych finishes in reasonable time, and
the ratio psych / ours (wall) is reported. ``--markdown FILE`` replaces the section between the growth markers
of FILE (RESULTS.md) with the tables.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MARKERS = ("<!-- growth:start -->", "<!-- growth:end -->")

# the points of each case: n respondents x k items (power: n sample sizes, k replications; invariance: n groups of
# 300 respondents)
GRID = {
    "alpha": [  # cronbach_alpha(ci="bootstrap", n_boot=1000); complete data, one common factor
        {"n": 2_800, "k": 5},
        {"n": 10_000, "k": 5},
        {"n": 100_000, "k": 5},
        {"n": 1_000_000, "k": 5},
        {"n": 100_000, "k": 25},
        {"n": 100_000, "k": 100},
        {"n": 1_000_000, "k": 100},
    ],
    "alpha_missing": [  # the same with 5% of the answers missing (pairwise covariances)
        {"n": 2_800, "k": 5},
        {"n": 100_000, "k": 5},
        {"n": 100_000, "k": 25},
        {"n": 10_000, "k": 50},
    ],
    "polychoric": [  # polychoric(); 6 categories, one common factor
        {"n": 2_500, "k": 25},
        {"n": 20_000, "k": 25},
        {"n": 100_000, "k": 25},
        {"n": 2_500, "k": 100},
        {"n": 20_000, "k": 100},
    ],
    "power": [  # power(2-factor CFA, 6 indicators, n=[100, 200, 400], replications=R), serial
        {"n": 3, "k": 50},
        {"n": 3, "k": 100},
    ],
    "fiml": [  # cfa(5 factors x 5 items, missing="fiml", estimator="MLR"), 20% missing: every row its own pattern
        {"n": 2_000, "k": 25},
        {"n": 8_000, "k": 25},
        {"n": 20_000, "k": 25},
        {"n": 50_000, "k": 25},
    ],
    "invariance": [  # measurement_invariance(4 factors x 3 items), configural to strict, 300 rows per group
        {"n": 5, "k": 12},
        {"n": 10, "k": 12},
        {"n": 20, "k": 12},
        {"n": 40, "k": 12},
    ],
}
# largest n and k psych is timed at (on a busy machine psych's bootstrap alpha takes minutes from 10,000 rows,
# its polychoric more than 10 minutes at 100 items)
PSYCH_LIMIT = {"alpha": (10_000, 5), "alpha_missing": (10_000, 5), "polychoric": (20_000, 25)}


def simulate(case: str, n: int, k: int):
    """The data of one point (seeded): a pandas DataFrame."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(20261130)
    if case in ("fiml", "invariance"):
        return _simulate_factors(rng, case, n, k)
    values = rng.standard_normal((n, k))
    values += rng.standard_normal((n, 1))
    if case == "alpha_missing":
        values[rng.random((n, k)) < 0.05] = np.nan
    if case == "polychoric":
        values = np.digitize(values / np.sqrt(2), [-1.5, -0.5, 0.2, 0.9, 1.6]).astype(float) + 1
    return pd.DataFrame(values, columns=[f"i{j + 1}" for j in range(k)], copy=False)


def _simulate_factors(rng, case: str, n: int, k: int):
    """Simple structure, loadings 0.7, residual SD 0.6; fiml: 20% of answers missing at random; invariance: n groups
    of 300 rows whose intercepts differ slightly."""
    import numpy as np
    import pandas as pd

    factors = FACTORS[case]
    rows = n * 300 if case == "invariance" else n
    loadings = np.zeros((k, factors))
    loadings[np.arange(k), np.arange(k) * factors // k] = 0.7
    values = rng.standard_normal((rows, factors)) @ loadings.T + 0.6 * rng.standard_normal((rows, k))
    frame = pd.DataFrame(values, columns=[f"i{j + 1}" for j in range(k)])
    if case == "fiml":
        frame[rng.random((rows, k)) < 0.2] = np.nan
    else:
        frame += rng.normal(0, 0.1, (n, k)).repeat(300, axis=0)
        frame["group"] = np.repeat([f"g{g:02d}" for g in range(n)], 300)
    return frame


def factor_model(case: str, k: int) -> str:
    """lavaan syntax: FACTORS[case] factors, consecutive items."""
    per = k // FACTORS[case]
    return "\n".join(
        f"f{a + 1} =~ " + " + ".join(f"i{j + 1}" for j in range(a * per, (a + 1) * per)) for a in range(FACTORS[case])
    )


FACTORS = {"fiml": 5, "invariance": 4}
POWER_MODEL = "f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6"
POWER_POPULATION = "f1 =~ 0.7*x1 + 0.6*x2 + 0.5*x3\nf2 =~ 0.7*x4 + 0.6*x5 + 0.5*x6\nf1 ~~ 0.3*f2"


def measure_point(case: str, n: int, k: int) -> dict:
    """Run in the child process: time and peak memory of one call."""
    import resource
    import tracemalloc

    from threadpoolctl import threadpool_limits

    sys.path.insert(0, str(ROOT))
    import psychometrics as pm

    threadpool_limits(1, "blas")
    if case == "power":

        def call(size=n):
            return pm.power(POWER_MODEL, POWER_POPULATION, [100, 200, 400][:size], replications=k, seed=1)

        input_mb, warm_up = 0.0, 1
    elif case in ("fiml", "invariance"):
        data, model = simulate(case, n, k), factor_model(case, k)
        input_mb = data.memory_usage(index=False).sum() / 2**20
        if case == "fiml":

            def call(frame=data):
                return pm.cfa(model, frame, missing="fiml", estimator="MLR")

            warm_up = data.iloc[:500]
        else:

            def call(frame=data):
                return pm.measurement_invariance(model, frame, group="group")

            warm_up = data.iloc[:600]
    else:
        data = simulate(case, n, k)
        input_mb, warm_up = data.memory_usage(index=False).sum() / 2**20, data.iloc[:500]

        def call(frame=data):
            if case == "polychoric":
                return pm.polychoric(frame)
            return pm.cronbach_alpha(frame, ci="bootstrap", n_boot=1000, seed=1)

    call(warm_up)  # imports and first-call set-up, on a small problem: not timed
    tracemalloc.start()
    times = [_timed(call)]
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    while sum(t[0] for t in times) < 2.0 and len(times) < 7:  # quick points: the median of repeated runs
        times.append(_timed(call))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    untraced = times[1:] or times
    wall, cpu = (sorted(t[i] for t in untraced)[len(untraced) // 2] for i in (0, 1))
    return {"wall": wall, "cpu": cpu, "peak_mb": peak, "input_mb": input_mb, "rss_mb": rss}


def _timed(call) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_point(case: str, n: int, k: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--point", case, str(n), str(k)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_psych(case: str, n: int, k: int) -> float | None:
    """psych's median wall time on the same data (None when psych is not run at this size)."""
    largest_n, largest_k = PSYCH_LIMIT.get(case, (0, 0))
    if n > largest_n or k > largest_k:
        return None
    script = {"polychoric": "polychoric.R"}.get(case, "alpha.R")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        simulate(case, n, k).to_csv(path, index=False)
        args = [
            "Rscript",
            str(HERE / "r" / script),
            f"data={path}",
            "budget=1",
            "min_repeats=1",
            "max_repeats=3",
            "n_iter=1000",
        ]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON:"))
    return float(json.loads(line[len("BENCH_JSON:") :])["median"])


def table(case: str, rows: list[dict]) -> str:
    head = (
        "| n | items | wall | CPU | peak memory of the call | input | process peak RSS | psych | psych / ours |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    if case == "power":
        head = head.replace("| n | items |", "| sample sizes | replications |")
    if case == "invariance":
        head = head.replace("| n | items |", "| groups (300 rows each) | items |")
    lines = [head]
    for r in rows:
        psych = "-" if r.get("psych") is None else f"{r['psych']:.2f} s"
        ratio = "-" if r.get("psych") is None else f"{r['psych'] / r['wall']:.1f}x"
        lines.append(
            f"| {r['n']:,} | {r['k']} | {r['wall']:.3f} s | {r['cpu']:.3f} s | {r['peak_mb']:.0f} MB | "
            f"{r['input_mb']:.0f} MB | {r['rss_mb']:.0f} MB | {psych} | {ratio} |"
        )
    return "\n".join(lines)


def markdown(results: dict, note: str) -> str:
    parts = [
        MARKERS[0],
        "## Growth curves (benchmarks/growth.py)",
        "",
        (
            "One call per point in a fresh process, one BLAS thread; peak memory is what the call allocated "
            "beyond its input (tracemalloc), process peak RSS includes the input and the interpreter. "
            'alpha: `cronbach_alpha(ci="bootstrap", n_boot=1000)`; polychoric: `polychoric()`, 6 categories; '
            "power: `power(2-factor CFA, n=[100, 200, 400][:sizes], replications)`, serial; fiml: "
            '`cfa(5 factors x 5 items, missing="fiml", estimator="MLR")`, 20% missing at random (every row its '
            "own pattern); invariance: `measurement_invariance(4 factors x 3 items)`, configural to strict."
        ),
        "",
    ]
    if note:
        parts += [f"Note: {note}", ""]
    for case, rows in results.items():
        parts += [f"### {case}", "", table(case, rows), ""]
    parts.append(MARKERS[1])
    return "\n".join(parts)


def write_markdown(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(MARKERS[0]) + ".*?" + re.escape(MARKERS[1]), re.DOTALL)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(GRID), default=list(GRID))
    parser.add_argument("--max-cells", type=float, default=float("inf"), help="skip points with n * k above this")
    parser.add_argument("--psych", action="store_true", help="time psych too (Rscript) where it is feasible")
    parser.add_argument("--markdown", metavar="FILE", help="replace the growth section of FILE (RESULTS.md)")
    parser.add_argument("--note", default="", help="a note for the Markdown (machine load, ...)")
    parser.add_argument("--point", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.point:
        print(json.dumps(measure_point(args.point[0], int(args.point[1]), int(args.point[2]))))
        return 0
    results = {}
    for case in args.cases:
        rows = []
        for size in GRID[case]:
            if size["n"] * size["k"] > args.max_cells and case not in ("power", "invariance"):
                continue
            row = dict(size, **run_point(case, size["n"], size["k"]))
            if args.psych and case in PSYCH_LIMIT:
                row["psych"] = run_psych(case, size["n"], size["k"])
            print(case, row, flush=True)
            rows.append(row)
        results[case] = rows
    if args.markdown:
        write_markdown(Path(args.markdown), markdown(results, args.note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
