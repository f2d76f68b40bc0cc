"""The ``psychometrics`` command line.

Sub-commands: ``validate`` (psychometrics.survey.validation), ``report`` and ``snapshot`` (psychometrics.report),
``compare`` (psychometrics.compare). Each sub-command's module provides ``add_arguments(parser)`` and
``run(args) -> int``. Errors of the toolkit are printed as one clear message (never a bare traceback) and
give exit code 2; a sub-command returns 1 when it found problems (invalid data, differences beyond tolerance).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import PsychometricsError

DESCRIPTION = (
    "Reliability, validity and factor structure of survey instruments: validate data, run analysis "
    "specifications into reports, compare results."
)

# sub-command -> (module that implements it, one-line help)
COMMANDS = {
    "validate": ("psychometrics.survey.validation", "check a survey data file against its instrument"),
    "report": ("psychometrics.report", "run an analysis specification and write its report"),
    "snapshot": ("psychometrics.report", "run an analysis specification and write golden results.json files"),
    "compare": ("psychometrics.compare", "compare two results.json statistic by statistic"),
    "power": ("psychometrics.sem.power", "Monte Carlo power of a CFA/SEM by sample size (local or on Dask)"),
}


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="psychometrics", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"psychometrics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        getattr(module, f"add_{name}_arguments")(command)
        command.set_defaults(_run=getattr(module, f"run_{name}"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except PsychometricsError as exc:
        print(f"psychometrics {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        print(f"psychometrics {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # one message and exit 2, like every other stop (issue 16)
        print(f"psychometrics {args.command}: interrupted", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
