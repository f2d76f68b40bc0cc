"""Run specs: check every input first, then compute every (section, unit) on any concurrent.futures executor.

The work of a spec is split into units: one per section, plus one per site where a section runs per site. Units
are pure functions of the checked inputs and the spec's seed, so a serial run, a process pool (``jobs``) and a
Dask cluster (``client.get_executor()``) give identical results. Several specs share one executor (batch runs).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import platform
import signal
import threading
import time
import warnings
from collections.abc import Iterable
from importlib import metadata

from .._typing import PathLike
from ..errors import PsychometricsError
from .canonical import canonical
from .context import Context, prepare_context
from .progress import Progress
from .sections import SECTIONS, Rendered
from .spec import SpecSource, load_spec

__all__ = ["Report", "SectionReport", "UnitOutcome", "run_specs", "run_spec"]

RESULTS_FORMAT = "psychometrics-results/1"
_VERSIONED = ("numpy", "scipy", "pandas", "statsmodels", "pingouin")


@dataclasses.dataclass(frozen=True)
class UnitOutcome:
    """One computed unit: ``status`` "ok" or "failed", its payload (results objects), error and warnings."""

    status: str
    payload: dict | None
    error: str | None
    warnings: tuple


@dataclasses.dataclass(frozen=True)
class SectionReport:
    """A section of the report: its units' outcomes and what it shows."""

    id: str
    type: str
    title: str
    units: dict
    rendered: Rendered
    render_error: str | None

    @property
    def status(self) -> str:
        failed = self.render_error or any(u.status != "ok" for u in self.units.values())
        return "failed" if failed else "ok"

    @property
    def errors(self) -> list[str]:
        found = [f"{unit}: {outcome.error}" for unit, outcome in self.units.items() if outcome.error]
        return found + ([f"rendering: {self.render_error}"] if self.render_error else [])

    def results(self) -> dict:
        return {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "units": {
                unit: {
                    "status": o.status,
                    "error": o.error,
                    "warnings": list(o.warnings),
                    "results": canonical(o.payload),
                }
                for unit, o in self.units.items()
            },
        }


def _versions() -> dict:
    from .. import __version__

    found: dict[str, str | None] = {"psychometrics": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


@dataclasses.dataclass(frozen=True)
class Report:
    """A finished run of one spec."""

    context: Context
    sections: tuple
    elapsed: float

    @property
    def ok(self) -> bool:
        return all(s.status == "ok" for s in self.sections)

    @property
    def name(self) -> str:
        return self.context.spec.name

    @property
    def document(self) -> tuple:
        """The sections as the report shows them: Methods (generated from the spec and the results) first."""
        from .methods import methods_section

        methods = SectionReport("methods", "methods", "Methods", {}, methods_section(self), None)
        return (methods, *self.sections)

    def results(self) -> dict:
        """Everything results.json holds: the spec, the input's SHA-256, versions, seed and every number."""
        spec = self.context.spec
        return {
            "format": RESULTS_FORMAT,
            "name": spec.name,
            "title": spec.title,
            "spec": spec.raw,
            "input": self.context.input,
            "instrument": self.context.instrument,
            "seed": spec.seed,
            "versions": _versions(),
            "status": "ok" if self.ok else "failed",
            "sections": {s.id: s.results() for s in self.sections},
        }

    def write(self, out_dir: PathLike, *, force: bool = False, inputs: Iterable[PathLike | None] = ()) -> None:
        """Write results.json, report.html, report.md, tables/*.csv and figures/*.svg into ``out_dir``, replacing
        the folder (see :func:`~psychometrics.report.writers.write_report` for ``force`` and ``inputs``)."""
        from .writers import write_report

        write_report(self, out_dir, force=force, inputs=inputs)


def _error_text(exc: BaseException) -> str:
    kind = "" if isinstance(exc, PsychometricsError) else f"{type(exc).__name__}: "
    return f"{kind}{exc}"


# warnings.catch_warnings and matplotlib's rc_context change process-wide state: units and sections running in
# threads of one process (a thread pool, a Dask worker with several threads) take turns, so that each unit records
# exactly its own warnings and each figure is drawn with the report's settings.
_PROCESS_STATE_LOCK = threading.Lock()


def run_unit(ctx: Context, analysis: dict, unit: str) -> UnitOutcome:
    """Compute one unit; any exception becomes a failed outcome (the rest of the report still builds)."""
    with _PROCESS_STATE_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            payload = SECTIONS[analysis["type"]].compute(ctx, analysis, unit)
        except Exception as exc:  # noqa: BLE001 - a failing analysis is reported in its own section
            return UnitOutcome("failed", None, _error_text(exc), _warning_texts(caught))
    errors = payload.get("errors") if isinstance(payload, dict) else None
    error = "; ".join(f"{k}: {v}" for k, v in errors.items()) if errors else None
    return UnitOutcome("failed" if errors else "ok", payload, error, _warning_texts(caught))


def _warning_texts(caught) -> tuple:
    return tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


def _tasks(contexts: list[Context]) -> list[tuple[int, dict, str]]:
    return [
        (index, analysis, unit)
        for index, ctx in enumerate(contexts)
        for analysis in ctx.spec.analyses
        for unit in SECTIONS[analysis["type"]].units(ctx, analysis)
    ]


def _map(function, calls: list[tuple], executor, progress: Progress, labels: list[str]) -> list:
    """``function(*call)`` for every call, in call order, serially or on ``executor``."""
    if executor is None:
        results = []
        for call, label in zip(calls, labels):
            results.append(function(*call))
            progress.advance(label)
        return results
    futures = {executor.submit(function, *call): n for n, call in enumerate(calls)}
    results = [None] * len(calls)
    for future in concurrent.futures.as_completed(futures):
        n = futures[future]
        results[n] = future.result()
        progress.advance(labels[n])
    return results


def _render(ctx: Context, analysis: dict, units: dict) -> SectionReport:
    section = SECTIONS[analysis["type"]]
    succeeded = {u: o.payload for u, o in units.items() if o.payload is not None}
    rendered, render_error = Rendered(), None
    if succeeded:
        try:
            with _PROCESS_STATE_LOCK:
                rendered = section.render(ctx, analysis, succeeded)
        except Exception as exc:  # noqa: BLE001 - the section shows the error, the report still builds
            render_error = _error_text(exc)
    return SectionReport(
        analysis["id"], analysis["type"], analysis.get("title", section.title), units, rendered, render_error
    )


def ignore_interrupts() -> None:
    """Worker processes ignore Ctrl-C: the main process alone reports the interruption (one message, no
    traceback from every worker) and stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_specs(
    specs: Iterable[SpecSource],
    *,
    data: PathLike | None = None,
    executor: concurrent.futures.Executor | None = None,
    jobs: int = 1,
    progress: bool | None = None,
) -> list[Report]:
    """Run several specs (paths, mappings or Specs) as one batch and return their reports.

    Every spec is loaded, its data validated and its scales checked before the first analysis starts.
    ``executor`` may be any concurrent.futures.Executor (e.g. ``dask.distributed.Client(...).get_executor()``);
    without one, ``jobs > 1`` uses a process pool and ``jobs == 1`` runs serially. ``data`` replaces the data
    file of every spec. ``progress`` shows a bar on stderr (default: when stderr is a terminal).
    """
    start = time.perf_counter()
    contexts = [prepare_context(load_spec(spec), data) for spec in specs]
    tasks = _tasks(contexts)
    sections = [(index, analysis) for index, ctx in enumerate(contexts) for analysis in ctx.spec.analyses]
    bar = Progress(len(tasks) + len(sections), enabled=progress)
    pool = (
        concurrent.futures.ProcessPoolExecutor(max_workers=jobs, initializer=ignore_interrupts)
        if executor is None and jobs > 1
        else None
    )
    try:
        outcomes = _map(
            run_unit,
            [(contexts[i], a, unit) for i, a, unit in tasks],
            executor or pool,
            bar,
            [f"{a['id']} {unit}" for _, a, unit in tasks],
        )
        by_section: dict[tuple, dict] = {}
        for (index, analysis, unit), outcome in zip(tasks, outcomes):
            by_section.setdefault((index, analysis["id"]), {})[unit] = outcome
        rendered = _map(
            _render,
            [(contexts[i], a, by_section.get((i, a["id"]), {})) for i, a in sections],
            executor or pool,
            bar,
            [f"{a['id']} (report)" for _, a in sections],
        )
    finally:
        bar.close()
        if pool is not None:  # after Ctrl-C: drop the queued units, let the running ones end
            pool.shutdown(cancel_futures=True)
    elapsed = time.perf_counter() - start
    return [
        Report(ctx, tuple(r for (i, _), r in zip(sections, rendered) if i == index), elapsed)
        for index, ctx in enumerate(contexts)
    ]


def run_spec(
    spec: SpecSource,
    *,
    data: PathLike | None = None,
    executor: concurrent.futures.Executor | None = None,
    jobs: int = 1,
    progress: bool | None = None,
) -> Report:
    """Run one spec (see :func:`run_specs`)."""
    return run_specs([spec], data=data, executor=executor, jobs=jobs, progress=progress)[0]
