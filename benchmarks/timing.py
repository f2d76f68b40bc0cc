"""Timing shared by the harness (run.py) and the peer runner (peers_venv.py).

The rule, the same as benchmarks/r/bench.R: one untimed warm-up run (first-call costs: lazy imports and loading,
R's byte compilation, caches), then ``budget / warm-up`` timed runs, at least ``min_repeats`` and at most
``max_repeats``, or a single timed run when the warm-up alone took the whole budget; the median is reported.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any
from collections.abc import Callable

JSON_MARKER = "BENCH_JSON:"


def _elapsed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def repeat_count(warmup: float, budget: float, min_repeats: int, max_repeats: int) -> int:
    """Number of timed runs after a warm-up of ``warmup`` seconds."""
    if warmup >= budget:
        return 1
    return max(min_repeats, min(max_repeats, int(budget / max(warmup, 1e-9))))


def measure(fn: Callable[[], Any], budget: float = 5.0, min_repeats: int = 3, max_repeats: int = 50) -> dict:
    """Time ``fn``: ``{"median": seconds, "times": [...], "repeats": n}``."""
    warmup = _elapsed(fn)
    times = [_elapsed(fn) for _ in range(repeat_count(warmup, budget, min_repeats, max_repeats))]
    return {"median": statistics.median(times), "times": times, "repeats": len(times)}


def emit(payload: dict) -> None:
    """Print a measurement for the harness: one marked JSON line (libraries may print other lines)."""
    print(JSON_MARKER + json.dumps(payload), flush=True)


def parse_emitted(stdout: str) -> dict:
    """The payload that ``emit`` (or bench.R) printed; ValueError when there is none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(JSON_MARKER):
            return json.loads(line[len(JSON_MARKER) :])
    raise ValueError("no benchmark result line in the output")
