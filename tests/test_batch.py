"""Batch runs: several specs and every site in parallel give the results of a serial run."""

import concurrent.futures
from pathlib import Path

import pytest

from psychometrics.report import dumps, run_specs

ANALYSES = Path(__file__).resolve().parent.parent / "analyses"
SPEC = {
    "name": "hs_by_school",
    "title": "Holzinger-Swineford by school",
    "data": {"dataset": "holzinger_swineford"},
    "group": "school",
    "seed": 7,
    "scales": {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]},
    "analyses": [
        {"type": "sample"},
        {"type": "reliability", "omega": False, "ci": "bootstrap", "n_boot": 200},
        {"type": "item_statistics", "per_group": True},
    ],
}
SPECS = [SPEC, ANALYSES / "shrout_fleiss.yaml"]


def _texts(reports):
    return [dumps(report.results()) for report in reports]


@pytest.fixture(scope="module")
def serial():
    return _texts(run_specs(SPECS, progress=False))


def test_batch_runs_every_spec_and_site(serial):
    reports = run_specs(SPECS, progress=False)
    assert [r.name for r in reports] == ["hs_by_school", "shrout_fleiss"]
    units = reports[0].sections[1].units
    assert set(units) == {"pooled", "Pasteur", "Grant-White"}
    assert _texts(reports) == serial


def test_process_pool_gives_the_serial_results(serial):
    assert _texts(run_specs(SPECS, jobs=2, progress=False)) == serial


def test_any_executor_is_accepted(serial):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        assert _texts(run_specs(SPECS, executor=pool, progress=False)) == serial


def test_dask_cluster_gives_the_serial_results(serial):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            assert _texts(run_specs(SPECS, executor=client.get_executor(), progress=False)) == serial


def test_cli_batch_writes_one_folder_per_spec(tmp_path):
    from psychometrics.cli import main as cli

    specs = [str(ANALYSES / "shrout_fleiss.yaml"), str(ANALYSES / "holzinger_swineford.yaml")]
    assert cli(["report", *specs, "--out", str(tmp_path), "--jobs", "2", "--no-progress"]) == 0
    for name in ("shrout_fleiss", "holzinger_swineford"):
        assert (tmp_path / name / "results.json").is_file() and (tmp_path / name / "report.html").is_file()
