"""Benchmarks against peers (issue 9): ``python benchmarks/run.py`` (``make bench``).

Times psychometrics and its peers (R psych and lavaan, pingouin, factor_analyzer, semopy) on the same data in the
same run, and prints the median of repeated runs, the ratio peer time / our time and whether the targets are met.
Absent peers and functions not yet implemented are skipped with a note. See benchmarks/README.md.

    python benchmarks/run.py                      # every case, every peer found
    python benchmarks/run.py --cases icc_2000 efa # some cases (--list names them)
    python benchmarks/run.py --markdown benchmarks/RESULTS.md --json results.json
    python benchmarks/run.py --setup-peers        # create benchmarks/.venv-peers (factor_analyzer, semopy)
    python benchmarks/run.py --cases efa --no-peers --profile 25   # where our time goes
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import datetime as dt
import importlib.metadata
import io
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cases import CASES, Case, DataFiles, Impl, Unavailable  # noqa: E402
from timing import measure, parse_emitted  # noqa: E402

PEERS_VENV = HERE / ".venv-peers"
PEERS_PYTHON = PEERS_VENV / "bin" / "python"
PEERS_REQUIREMENTS = HERE / "requirements-peers.txt"
OUR_PACKAGES = ("psychometrics", "numpy", "scipy", "pandas", "pingouin")


@dataclasses.dataclass
class Options:
    budget: float = 5.0  # seconds of timed runs per implementation and case (after the warm-up)
    min_repeats: int = 3
    max_repeats: int = 50
    timeout: float = 900.0  # seconds for one peer process
    run_r: bool = True
    run_venv: bool = True
    run_python_peers: bool = True
    blas_threads: int | None = None  # None: each library's default


@dataclasses.dataclass
class Measurement:
    name: str
    kind: str
    status: str  # "ok", "skipped" or "error"
    median: float | None = None
    repeats: int = 0
    times: list[float] = dataclasses.field(default_factory=list)
    versions: dict[str, str] = dataclasses.field(default_factory=dict)
    note: str = ""


@dataclasses.dataclass
class CaseResult:
    case: Case
    ours: Measurement
    peers: list[Measurement]

    def ratio(self, peer: Measurement) -> float | None:
        """Peer time / our time (> 1: we are faster)."""
        if self.ours.median and peer.median:
            return peer.median / self.ours.median
        return None

    def verdicts(self) -> list[tuple[str, str]]:
        """(target, "met" / "missed" / "not measured") for every target of the case."""
        out = []
        if self.case.max_seconds is not None:
            target = f"ours <= {_seconds(self.case.max_seconds)} ({self.case.max_seconds_source})"
            out.append((target, _verdict(self.ours.median, self.case.max_seconds, upper=True)))
        for peer in self.peers:
            if peer.name in self.case.targets:
                minimum = self.case.targets[peer.name]
                out.append((f"{peer.name} / ours >= {minimum:g}x", _verdict(self.ratio(peer), minimum)))
        return out


def _verdict(value: float | None, bound: float, upper: bool = False) -> str:
    if value is None:
        return "not measured"
    return "met" if (value <= bound if upper else value >= bound) else "missed"


# --- running one implementation -------------------------------------------------------------------------------


def _in_process(impl: Impl, files: DataFiles, options: Options) -> Measurement:
    fn = impl.setup(files)
    result = measure(fn, options.budget, options.min_repeats, options.max_repeats)
    return Measurement(impl.name, impl.kind, "ok", result["median"], result["repeats"], result["times"], note=impl.note)


def _subprocess(impl: Impl, command: list[str], files: DataFiles, options: Options) -> Measurement:
    args = {key: str(files.path(name)) for key, name in impl.files.items()}
    args |= {key: str(value) for key, value in impl.params.items()}
    args |= {"budget": options.budget, "min_repeats": options.min_repeats, "max_repeats": options.max_repeats}
    command = command + [f"{key}={value}" for key, value in args.items()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=options.timeout)
    except subprocess.TimeoutExpired:
        return Measurement(impl.name, impl.kind, "error", note=f"timed out after {options.timeout:g} s")
    try:
        result = parse_emitted(done.stdout)
    except ValueError:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Measurement(impl.name, impl.kind, "error", note=f"exit {done.returncode}: {tail[:200]}")
    times = result["times"] if isinstance(result["times"], list) else [result["times"]]
    return Measurement(
        impl.name,
        impl.kind,
        "ok",
        float(result["median"]),
        int(result["repeats"]),
        times,
        {k: str(v) for k, v in result["versions"].items()},
        impl.note,
    )


def _skip_reason(impl: Impl, options: Options) -> str | None:
    if impl.kind == "r":
        if not options.run_r:
            return "R peers not requested (--no-r / --no-peers)"
        if shutil.which("Rscript") is None:
            return "Rscript not found (apt-get install r-cran-psych r-cran-lavaan r-cran-gparotation r-cran-lme4)"
    if impl.kind == "venv":
        if not options.run_venv:
            return "venv peers not requested (--no-venv / --no-peers)"
        if not PEERS_PYTHON.exists():
            return "benchmarks/.venv-peers absent: run `python benchmarks/run.py --setup-peers`"
    if impl.kind == "python" and not options.run_python_peers:
        return "Python peers not requested (--no-peers)"
    return None


def run_impl(impl: Impl, files: DataFiles, options: Options) -> Measurement:
    """Time one implementation; never raises (a failure is a Measurement with status "error")."""
    reason = _skip_reason(impl, options)
    if reason:
        return Measurement(impl.name, impl.kind, "skipped", note=reason)
    try:
        if impl.kind == "r":
            return _subprocess(impl, ["Rscript", str(HERE / "r" / impl.script)], files, options)
        if impl.kind == "venv":
            return _subprocess(impl, [str(PEERS_PYTHON), str(HERE / "peers_venv.py"), impl.script], files, options)
        return _in_process(impl, files, options)
    except Unavailable as exc:
        return Measurement(impl.name, impl.kind, "skipped", note=str(exc))
    except Exception as exc:  # noqa: BLE001 - a failing case is reported, the others still run
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Measurement(impl.name, impl.kind, "error", note=f"{type(exc).__name__}: {message}"[:200])


def profile_ours(case: Case, files: DataFiles, top: int) -> str:
    """cProfile of one run of our implementation (after a warm-up): the ``top`` functions by cumulative time."""
    try:
        fn = case.ours.setup(files)
    except Unavailable as exc:
        return f"{case.name}: not profiled ({exc})"
    fn()
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return f"profile of {case.name} (ours):\n{out.getvalue()}"


def run_case(case: Case, files: DataFiles, options: Options) -> CaseResult:
    ours = run_impl(case.ours, files, options)
    peers = [run_impl(peer, files, options) for peer in case.peers]
    return CaseResult(case, ours, peers)


@contextlib.contextmanager
def _blas_limit(threads: int | None):
    """Limit BLAS threads: in this process through threadpoolctl (which pingouin's scikit-learn brings), in every
    child process (R, the peers' venv, `psychometrics report`) through the usual environment variables."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: str(threads) for name in names})
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run(case_names: list[str] | None, options: Options, progress=print, profile_top: int = 0) -> list[CaseResult]:
    """Run the selected cases (all when None); with ``profile_top`` also print a profile of ours per case."""
    selected = [case for case in CASES if not case_names or case.name in case_names]
    results = []
    with tempfile.TemporaryDirectory(prefix="psychometrics-bench-") as folder, _blas_limit(options.blas_threads):
        files = DataFiles(Path(folder))
        for case in selected:
            progress(f"... {case.name}", flush=True)
            results.append(run_case(case, files, options))
            if profile_top:
                progress(profile_ours(case, files, profile_top), flush=True)
    return results


# --- the machine and the versions ------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    """HEAD's short hash, marked when the package's files differ from it (engineers' uncommitted edits)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "psychometrics"], capture_output=True, text=True, cwd=HERE.parent
        )
    except OSError:
        return "unknown"
    return (head.stdout.strip() or "unknown") + (" + uncommitted changes" if dirty.stdout.strip() else "")


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    return (
        ", ".join(
            f"{i['internal_api']} {i.get('version') or ''} ({i['num_threads']} threads)"
            for i in threadpool_info()
            if i["user_api"] == "blas"
        )
        or "unknown"
    )


def machine() -> dict:
    """The machine now: date, CPU, cores, load average, and this process's BLAS with its thread count."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in load],
        "blas": _blas(),
    }


def our_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in OUR_PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "absent"
    versions["psychometrics"] += f" (git {_git_commit()})"
    return versions


def peer_versions(results: list[CaseResult]) -> dict[str, dict[str, str]]:
    """Versions reported by the peer processes: {"R": {...}, "venv": {...}}."""
    out: dict[str, dict[str, str]] = {}
    for result in results:
        for peer in result.peers:
            if peer.versions:
                out.setdefault("R" if peer.kind == "r" else "benchmarks/.venv-peers", {}).update(peer.versions)
    return out


# --- output ------------------------------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1e-3:
        return f"{value * 1e6:.0f} us"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def table_rows(result: CaseResult) -> list[list[str]]:
    """[implementation, median, runs, ratio peer/ours, note] for ours then each peer."""
    rows = []
    for m in [result.ours, *result.peers]:
        ratio = result.ratio(m) if m is not result.ours else None
        status = "" if m.status == "ok" else f"{m.status}: "
        rows.append(
            [
                m.name,
                _seconds(m.median),
                str(m.repeats or "-"),
                "-" if ratio is None else f"{ratio:.1f}x",
                status + m.note,
            ]
        )
    return rows


HEADER = ["implementation", "median", "runs", "peer/ours", "note"]


def format_text(results: list[CaseResult]) -> str:
    lines = []
    for result in results:
        lines.append(f"\n{result.case.name}: {result.case.title}")
        rows = [HEADER, *table_rows(result)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
        for row in rows:
            lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
        lines.extend(f"  target {target}: {verdict}" for target, verdict in result.verdicts())
    return "\n".join(lines)


def format_markdown(results: list[CaseResult], before: dict, after: dict, versions: dict, note: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Generated by `python benchmarks/run.py --markdown benchmarks/RESULTS.md` (see benchmarks/README.md).",
        "Medians of repeated runs (one untimed warm-up first); `peer/ours` > 1 means psychometrics is faster.",
        "",
        f"- Date: {before['date']} (finished {after['date']})",
        f"- Machine: {before['cpu']}, {before['cores']} cores, {before['platform']}",
        f"- Load average (1, 5, 15 min) at start {before['load_average']}, at end {after['load_average']}",
        f"- BLAS of psychometrics and pingouin: {after['blas']}",
    ]
    if note:
        lines.append(f"- Note: {note}")
    lines.append(f"- Ours: {', '.join(f'{k} {v}' for k, v in versions['ours'].items())}")
    for where, packages in versions["peers"].items():
        lines.append(f"- {where}: {', '.join(f'{k} {v}' for k, v in packages.items())}")
    lines += ["", "## Targets", "", "| case | target | verdict |", "| --- | --- | --- |"]
    lines += [f"| {r.case.name} | {t} | {v} |" for r in results for t, v in r.verdicts()]
    for result in results:
        lines += [
            "",
            f"## {result.case.name}",
            "",
            result.case.title,
            "",
            "| " + " | ".join(HEADER) + " |",
            "|" + " --- |" * len(HEADER),
        ]
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in table_rows(result)]
    return "\n".join(lines) + "\n"


def to_json(results: list[CaseResult], before: dict, after: dict, versions: dict) -> dict:
    return {
        "machine_start": before,
        "machine_end": after,
        "versions": versions,
        "cases": [
            {
                "case": r.case.name,
                "title": r.case.title,
                "measurements": [dataclasses.asdict(m) for m in [r.ours, *r.peers]],
                "targets": [{"target": t, "verdict": v} for t, v in r.verdicts()],
            }
            for r in results
        ],
    }


# --- command line --------------------------------------------------------------------------------------------------


def setup_peers() -> int:
    """Create benchmarks/.venv-peers with the pinned Python peers (never the project's .venv)."""
    if not PEERS_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    command = [str(PEERS_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-r", str(PEERS_REQUIREMENTS)]
    return subprocess.run(command).returncode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="+", metavar="NAME", help="cases to run (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument(
        "--budget",
        type=float,
        default=Options.budget,
        help="seconds of timed runs per implementation and case (default %(default)s)",
    )
    parser.add_argument("--min-repeats", type=int, default=Options.min_repeats)
    parser.add_argument("--max-repeats", type=int, default=Options.max_repeats)
    parser.add_argument("--timeout", type=float, default=Options.timeout, help="seconds for one peer process")
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="N",
        help="limit BLAS threads of every implementation (default: each library's own)",
    )
    parser.add_argument("--no-peers", action="store_true", help="time psychometrics only")
    parser.add_argument("--no-r", action="store_true", help="skip the R peers")
    parser.add_argument("--no-venv", action="store_true", help="skip factor_analyzer and semopy")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also print cProfile's top N functions of one run of ours per case",
    )
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the results as Markdown")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every timing as JSON")
    parser.add_argument("--note", default="", help="a note for the Markdown (machine load, ...)")
    parser.add_argument(
        "--setup-peers",
        action="store_true",
        help=f"create {PEERS_VENV.relative_to(HERE.parent)} with {PEERS_REQUIREMENTS.name}, exit",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.setup_peers:
        return setup_peers()
    if args.list:
        print("\n".join(f"{case.name:28} {case.title}" for case in CASES))
        return 0
    unknown = sorted(set(args.cases or ()) - {case.name for case in CASES})
    if unknown:
        print(f"unknown case(s) {', '.join(unknown)}; --list shows the cases", file=sys.stderr)
        return 2
    options = Options(
        args.budget,
        args.min_repeats,
        args.max_repeats,
        args.timeout,
        run_r=not (args.no_peers or args.no_r),
        run_venv=not (args.no_peers or args.no_venv),
        run_python_peers=not args.no_peers,
        blas_threads=args.blas_threads,
    )
    before = machine()
    results = run(args.cases, options, profile_top=args.profile)
    after = machine()
    if args.blas_threads is not None:
        after["blas"] += f"; --blas-threads {args.blas_threads}: every implementation limited to that"
    versions = {"ours": our_versions(), "peers": peer_versions(results)}
    print(format_text(results))
    print(
        f"\nload average at start {before['load_average']}, at end {after['load_average']}; "
        f"{before['cores']} cores ({before['cpu']}); BLAS {after['blas']}"
    )
    if args.markdown:
        args.markdown.write_text(format_markdown(results, before, after, versions, args.note))
    if args.json:
        args.json.write_text(json.dumps(to_json(results, before, after, versions), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
