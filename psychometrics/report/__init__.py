"""Reproducible reports from analysis specifications (``psychometrics report`` / ``snapshot``).

``run_spec(spec)`` checks the inputs (instrument, data validation, scales) before any analysis, runs every
section (a failing section is reported in its own section; the rest still builds) and returns a
:class:`~psychometrics.report.runner.Report`; ``report.write(out_dir)`` writes ``results.json`` (canonical,
byte-identical for the same inputs), ``report.html`` (self-contained), ``report.md``, ``tables/*.csv`` and
``figures/*.svg``. ``run_specs`` runs a batch of specs on any concurrent.futures executor.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .._dask import add_scheduler_argument, scheduler_client
from ..errors import DataValidationError, SpecError
from .canonical import dumps
from .runner import Report, run_spec, run_specs
from .spec import load_spec, spec_schema
from .writers import write_report, write_results

__all__ = [
    "Report",
    "run_spec",
    "run_specs",
    "load_spec",
    "spec_schema",
    "write_report",
    "write_results",
    "dumps",
    "add_report_arguments",
    "run_report",
    "add_snapshot_arguments",
    "run_snapshot",
]


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="analysis specification(s), e.g. analyses/*.yaml")
    parser.add_argument("--data", metavar="FILE", help="survey data file replacing the spec's data")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="parallel worker processes (sections and sites run in parallel; same results)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (shown only on a terminal)")
    add_scheduler_argument(parser)


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``psychometrics report SPEC --out DIR [--data FILE] [--jobs N]``."""
    _add_common_arguments(parser)
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (with several specs: one sub-folder per spec name)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace a non-empty --out folder that psychometrics did not write (its files are deleted)",
    )


def add_snapshot_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``psychometrics snapshot SPEC [--golden DIR]``."""
    _add_common_arguments(parser)
    parser.add_argument(
        "--golden",
        default="tests/golden",
        metavar="DIR",
        help="folder of golden files; writes DIR/<spec name>/results.json (default tests/golden)",
    )


def _print_validation(error: DataValidationError) -> None:
    print(f"psychometrics: {error}")
    report = error.report
    if report is not None:
        print(report.summary())
        messages = list(report.problems["message"])
        for message in messages[:200]:
            print(f"  {message}")
        if len(messages) > 200:
            print(f"  ... {len(messages) - 200} more problem(s): run psychometrics validate for the full table")


def _run(args: argparse.Namespace) -> list[Report] | None:
    """The batch of ``args``, or None when the data did not validate (the report was printed)."""
    if args.jobs < 1:
        raise SpecError(f"--jobs must be at least 1; got {args.jobs}.")
    try:
        with scheduler_client(args.scheduler) as client, warnings.catch_warnings():
            # the checks before the analyses are printed with each report's summary (and are in its Methods)
            warnings.filterwarnings("ignore", message=r"scale .* correlates negatively", category=UserWarning)
            return run_specs(
                args.specs,
                data=args.data,
                jobs=args.jobs,
                progress=False if args.no_progress else None,
                executor=None if client is None else client.get_executor(),
            )
    except DataValidationError as error:
        _print_validation(error)
        return None


def _summarise(report: Report, where: Path) -> None:
    failed = [s for s in report.sections if s.status != "ok"]
    print(f"{report.name}: {len(report.sections) - len(failed)} of {len(report.sections)} sections ok -> {where}")
    for check in report.context.checks:
        print(f"  warning: {check}", file=sys.stderr)
    for section in failed:
        errors = section.errors
        for error in errors[:3]:
            print(f"  {section.id} failed: {error[:300]}", file=sys.stderr)
        if len(errors) > 3:
            print(f"  {section.id}: {len(errors) - 3} more failure(s), see the report", file=sys.stderr)


def run_report(args: argparse.Namespace) -> int:
    """Write every report; 1 when the data did not validate or a section failed."""
    reports = _run(args)
    if reports is None:
        return 1
    for report in reports:
        where = Path(args.out) if len(reports) == 1 else Path(args.out) / report.name
        report.write(where, force=args.force, inputs=[*args.specs, args.data])
        _summarise(report, where)
    return 0 if all(r.ok for r in reports) else 1


def run_snapshot(args: argparse.Namespace) -> int:
    """Write golden results.json files; a spec with a failing section is not written (exit 1)."""
    reports = _run(args)
    if reports is None:
        return 1
    for report in reports:
        if report.ok:
            where = write_results(report, Path(args.golden) / report.name / "results.json")
        else:
            where = Path("(not written: a section failed)")
        _summarise(report, where)
    return 0 if all(r.ok for r in reports) else 1
