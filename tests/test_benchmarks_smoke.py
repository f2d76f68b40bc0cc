"""Smoke test of the benchmark harness (benchmarks/run.py): it imports and runs one tiny case with every peer
skipped. Never a timing assertion: speed is measured by `make bench`, not by the test suite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load("benchmarks_run", "run.py")


def test_one_tiny_case_runs_with_peers_skipped(bench, tmp_path):
    options = bench.Options(
        budget=0.0, min_repeats=1, max_repeats=1, run_r=False, run_venv=False, run_python_peers=False
    )
    [result] = bench.run(["icc_2000"], options, progress=lambda *a, **k: None)
    # The harness never raises: a function not implemented yet is skipped, a failing one is reported (its own
    # tests say why); either way with a note.
    if result.ours.status == "ok":
        assert result.ours.repeats == 1 and result.ours.median > 0
    else:
        assert result.ours.status in {"skipped", "error"} and result.ours.note
    assert [peer.status for peer in result.peers] == ["skipped", "skipped"]
    assert all(peer.note for peer in result.peers)
    text = bench.format_text([result])
    assert "icc_2000" in text and "psych::ICC" in text
    markdown = bench.format_markdown(
        [result], bench.machine(), bench.machine(), {"ours": bench.our_versions(), "peers": {}}, "smoke test"
    )
    assert "| icc_2000 | psych::ICC / ours >= 100x |" in markdown


def test_ratios_and_verdicts(bench):
    case = next(case for case in bench.CASES if case.name == "cfa_holzinger_swineford")
    ours = bench.Measurement("psychometrics", "ours", "ok", median=0.004, repeats=5)
    lavaan = bench.Measurement("lavaan", "r", "ok", median=0.060, repeats=5)
    semopy = bench.Measurement("semopy", "venv", "skipped", note="absent")
    result = bench.CaseResult(case, ours, [lavaan, semopy])
    assert result.ratio(lavaan) == pytest.approx(15.0)
    assert result.ratio(semopy) is None
    verdicts = dict(result.verdicts())
    assert verdicts["lavaan / ours >= 3x"] == "met"
    assert verdicts["semopy / ours >= 1x"] == "not measured"
    assert list(verdicts.values())[0] == "met"  # ours <= 10 ms


def test_repeat_rule(bench):
    timing = sys.modules["timing"]
    assert timing.repeat_count(10.0, 5.0, 3, 50) == 1  # a slow warm-up: one timed run
    assert timing.repeat_count(1.0, 5.0, 3, 50) == 5
    assert timing.repeat_count(0.001, 5.0, 3, 50) == 50
    assert timing.parse_emitted('noise\nBENCH_JSON:{"median": 1}\n') == {"median": 1}


def test_every_case_names_known_data_and_scripts(bench):
    cases = sys.modules["cases"]
    venv_tasks = _load("benchmarks_peers_venv", "peers_venv.py").TASKS  # imports no peer library
    for case in bench.CASES:
        for impl in (case.ours, *case.peers):
            assert set(impl.files.values()) <= set(cases.DATA)
            if impl.kind == "r":
                assert (BENCHMARKS / "r" / impl.script).exists()
            assert impl.kind != "venv" or impl.script in venv_tasks
        assert set(case.targets) <= {peer.name for peer in case.peers}
