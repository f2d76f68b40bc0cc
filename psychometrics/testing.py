"""Helpers for users' own test suites: regression tests of analysis outputs.

>>> from psychometrics.testing import assert_results_match
>>> assert_results_match("out/peer_support", "tests/golden/peer_support_implementation")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .compare import DEFAULT_ATOL, DEFAULT_RTOL, ResultsSource, compare_results

__all__ = ["assert_results_match"]


def assert_results_match(
    new: ResultsSource,
    reference: ResultsSource,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    tolerances: dict[str, Any] | str | Path | None = None,
) -> None:
    """Raise AssertionError listing every statistic of ``new`` beyond tolerance of ``reference``.

    ``new`` and ``reference`` are results dicts, results.json files or report folders; the tolerances are those
    of :func:`psychometrics.compare.compare_results` (chi-square-like statistics relative, others absolute).
    """
    comparison = compare_results(new, reference, rtol=rtol, atol=atol, tolerances=tolerances)
    if not comparison.ok:
        failures = comparison.failures
        shown = "\n".join(d.line() for d in failures[:50])
        more = f"\n... and {len(failures) - 50} more" if len(failures) > 50 else ""
        raise AssertionError(
            f"{len(failures)} of {comparison.n_compared} statistics differ beyond tolerance:\n{shown}{more}"
        )
