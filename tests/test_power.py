"""Monte Carlo power (psychometrics.power, as simsem::sim) and running work on Dask (--scheduler).

The population covariance is checked against the CFA covariance structure Sigma = Lambda Psi Lambda' + Theta
(Joreskog 1969) computed by hand; Monte Carlo summaries are checked for determinism: the same seed gives the
same results serially, on threads, on a process pool and on a dask.distributed LocalCluster.
"""

import concurrent.futures
import json
import sys

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics import _dask
from psychometrics.cli import main as cli
from psychometrics.errors import ModelError
from psychometrics.sem.power import population_moments

power_module = sys.modules["psychometrics.sem.power"]
Client = pytest.importorskip("dask.distributed").Client

POPULATION = "f1 =~ 0.7*x1 + 0.7*x2 + 0.6*x3\nf2 =~ 0.7*x4 + 0.6*x5 + 0.5*x6\nf1 ~~ 0.3*f2\nx6 ~~ 0.5*x6"
MODEL = "f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6"


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


def test_population_covariance_is_lambda_psi_lambda_plus_theta():
    sigma, values = population_moments(POPULATION)
    loadings = np.zeros((6, 2))
    loadings[:3, 0], loadings[3:, 1] = [0.7, 0.7, 0.6], [0.7, 0.6, 0.5]
    psi = np.array([[1.0, 0.3], [0.3, 1.0]])
    common = np.diag(loadings @ psi @ loadings.T)
    theta = np.diag(np.r_[1 - common[:5], 0.5])  # unit variances except x6's given residual variance
    np.testing.assert_allclose(sigma.to_numpy(), loadings @ psi @ loadings.T + theta, atol=1e-14)
    assert list(sigma.columns) == [f"x{i}" for i in range(1, 7)]
    x1 = values[(values["lhs"] == "x1") & (values["op"] == "~~")]["population"].item()
    assert x1 == pytest.approx(0.51, abs=1e-14)


@pytest.mark.parametrize(
    "population, message",
    [
        ("f =~ x1 + 0.5*x2 + 0.5*x3", "without one"),
        ("f =~ 1.2*x1 + 0.5*x2 + 0.5*x3", "common variance"),
        ("f =~ 0.5*x1 + 0.5*x2 + 0.5*x3\nx1 ~ 1", "means are 0"),
    ],
)
def test_population_models_that_cannot_be_simulated_are_refused(population, message):
    with pytest.raises(ModelError, match=message):
        population_moments(population)


def test_power_summaries_and_identical_results_whatever_the_executor(cluster, monkeypatch):
    monkeypatch.setattr(power_module, "_CHUNK", 2)  # several tasks per sample size

    def run(executor):
        return pm.power(MODEL, POPULATION, [40, 120], replications=5, seed=3, executor=executor)

    serial = run(None)
    table = serial.table
    assert list(table.index) == [40, 120] and (table["replications"] == 5).all()
    assert list(table.columns) == [
        "replications",
        "converged",
        "power_chisq",
        "misfit_cfi",
        "misfit_tli",
        "misfit_rmsea",
        "misfit_srmr",
    ]
    params = serial.parameters
    assert set(params["n"]) == {40, 120}
    loading = params[(params["n"] == 120) & (params["rhs"] == "x1") & (params["op"] == "=~")].iloc[0]
    assert loading["population"] == 0.7 and 0 <= loading["coverage"] <= 1 and loading["power"] == 1.0
    assert loading["bias"] == pytest.approx(loading["mean_estimate"] - 0.7, abs=1e-15)
    with concurrent.futures.ThreadPoolExecutor(2) as threads:
        on_threads = run(threads)
    with Client(cluster) as client:
        on_dask = run(client)
    for other in (on_threads, on_dask):
        pd.testing.assert_frame_equal(other.table, table)
        pd.testing.assert_frame_equal(other.parameters, params)


def test_power_on_a_local_process_pool_equals_serial():
    serial = pm.power(MODEL, POPULATION, 60, replications=4, seed=8)
    pooled = pm.power(MODEL, POPULATION, 60, replications=4, seed=8, executor=2)
    pd.testing.assert_frame_equal(pooled.parameters, serial.parameters)
    pd.testing.assert_frame_equal(pooled.table, serial.table)


def test_power_command_on_a_dask_scheduler(cluster, tmp_path, capsys):
    (tmp_path / "model.lav").write_text(MODEL)
    (tmp_path / "population.lav").write_text(POPULATION)
    args = [
        "power",
        str(tmp_path / "model.lav"),
        str(tmp_path / "population.lav"),
        "--n",
        "50",
        "--replications",
        "3",
        "--seed",
        "5",
        "--out",
        str(tmp_path / "out"),
    ]
    assert cli(args + ["--scheduler", cluster.scheduler_address]) == 0
    on_dask = pd.read_csv(tmp_path / "out" / "parameters.csv")
    assert cli(args) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "parameters.csv"), on_dask)
    assert "power_chisq" in capsys.readouterr().out


def test_report_of_several_specs_on_a_dask_scheduler_equals_serial(cluster, tmp_path):
    specs = ["analyses/shrout_fleiss.yaml", "analyses/thurstone.yaml"]
    assert cli(["report", *specs, "--out", str(tmp_path / "serial"), "--no-progress"]) == 0
    assert (
        cli(
            [
                "report",
                *specs,
                "--out",
                str(tmp_path / "dask"),
                "--no-progress",
                "--scheduler",
                cluster.scheduler_address,
            ]
        )
        == 0
    )
    for name in ("shrout_fleiss", "thurstone"):
        serial = json.loads((tmp_path / "serial" / name / "results.json").read_text())
        on_dask = json.loads((tmp_path / "dask" / name / "results.json").read_text())
        assert on_dask == serial


def test_an_unreachable_scheduler_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setattr(_dask, "_CONNECT_TIMEOUT", "1s")
    assert cli(["power", MODEL, POPULATION, "--n", "50", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the dask scheduler" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------- ordinal items
ORDINAL_POPULATION = "f =~ 0.7*y1 + 0.7*y2 + 0.6*y3 + 0.6*y4\ny4 ~~ 0.5*y4"  # y4: variance 0.36 + 0.5 = 0.86


def test_latent_responses_are_cut_at_the_thresholds():
    values = np.array([-2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 5.0])
    np.testing.assert_array_equal(
        power_module.cut_into_categories(values, np.array([-1.0, 0.0, 1.0])), [1, 1, 2, 2, 3, 3, 4]
    )  # y* <= t1: 1; t1 < y* <= t2: 2; ...


def test_ordinal_power_fits_wlsmv_to_the_cut_data_whatever_the_executor(monkeypatch):
    frames = []
    fit = power_module.cfa
    monkeypatch.setattr(power_module, "cfa", lambda *a, **k: frames.append((a[1], k)) or fit(*a, **k))
    cuts = {"y1": [-1.0, 0.0, 1.0], "y2": [-1.0, 0.0, 1.0], "y3": [-0.5, 0.5], "y4": [0.0]}

    def run(executor):
        return pm.power(
            "f =~ y1 + y2 + y3 + y4",
            ORDINAL_POPULATION,
            150,
            replications=4,
            seed=11,
            thresholds=cuts,
            executor=executor,
        )

    serial = run(None)
    frame, options = frames[0]
    assert options["ordered"] == ["y1", "y2", "y3", "y4"]
    assert [sorted(frame[item].unique()) for item in cuts] == [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3], [1, 2]]
    # the categories are the cut normal draws of the replication's own generator
    sigma, _ = population_moments(ORDINAL_POPULATION)
    seed = np.random.SeedSequence(11).spawn(1)[0].spawn(4)[0]
    draws = np.random.default_rng(seed).multivariate_normal(np.zeros(4), sigma.to_numpy(), size=150, method="cholesky")
    for j, item in enumerate(cuts):
        np.testing.assert_array_equal(frame[item], power_module.cut_into_categories(draws[:, j], np.array(cuts[item])))
    assert serial.table["converged"].item() == 1.0 and "power_chisq_scaled" in serial.table
    params = serial.parameters.set_index(["lhs", "op", "rhs"])
    assert params.loc[("y1", "|", "t3"), "population"] == 1.0
    assert params.loc[("y4", "|", "t1"), "population"] == 0.0
    assert params.loc[("y3", "|", "t1"), "population"] == -0.5  # unit variance: thresholds as given
    with concurrent.futures.ThreadPoolExecutor(2) as threads:
        on_threads = run(threads)
    pd.testing.assert_frame_equal(on_threads.table, serial.table)
    pd.testing.assert_frame_equal(on_threads.parameters, serial.parameters)


def test_ordinal_thresholds_are_reported_on_the_standardised_scale():
    values = power_module._threshold_values({"y4": np.array([-0.5, 0.5])}, population_moments(ORDINAL_POPULATION)[0])
    assert values["population"].tolist() == pytest.approx([-0.5 / np.sqrt(0.86), 0.5 / np.sqrt(0.86)], abs=1e-15)


@pytest.mark.parametrize(
    "thresholds, options, message",
    [
        (None, {"ordered": ["y1"]}, "need their population thresholds"),
        ({"z9": [0.0]}, {}, "not an observed variable"),
        ({"y1": [0.5, 0.0]}, {}, "increasing finite"),
        ([], {}, "increasing finite"),
    ],
)
def test_bad_thresholds_are_refused(thresholds, options, message):
    with pytest.raises(ModelError, match=message):
        pm.power("f =~ y1 + y2 + y3 + y4", ORDINAL_POPULATION, 50, replications=1, thresholds=thresholds, **options)


def test_power_command_with_thresholds(capsys):
    args = [
        "power",
        "f =~ y1 + y2 + y3 + y4",
        ORDINAL_POPULATION,
        "--n",
        "150",
        "--replications",
        "2",
        "--seed",
        "1",
        "--thresholds",
        "-1",
        "0",
        "1",
    ]
    assert cli(args) == 0
    assert "power_chisq_scaled" in capsys.readouterr().out
