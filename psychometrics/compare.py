"""Compare two ``results.json`` files statistic by statistic (regression testing of analysis outputs).

Every leaf of the two JSON documents is matched by its path (``sections.cfa.units.pooled.fit_measures.chisq``).
Numbers are compared with a per-statistic tolerance: chi-square-like statistics (chi-square, log-likelihood,
information criteria, F) relative to their size, everything else (indices, loadings, reliabilities) absolutely.
A tolerances file maps path patterns (shell-style wildcards, first match wins) to ``{rtol: ...}``,
``{atol: ...}`` or ``ignore``. Strings, booleans and nulls must be equal. Package versions are ignored.

CLI: ``psychometrics compare NEW REFERENCE [--rtol R] [--atol A] [--tolerances FILE]`` (exit 1 when any
difference exceeds its tolerance).
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import re
from pathlib import Path
from typing import Any, TypeAlias
from collections.abc import Iterator

import pandas as pd

from ._checks import cut
from ._results import Result
from ._safe_yaml import load_yaml, read_text
from .errors import SpecError

__all__ = ["Difference", "Comparison", "compare_results", "load_results"]

DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-6
# Paths that describe the run rather than the analysis (package versions differ between machines).
DEFAULT_IGNORE = ("versions", "versions.*")
# Statistics whose size grows with the sample: compared relative to their size.
_RELATIVE_KEY = re.compile(
    r"(chisq|chi2|chi_square|statistic|logl|loglik|aic|bic|bic2|^f$|^f_|deviance|ms_|_ms$|sum_of_squares)",
    re.IGNORECASE,
)
_MISSING = object()


@dataclasses.dataclass(frozen=True, repr=False)
class Difference(Result):
    """One statistic that differs: its JSON path, both values and the tolerance it was held to."""

    path: str
    reference: Any
    new: Any
    tolerance: str
    exceeds: bool

    def line(self) -> str:
        flag = "FAIL" if self.exceeds else "ok  "
        return f"{flag} {self.path}: reference {_show(self.reference)}, new {_show(self.new)} ({self.tolerance})"


@dataclasses.dataclass(frozen=True, repr=False)
class Comparison(Result):
    """All differences between two results, ``ok`` when none exceeds its tolerance."""

    differences: tuple
    n_compared: int

    @property
    def ok(self) -> bool:
        return not any(d.exceeds for d in self.differences)

    @property
    def failures(self) -> list[Difference]:
        return [d for d in self.differences if d.exceeds]

    def to_frame(self) -> pd.DataFrame:
        columns = ["path", "reference", "new", "tolerance", "exceeds"]
        return pd.DataFrame([[getattr(d, c) for c in columns] for d in self.differences], columns=columns)

    def summary(self) -> str:
        lines = [d.line() for d in self.differences]
        verdict = "match" if self.ok else f"{len(self.failures)} statistic(s) beyond tolerance"
        lines.append(f"{self.n_compared} values compared, {len(self.differences)} differ: {verdict}.")
        return "\n".join(lines)


def _show(value: Any) -> str:
    return json.dumps(value)


#: Results as data, a results.json file or the report folder holding one.
ResultsSource: TypeAlias = dict[str, Any] | str | Path


def load_results(path_or_data: ResultsSource) -> Any:
    """A results.json as data: a dict passes through, a folder means its ``results.json``."""
    if isinstance(path_or_data, dict):
        return path_or_data
    path = Path(path_or_data)
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise SpecError(f"no results file at {path}; pass a results.json or the folder a report was written to.")
    try:
        return json.loads(read_text(path, "results file"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}.") from None
    except RecursionError:
        raise SpecError(f"{path} nests too deeply to be a results.json; pass the file a report wrote.") from None


def load_tolerances(path: str | Path) -> dict[str, Any]:
    """Read a tolerances file (YAML or JSON): an ordered mapping of path pattern -> {rtol|atol} or 'ignore'."""
    if not Path(path).is_file():
        raise SpecError(f"no tolerances file at {path}; pass a YAML or JSON file of path pattern -> tolerance.")
    rules = load_yaml(read_text(path, "tolerances file"), str(path)) or {}
    if not isinstance(rules, dict):
        raise SpecError(f"{path}: a tolerances file maps path patterns to {{rtol: x}}, {{atol: x}} or 'ignore'.")
    for pattern, rule in rules.items():
        if rule == "ignore":
            continue
        if not isinstance(pattern, str) or not _is_tolerance(rule):
            raise SpecError(
                f"{path}: the tolerance of {cut(repr(pattern), 80)} is {cut(repr(rule), 80)}; use {{rtol: 1e-5}}, "
                "{atol: 1e-4} or 'ignore'."
            )
    return rules


def _is_tolerance(rule: Any) -> bool:
    """A mapping of rtol and/or atol to non-negative numbers."""
    return (
        isinstance(rule, dict)
        and bool(rule)
        and set(rule) <= {"rtol", "atol"}
        and all(_is_number(v) and v >= 0 for v in rule.values())
    )


def _key_text(key: Any) -> str:
    key = str(key)
    return key if re.fullmatch(r"[A-Za-z0-9_\-]+", key) else "[" + json.dumps(key) + "]"


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    text = _key_text(key)
    if not path:
        return text
    return path + text if text.startswith("[") else f"{path}.{text}"


def _leaves(reference: Any, new: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Yield (path, reference value, new value) for every leaf in either document."""
    sides = (reference, new)
    if all(isinstance(side, dict) or side is _MISSING for side in sides) and sides != (_MISSING, _MISSING):
        old_map, new_map = (side if isinstance(side, dict) else {} for side in sides)
        for key in sorted(set(old_map) | set(new_map), key=str):
            yield from _leaves(old_map.get(key, _MISSING), new_map.get(key, _MISSING), _join(path, key))
    elif isinstance(reference, list) and isinstance(new, list) and len(reference) == len(new):
        for index, (old_item, new_item) in enumerate(zip(reference, new)):
            yield from _leaves(old_item, new_item, _join(path, index))
    else:
        yield path, reference, new


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Tolerances:
    """Which tolerance applies to a path: the first matching pattern of the file, else by the statistic's kind."""

    def __init__(self, rtol: float, atol: float, rules: dict[str, Any] | None):
        self.rtol, self.atol = rtol, atol
        self.rules = dict(rules or {})

    def rule(self, path: str) -> Any:
        for pattern, rule in self.rules.items():
            if fnmatch.fnmatchcase(path, pattern):
                return rule
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in DEFAULT_IGNORE):
            return "ignore"
        last = re.split(r"[.\[]", path)[-1].strip('"]')
        return {"rtol": self.rtol} if _RELATIVE_KEY.search(last) else {"atol": self.atol}


def _within(reference: float, new: float, rule: dict[str, float]) -> bool:
    """|new - reference| <= atol + rtol * |reference| (each part only when given)."""
    allowed = rule.get("atol", 0.0) + rule.get("rtol", 0.0) * abs(reference)
    return abs(new - reference) <= allowed


def _describe(rule: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in sorted(rule.items()))


def compare_results(
    new: ResultsSource,
    reference: ResultsSource,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    tolerances: dict[str, Any] | str | Path | None = None,
) -> Comparison:
    """Compare two results (dicts, results.json paths, or report folders) statistic by statistic.

    Parameters
    ----------
    new, reference : dict or path
        The results to check and the golden results.
    rtol : float
        Relative tolerance of chi-square-like statistics (chi-square, log-likelihood, AIC/BIC, F).
    atol : float
        Absolute tolerance of every other number (fit indices, loadings, reliabilities, p-values).
    tolerances : mapping or path, optional
        Path pattern (``fnmatch`` wildcards over paths such as ``sections.cfa.*.rmsea``) -> ``{"rtol": x}``,
        ``{"atol": x}`` or ``"ignore"``; the first matching pattern wins over the defaults.

    Returns
    -------
    Comparison
        ``differences`` (every value that differs at all, with ``exceeds`` set when beyond its tolerance),
        ``n_compared`` and ``ok``.
    """
    if isinstance(tolerances, (str, Path)):
        tolerances = load_tolerances(tolerances)
    rules = _Tolerances(rtol, atol, tolerances)
    differences = []
    n_compared = 0
    try:
        leaves = list(_leaves(load_results(reference), load_results(new)))
    except RecursionError:
        raise SpecError("the results nest too deeply to compare; pass results.json files a report wrote.") from None
    for path, old, value in leaves:
        rule = rules.rule(path)
        if rule == "ignore":
            continue
        n_compared += 1
        if _is_number(old) and _is_number(value):
            if old == value:
                continue
            exceeds = not _within(float(old), float(value), rule)
            differences.append(Difference(path, old, value, _describe(rule), exceeds))
        elif old is _MISSING or value is _MISSING:
            where = "new" if value is _MISSING else "reference"
            differences.append(Difference(path, _plain(old), _plain(value), f"missing in {where}", True))
        elif old != value or type(old) is not type(value):  # true == 1 in Python, not in JSON
            differences.append(Difference(path, old, value, "must be equal", True))
    return Comparison(tuple(differences), n_compared)


def _plain(value: Any) -> Any:
    return None if value is _MISSING else value


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``psychometrics compare``."""
    parser.add_argument("new", help="results.json (or the report folder holding it) to check")
    parser.add_argument("reference", help="golden results.json (or folder) to compare against")
    parser.add_argument(
        "--rtol",
        type=float,
        default=DEFAULT_RTOL,
        help=f"relative tolerance of chi-square-like statistics (default {DEFAULT_RTOL:g})",
    )
    parser.add_argument(
        "--atol",
        type=float,
        default=DEFAULT_ATOL,
        help=f"absolute tolerance of indices and estimates (default {DEFAULT_ATOL:g})",
    )
    parser.add_argument(
        "--tolerances",
        metavar="FILE",
        help="YAML/JSON mapping of JSON-path patterns to {rtol: x}, {atol: x} or 'ignore'",
    )


def run_compare(args: argparse.Namespace) -> int:
    """Print every difference (path, reference and new value); 1 when any exceeds its tolerance."""
    comparison = compare_results(args.new, args.reference, rtol=args.rtol, atol=args.atol, tolerances=args.tolerances)
    print(comparison.summary())
    return 0 if comparison.ok else 1
