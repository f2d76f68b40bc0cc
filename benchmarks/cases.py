"""The benchmark cases of issue 9: each times our function and its peers on the same prepared data.

The harness (run.py) writes every data file once per run into a scratch folder (``DataFiles``), and every
implementation reads that file: psychometrics and pingouin in this process, R through ``benchmarks/r/<script>``,
factor_analyzer and semopy through ``benchmarks/peers_venv.py`` in benchmarks/.venv-peers. Reading the data is
never timed. Targets are the issue's ratios (peer time / our time) plus the absolute speeds the feature issues
promise (issues 2, 3, 4 and 8).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REPORT_SPEC = ROOT / "analyses" / "peer_support_implementation.yaml"

BFI_ITEMS = [f"{trait}{i}" for trait in "ACENO" for i in range(1, 6)]
AGREEABLENESS = ["A1", "A2", "A3", "A4", "A5"]
AC_ITEMS = AGREEABLENESS + ["C1", "C2", "C3", "C4", "C5"]
AC_MODEL = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5\n"
HS_MODEL = """visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
"""
BFI_MODEL = (
    "\n".join(
        f"{name} =~ {' + '.join(f'{trait}{i}' for i in range(1, 6))}"
        for name, trait in [("agree", "A"), ("consc", "C"), ("extra", "E"), ("neuro", "N"), ("open", "O")]
    )
    + "\n"
)
SEED = 9


class Unavailable(Exception):
    """An implementation that cannot run here (not implemented yet, peer not installed): the case is skipped."""


def _bfi() -> pd.DataFrame:
    import psychometrics

    return psychometrics.datasets.load("bfi").reset_index(drop=True)


def _agreeableness() -> pd.DataFrame:
    # psych's keys for agreeableness: -A1, reversed as 7 - x on the 1-6 scale; missing answers kept (pairwise).
    items = _bfi()[AGREEABLENESS].copy()
    items["A1"] = 7 - items["A1"]
    return items


def _bfi_complete(columns: list[str]) -> pd.DataFrame:
    # Complete cases, so that every peer sees the same respondents whatever its missing-data handling.
    return _bfi()[columns].dropna().astype(int)


def _holzinger_swineford() -> pd.DataFrame:
    import psychometrics

    return psychometrics.datasets.load("holzinger_swineford")[[f"x{i}" for i in range(1, 10)]]


def _ratings(n_targets: int, n_raters: int = 2) -> pd.DataFrame:
    """Simulated ratings: target true score N(0, 1), a rater bias, rating noise N(0, 0.6^2)."""
    rng = np.random.default_rng(SEED)
    true_score = rng.normal(size=(n_targets, 1))
    bias = np.linspace(0.0, 0.3, n_raters)
    ratings = true_score + bias + rng.normal(scale=0.6, size=(n_targets, n_raters))
    return pd.DataFrame(ratings.round(4), columns=[f"rater{j + 1}" for j in range(n_raters)])


def _graded(n: int, n_items: int = 21, n_categories: int = 5) -> pd.DataFrame:
    """Simulated graded responses (logistic GRM, slopes U(0.8, 2.2), sorted N(0, 1) thresholds, theta ~ N(0, 1))."""
    rng = np.random.default_rng(SEED)
    slopes = rng.uniform(0.8, 2.2, n_items)
    thresholds = np.sort(rng.normal(size=(n_items, n_categories - 1)), axis=1)
    theta = rng.normal(size=(n, 1, 1))
    at_least = 1 / (1 + np.exp(-slopes[None, :, None] * (theta - thresholds[None])))
    answers = (rng.uniform(size=(n, n_items, 1)) < at_least).sum(axis=2) + 1
    return pd.DataFrame(answers, columns=[f"i{j + 1}" for j in range(n_items)])


DATA: dict[str, Callable[[], pd.DataFrame | str]] = {
    "agreeableness.csv": _agreeableness,
    "bfi25.csv": lambda: _bfi_complete(BFI_ITEMS),
    "bfi25_gender.csv": lambda: _bfi_complete(BFI_ITEMS + ["gender"]),
    "holzinger_swineford.csv": _holzinger_swineford,
    "icc_2000.csv": lambda: _ratings(2_000),
    "icc_100000.csv": lambda: _ratings(100_000),
    "hs_model.lav": lambda: HS_MODEL,
    "bfi_model.lav": lambda: BFI_MODEL,
    "bfi_ac.csv": lambda: _bfi_complete(AC_ITEMS),
    "ac_model.lav": lambda: AC_MODEL,
    "bfi_ac_missing.csv": lambda: _bfi()[AC_ITEMS],  # with the items' own missing answers (FIML)
    "graded_5000.csv": lambda: _graded(5_000),
}


class DataFiles:
    """The prepared files of one run, written on first use into ``folder``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, name: str) -> Path:
        target = self.folder / name
        if not target.exists():
            content = DATA[name]()
            if isinstance(content, str):
                target.write_text(content)
            else:
                content.to_csv(target, index=False)
        return target

    def frame(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.path(name))

    def text(self, name: str) -> str:
        return self.path(name).read_text()


@dataclass(frozen=True)
class Impl:
    """One implementation of a case.

    kind: "ours" and "python" run in this process (``setup(files)`` returns the zero-argument call to time);
    "r" runs ``benchmarks/r/<script>``; "venv" runs task ``script`` of peers_venv.py in benchmarks/.venv-peers.
    ``files`` maps an argument name to a DATA file, ``params`` are further arguments for R or the venv.
    """

    name: str
    kind: str
    setup: Callable[[DataFiles], Callable[[], object]] | None = None
    script: str = ""
    files: dict[str, str] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    ours: Impl
    peers: tuple[Impl, ...] = ()
    targets: dict[str, float] = field(default_factory=dict)  # peer name -> minimum ratio peer / ours
    max_seconds: float | None = None  # an absolute target for our median, from the feature issue
    max_seconds_source: str = ""


def _ours(function: str) -> Callable:
    import psychometrics

    # Until a module lands, psychometrics.<name> is missing or is the placeholder module of the same name.
    found = getattr(psychometrics, function, None)
    if not callable(found):
        raise Unavailable(f"psychometrics.{function} is not implemented yet")
    return found


def _pingouin():
    try:
        import pingouin
    except ImportError as exc:
        raise Unavailable("pingouin is not installed") from exc
    return pingouin


def _ours_alpha(files: DataFiles):
    alpha, items = _ours("cronbach_alpha"), files.frame("agreeableness.csv")
    return lambda: alpha(items, ci="bootstrap", n_boot=1000, seed=SEED)


def _pingouin_alpha(files: DataFiles):
    pingouin, items = _pingouin(), files.frame("agreeableness.csv")
    return lambda: pingouin.cronbach_alpha(data=items, ci=0.95)


def _ours_polychoric(files: DataFiles):
    polychoric, items = _ours("polychoric"), files.frame("bfi25.csv")
    return lambda: polychoric(items)


def _ours_parallel(n_iter: int):
    def setup(files: DataFiles):
        parallel, items = _ours("parallel_analysis"), files.frame("bfi25.csv")
        return lambda: parallel(items, n_iter=n_iter, seed=SEED, kind="both")

    return setup


def _ours_efa(files: DataFiles):
    efa, items = _ours("efa"), files.frame("bfi25.csv")
    return lambda: efa(items, 5, method="minres", rotation="oblimin")


def _ours_cfa(files: DataFiles):
    cfa, data = _ours("cfa"), files.frame("holzinger_swineford.csv")
    return lambda: cfa(HS_MODEL, data)


def _ours_cfa_ordinal(files: DataFiles):
    cfa, data = _ours("cfa"), files.frame("bfi_ac.csv")
    return lambda: cfa(AC_MODEL, data, ordered=True)


def _ours_irt_grm(files: DataFiles):
    irt, data = _ours("irt"), files.frame("graded_5000.csv")
    return lambda: irt(data, "grm")


def _ours_cfa_fiml_mlr(files: DataFiles):
    cfa, data = _ours("cfa"), files.frame("bfi_ac_missing.csv")
    return lambda: cfa(AC_MODEL, data, missing="fiml", estimator="MLR")


def _ours_invariance(files: DataFiles):
    invariance, data = _ours("measurement_invariance"), files.frame("bfi25_gender.csv")
    return lambda: invariance(BFI_MODEL, data, group="gender")


def _ours_icc(data_name: str):
    def setup(files: DataFiles):
        icc, ratings = _ours("icc"), files.frame(data_name)
        return lambda: icc(ratings)

    return setup


def _pingouin_icc(data_name: str):
    def setup(files: DataFiles):
        pingouin, ratings = _pingouin(), files.frame(data_name)
        long = ratings.rename_axis("target").reset_index().melt(id_vars="target", var_name="rater", value_name="rating")
        return lambda: pingouin.intraclass_corr(data=long, targets="target", raters="rater", ratings="rating")

    return setup


def _ours_report(files: DataFiles):
    # The whole report as a user runs it: a fresh process (start-up and imports included), default options.
    from psychometrics import report

    if not hasattr(report, "run_report") or not REPORT_SPEC.exists():
        raise Unavailable(f"`psychometrics report` or {REPORT_SPEC.relative_to(ROOT)} does not exist yet")
    out = files.folder / "report"
    command = [sys.executable, "-m", "psychometrics", "report", str(REPORT_SPEC), "--out", str(out)]

    def run():
        with tempfile.TemporaryFile() as log:
            done = subprocess.run(command, stdout=log, stderr=log, cwd=ROOT)
            if done.returncode != 0:
                log.seek(0)
                tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
                raise RuntimeError(f"`psychometrics report` exited {done.returncode}: {' '.join(tail)}")

    return run


def _psych(function: str, script: str, data: str, note: str = "", **params) -> Impl:
    return Impl(f"psych::{function}", "r", script=script, files={"data": data}, params=params, note=note)


_MCLAPPLY = "psych runs its replicates with parallel::mclapply (2 workers by default)"

CASES: tuple[Case, ...] = (
    Case(
        "alpha_bootstrap",
        "Cronbach's alpha, 1000 bootstrap draws (bfi agreeableness, 5 items x 2800)",
        Impl("psychometrics", "ours", _ours_alpha),
        (
            _psych("alpha", "alpha.R", "agreeableness.csv", _MCLAPPLY, n_iter=1000),
            Impl("pingouin", "python", _pingouin_alpha, note="analytic CI only, no bootstrap: not like for like"),
        ),
        {"psych::alpha": 100},
        0.05,
        "issue 2: 1000 draws for 5 items x 2800 respondents well under 50 ms",
    ),
    Case(
        "polychoric",
        "Polychoric correlations of the 25 bfi items (2436 complete cases)",
        Impl("psychometrics", "ours", _ours_polychoric),
        (
            _psych("polychoric", "polychoric.R", "bfi25.csv", "psych runs the item pairs with parallel::mclapply"),
            Impl(
                "semopy",
                "venv",
                script="polychoric_semopy",
                files={"data": "bfi25.csv"},
                note="semopy.polycorr, one polychoric_corr per pair as its hetcor()",
            ),
        ),
        {"psych::polychoric": 20},
        1.0,
        "issue 3: 25 items x 2800 respondents well under a second",
    ),
    *(
        Case(
            f"parallel_{n_iter}",
            f"Parallel analysis, {n_iter} iterations, factors and components (bfi 25 items)",
            Impl("psychometrics", "ours", _ours_parallel(n_iter)),
            (_psych("fa.parallel", "fa_parallel.R", "bfi25.csv", _MCLAPPLY, n_iter=n_iter),),
            {"psych::fa.parallel": 5},
        )
        for n_iter in (20, 1000)
    ),
    Case(
        "efa",
        "EFA, 5 factors, minres + oblimin (bfi 25 items, 2436 complete cases)",
        Impl("psychometrics", "ours", _ours_efa),
        (
            _psych("fa", "fa.R", "bfi25.csv", n_factors=5),
            Impl(
                "factor_analyzer",
                "venv",
                script="efa_factor_analyzer",
                files={"data": "bfi25.csv"},
                params={"n_factors": 5},
            ),
        ),
    ),
    Case(
        "cfa_holzinger_swineford",
        "CFA, 3-factor Holzinger-Swineford model (ML, 301 x 9)",
        Impl("psychometrics", "ours", _ours_cfa),
        (
            Impl(
                "lavaan",
                "r",
                script="cfa.R",
                files={"data": "holzinger_swineford.csv", "model": "hs_model.lav"},
                note="cfa() + fitMeasures() + standardizedSolution()",
            ),
            Impl(
                "semopy",
                "venv",
                script="cfa_semopy",
                files={"data": "holzinger_swineford.csv", "model": "hs_model.lav"},
                note="Model.fit() + calc_stats() + inspect(std_est=True)",
            ),
        ),
        {"lavaan": 3, "semopy": 1},
        0.01,
        "issue 4: the Holzinger-Swineford model in a few milliseconds",
    ),
    Case(
        "cfa_wlsmv_bfi",
        "CFA of ordinal items, WLSMV, 2-factor model (bfi A1-A5, C1-C5, 2632 x 10)",
        Impl("psychometrics", "ours", _ours_cfa_ordinal),
        (
            Impl(
                "lavaan",
                "r",
                script="cfa.R",
                files={"data": "bfi_ac.csv", "model": "ac_model.lav"},
                params={"ordered": "all"},
                note="cfa(ordered = all items) + fitMeasures() + standardizedSolution()",
            ),
        ),
        {"lavaan": 3},
        1.0,
        "issue 5: WLSMV for 10 ordinal items x 2,500 respondents in under a second",
    ),
    Case(
        "cfa_fiml_mlr_bfi",
        "CFA with FIML and MLR on incomplete data, 2-factor model (bfi A1-A5, C1-C5, 2800 x 10)",
        Impl("psychometrics", "ours", _ours_cfa_fiml_mlr),
        (
            Impl(
                "lavaan",
                "r",
                script="cfa.R",
                files={"data": "bfi_ac_missing.csv", "model": "ac_model.lav"},
                params={"missing": "fiml", "estimator": "MLR"},
                note="cfa(missing = 'fiml', estimator = 'MLR') + fitMeasures() + standardizedSolution()",
            ),
        ),
        {"lavaan": 1},  # issue 5 sets no speed target for FIML/MLR: at least as fast as lavaan
    ),
    Case(
        "invariance_bfi_gender",
        "Invariance ladder (configural, metric, scalar, strict), 5-factor bfi model by gender (2436 cases)",
        Impl("psychometrics", "ours", _ours_invariance),
        (
            Impl(
                "lavaan",
                "r",
                script="invariance.R",
                files={"data": "bfi25_gender.csv", "model": "bfi_model.lav"},
                params={"group": "gender"},
                note="4 x cfa(group.equal=...) + fitMeasures() + lavTestLRT()",
            ),
        ),
        {"lavaan": 3},
        1.0,
        "issue 4: a four-level ladder, 5 factors, 25 items, 2000+ cases well under a second",
    ),
    *(
        Case(
            f"icc_{n_targets}",
            f"ICC, 2 raters x {n_targets:,} targets (simulated)",
            Impl("psychometrics", "ours", _ours_icc(f"icc_{n_targets}.csv")),
            (
                _psych("ICC", "icc.R", f"icc_{n_targets}.csv", "default lmer = TRUE variance components"),
                Impl("pingouin", "python", _pingouin_icc(f"icc_{n_targets}.csv"), note="long data"),
            ),
            {"psych::ICC": 100},
        )
        for n_targets in (2_000, 100_000)
    ),
    Case(
        "irt_grm",
        "Graded response model by MML with standard errors (simulated, 21 items x 5 categories x 5000)",
        Impl("psychometrics", "ours", _ours_irt_grm),
        (),
        {},
        2.0,
        "issue 18: a 21-item GRM on 5,000 respondents in under 2 s (mirt is not in Debian; no published mirt timing of a comparable fit was found)",
    ),
    Case(
        "report",
        "The whole six-site report (`psychometrics report analyses/peer_support_implementation.yaml`)",
        Impl("psychometrics", "ours", _ours_report, note="a fresh process, imports included"),
        (),
        {},
        60.0,
        "issue 8: the main job's report in under a minute",
    ),
)
