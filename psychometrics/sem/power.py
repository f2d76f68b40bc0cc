"""Monte Carlo sample-size planning for CFA/SEM models, as R simsem's ``sim()`` (Pornprasertmanit et al., 2021).

A population model (lavaan syntax with every value fixed, e.g. ``f =~ 0.7*x1 + 0.6*x2 + ...``) gives the
model-implied covariance matrix Sigma. For each sample size n, ``replications`` data sets are drawn from
N(0, Sigma) and the analysis model is fitted to each with :func:`psychometrics.cfa` and any of its estimators.
Reported per n: the share of converged fits, the power of the chi-square test of exact fit (share of converged
fits with p < alpha), the share flagged as misfitting by each fit-index cut-off, and per parameter the mean
estimate, bias, relative bias, coverage of its confidence interval and power (share with p < alpha).

Population values not given in the syntax: factor variances are 1 (``std_lv``); an observed variable without a
residual variance gets 1 minus its common variance, so that it has unit variance (lavaan's
``simulateData(standardized = TRUE)``).

Ordinal items (``thresholds=``): the normal draws are the items' latent responses y*, cut at the given thresholds
(category c = 1 + the number of thresholds below y*, as lavaan's ``simulateData`` with ``|`` thresholds); the
analysis fits those items as ordered (``cfa(ordered=...)``: WLSMV by default), so power can be planned for
WLSMV fits. Their population thresholds are reported on the latent responses' standardised scale,
``t / sqrt(Sigma_jj)``, the scale of the fitted thresholds (delta parameterisation).

Reproducible whatever runs the replications: each replication draws from its own generator, seeded by
``numpy.random.SeedSequence(seed).spawn`` (one child per sample size, one grandchild per replication), so the
results are identical in this process, on a local process pool or on a ``dask.distributed`` cluster.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .._dask import add_scheduler_argument, scheduler_client
from .._results import TableResult
from .._typing import Seed, Submitter
from ..errors import ModelError, PsychometricsError
from .cfa import cfa
from .model_syntax import parse_model

__all__ = ["PowerResult", "power"]

# Fit-index cut-offs (Hu & Bentler 1999): (index, misfit when "below" / "above" the value)
DEFAULT_CUTOFFS = {"cfi": ("below", 0.95), "tli": ("below", 0.95), "rmsea": ("above", 0.06), "srmr": ("above", 0.08)}
_CHUNK = 10  # replications per task sent to an executor
_PARAMETER_KEYS = ["lhs", "op", "rhs"]


@dataclasses.dataclass(frozen=True, repr=False)
class PowerResult(TableResult):
    """Monte Carlo power by sample size (simsem's ``summary`` of ``sim()``).

    ``table``: one row per n with replications, converged (share), power_chisq (share of converged fits
    rejecting exact fit at ``alpha``), power_chisq_scaled (the same with the scaled test, when the estimator has
    one: MLR, WLSMV, ...) and misfit_<index> (share flagged by each cut-off); ``parameters``: one
    row per n and free parameter of the analysis model that the population gives, with population,
    mean_estimate, bias, relative_bias, coverage, power and fits (converged fits estimating it);
    ``replications`` per n, ``alpha``, ``estimator``, ``cutoffs``, ``seed``.
    """

    parameters: pd.DataFrame
    replications: int
    alpha: float
    estimator: str
    cutoffs: dict
    seed: Any


def power(
    model: str,
    population: str,
    n: int | Sequence[int],
    *,
    replications: int = 200,
    estimator: str = "ML",
    alpha: float = 0.05,
    cutoffs: dict | None = None,
    seed: Seed = None,
    executor: int | Submitter | None = None,
    thresholds: dict | Sequence[float] | None = None,
    **fit_options: Any,
) -> PowerResult:
    """Power of a CFA/SEM at each sample size in ``n`` by simulation (R: ``simsem::sim(nRep, model, n, generate)``).

    Parameters
    ----------
    model : str
        The analysis model (lavaan syntax) fitted to each simulated data set.
    population : str
        The population model: lavaan syntax with fixed values (``f =~ 0.7*x1 + ...``; ``f1 ~~ 0.3*f2``); factor
        variances default to 1, residual variances to 1 minus the common variance (see the module docstring).
    n : int or sequence of int
        Sample sizes.
    replications : int
        Data sets per sample size.
    estimator : str
        Any estimator of :func:`psychometrics.cfa` ("ML", "MLR"; with ordinal items "ML" means lavaan's default
        for ordered items, WLSMV, and "WLSMV", "ULSMV", ... are accepted).
    alpha : float
        Level of the chi-square test and of the parameters' tests (coverage is of cfa's 95% intervals).
    cutoffs : dict, optional
        ``{index: ("below" | "above", value)}``: a fit is flagged as misfitting when the index is below/above the
        value; default CFI and TLI below 0.95, RMSEA above 0.06, SRMR above 0.08 (Hu & Bentler 1999).
    seed : int, optional
        Seed of ``numpy.random.SeedSequence``; the same seed gives the same results whatever the executor.
    executor : None, int, concurrent.futures.Executor or dask.distributed.Client
        Where the replications run: None in this process, an int on a local process pool of that many workers,
        or any object with ``submit`` returning futures (a ``ProcessPoolExecutor``, a Dask ``Client``).
    thresholds : dict or sequence, optional
        Simulate ordinal items: ``{item: [t1, t2, ...]}`` (increasing cut points on the latent response scale,
        e.g. ``[-1, 0, 1]`` for four categories) or one sequence for every observed variable. Those items are
        cut at their thresholds and fitted as ordered (see the module docstring); the table then also has
        power_chisq_scaled.
    **fit_options
        Passed on to :func:`psychometrics.cfa` (default ``std_lv=True``, the population's scale).

    Examples
    --------
    >>> import psychometrics as pm
    >>> res = pm.power("f =~ x1 + x2 + x3", "f =~ 0.7*x1 + 0.7*x2 + 0.7*x3", [50], replications=10, seed=1)
    >>> res.to_frame()["replications"].tolist()
    [10]
    """
    sizes = _sample_sizes(n)
    replications = _positive_int(replications, "replications")
    cutoffs = dict(DEFAULT_CUTOFFS if cutoffs is None else cutoffs)
    fit_options = {"std_lv": True, **fit_options, "estimator": estimator}
    sigma, values = population_moments(population)
    cuts = _checked_thresholds(thresholds, sigma, fit_options)
    if cuts:
        fit_options.setdefault("ordered", list(cuts))
        values = pd.concat([values, _threshold_values(cuts, sigma)], ignore_index=True)
    tasks = _tasks(model, sigma, values, sizes, replications, seed, fit_options, alpha, cuts)
    outcomes = _run(tasks, executor)
    return _summarise(outcomes, sizes, replications, values, cutoffs, alpha, estimator, seed)


def _sample_sizes(n) -> list[int]:
    sizes = [n] if np.isscalar(n) else list(n)
    if not sizes:
        raise ModelError("n must give at least one sample size, e.g. n=[100, 200, 400].")
    return [_positive_int(size, "each sample size", minimum=2) for size in sizes]


def _positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not float(value).is_integer() or value < minimum:
        raise ModelError(f"{name} must be a whole number of at least {minimum}; got {value!r}.")
    return int(value)


# ----------------------------------------------------------------------------------------------- population
def population_moments(population: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model-implied covariance of the observed variables of the population model, and the population values
    (lhs, op, rhs, population) of the parameters it gives plus the default variances.

    RAM form (McArdle & McDonald 1984): over all variables, A holds the loadings (indicator <- factor) and
    regressions, S the (residual) variances and covariances; Sigma = F (I - A)^-1 S (I - A)^-T F'. Latent
    variances default to 1; an observed variable without a variance gets 1 - its common variance.
    """
    terms = _valued_terms(population)
    latent = list(dict.fromkeys(t.lhs for t in terms if t.op == "=~"))
    names = list(dict.fromkeys(name for t in terms for name in (t.lhs, t.rhs)))
    observed = [name for name in names if name not in latent]
    index = {name: i for i, name in enumerate(latent + observed)}
    paths, spread = np.zeros((len(index), len(index))), np.zeros((len(index), len(index)))
    for t in terms:
        value = t.modifiers[0].fixed
        if t.op == "=~":
            paths[index[t.rhs], index[t.lhs]] = value
        elif t.op == "~":
            paths[index[t.lhs], index[t.rhs]] = value
        else:
            spread[index[t.lhs], index[t.rhs]] = spread[index[t.rhs], index[t.lhs]] = value
    given = {t.lhs for t in terms if t.op == "~~" and t.lhs == t.rhs}
    defaults = [(name, 1.0) for name in latent if name not in given]
    for name, value in defaults:
        spread[index[name], index[name]] = value
    common = np.diag(_implied(paths, spread))[len(latent) :]
    missing = [(name, 1.0 - common[i]) for i, name in enumerate(observed) if name not in given]
    for name, value in missing:
        if value <= 0:
            raise ModelError(
                f"the population model gives {name!r} a common variance of {1 - value:.3f} >= 1, so no "
                f"residual variance makes its variance 1; give '{name} ~~ value*{name}' explicitly."
            )
        spread[index[name], index[name]] = value
    sigma = _implied(paths, spread)[len(latent) :, len(latent) :]
    rows = [(t.lhs, t.op, t.rhs, t.modifiers[0].fixed) for t in terms]
    rows += [(name, "~~", name, value) for name, value in defaults + missing]
    values = pd.DataFrame(rows, columns=_PARAMETER_KEYS + ["population"])
    return pd.DataFrame(sigma, index=observed, columns=observed), values


def _implied(paths: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """(I - A)^-1 S (I - A)^-T over all variables."""
    total = np.linalg.inv(np.eye(len(paths)) - paths)
    return total @ spread @ total.T


def _valued_terms(population: str) -> list:
    """The terms of the population model, each checked to give one fixed value."""
    terms = parse_model(population).terms
    for t in terms:
        if t.op not in ("=~", "~", "~~"):
            raise ModelError(
                f"the population model may hold only '=~', '~' and '~~' terms (means are 0); line "
                f"{t.line} has '{t.lhs} {t.op} {t.rhs}'."
            )
        if len(t.modifiers) != 1 or t.modifiers[0].fixed is None:
            raise ModelError(
                f"the population model must give every parameter one value; line {t.line} has "
                f"'{t.lhs} {t.op} {t.rhs}' without one: write e.g. '{t.lhs} {t.op} 0.7*{t.rhs}'."
            )
    return list(terms)


def _checked_thresholds(thresholds, sigma: pd.DataFrame, fit_options: dict) -> dict[str, np.ndarray]:
    """{item: increasing finite thresholds} of the ordinal items ({} for continuous data)."""
    if thresholds is None:
        if fit_options.get("ordered"):
            raise ModelError(
                "ordered items need their population thresholds: pass thresholds={item: [t1, t2, ...]} "
                "(or one list for every item) so that the simulated data are cut into categories."
            )
        return {}
    observed = list(sigma.columns)
    given = thresholds if isinstance(thresholds, dict) else {item: thresholds for item in observed}
    cuts = {}
    for item, values in given.items():
        if item not in observed:
            raise ModelError(
                f"thresholds are given for {item!r}, which is not an observed variable of the population "
                f"model ({', '.join(observed)})."
            )
        values = np.asarray(values, dtype=float).ravel()
        if not len(values) or not np.all(np.isfinite(values)) or np.any(np.diff(values) <= 0):
            raise ModelError(
                f"the thresholds of {item!r} must be one or more increasing finite numbers; got {values.tolist()}."
            )
        cuts[item] = values
    return cuts


def _threshold_values(cuts: dict[str, np.ndarray], sigma: pd.DataFrame) -> pd.DataFrame:
    """Population thresholds (item, "|", "t1", ...) on the latent responses' standardised scale."""
    rows = [
        (item, "|", f"t{k + 1}", float(t) / np.sqrt(sigma.loc[item, item]))
        for item, values in cuts.items()
        for k, t in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=_PARAMETER_KEYS + ["population"])


def cut_into_categories(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Categories 1 .. K+1 of latent responses ``values`` at K increasing ``thresholds``: 1 + the number of
    thresholds strictly below each value (y* <= t1 gives 1, t1 < y* <= t2 gives 2, ...)."""
    return np.searchsorted(thresholds, values, side="left") + 1


# ----------------------------------------------------------------------------------------------- replications
@dataclasses.dataclass(frozen=True)
class _Task:
    """Replications ``first`` .. of one sample size, with one SeedSequence each."""

    model: str
    sigma: pd.DataFrame
    parameters: pd.DataFrame
    n: int
    first: int
    seeds: tuple
    fit_options: dict
    alpha: float
    thresholds: dict  # {item: thresholds} of the ordinal items


def _tasks(model, sigma, values, sizes, replications, seed, fit_options, alpha, thresholds) -> list[_Task]:
    per_size = np.random.SeedSequence(seed).spawn(len(sizes))
    tasks = []
    for n, sequence in zip(sizes, per_size):
        seeds = sequence.spawn(replications)
        for first in range(0, replications, _CHUNK):
            tasks.append(
                _Task(
                    model, sigma, values, n, first, tuple(seeds[first : first + _CHUNK]), fit_options, alpha, thresholds
                )
            )
    return tasks


def _run(tasks: list[_Task], executor) -> list[pd.DataFrame]:
    """Each task's outcomes, in the order of the tasks whatever ran them."""
    if executor is None:
        return [run_task(task) for task in tasks]
    if isinstance(executor, int) and not isinstance(executor, bool):
        with concurrent.futures.ProcessPoolExecutor(max_workers=_positive_int(executor, "executor")) as pool:
            return _run(tasks, pool)
    if not hasattr(executor, "submit"):
        raise ModelError(
            f"executor must be None, a number of processes, a concurrent.futures Executor or a "
            f"dask.distributed Client; got {type(executor).__name__}."
        )
    futures = [executor.submit(run_task, task) for task in tasks]
    return [future.result() for future in futures]


def run_task(task: _Task) -> pd.DataFrame:
    """Simulate and fit the task's replications: one row per replication and parameter (NaN when not fitted)."""
    with single_threaded(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Heywood cases of small samples are counted, not shown
        frames = [_replicate(task, task.first + offset, sequence) for offset, sequence in enumerate(task.seeds)]
    return pd.concat(frames, ignore_index=True)


def _replicate(task: _Task, replication: int, sequence: np.random.SeedSequence) -> pd.DataFrame:
    rng = np.random.default_rng(sequence)
    sigma = task.sigma.to_numpy()
    data = rng.multivariate_normal(np.zeros(len(sigma)), sigma, size=task.n, method="cholesky")
    frame = pd.DataFrame(data, columns=task.sigma.columns)
    for item, cuts in task.thresholds.items():
        frame[item] = cut_into_categories(frame[item].to_numpy(), cuts)
    rows = task.parameters[_PARAMETER_KEYS].copy()
    rows["n"], rows["replication"] = task.n, replication
    try:
        fit = cfa(task.model, frame, **task.fit_options)
    except PsychometricsError:
        fit = None
    if fit is None or not fit.converged:
        return rows.assign(converged=False)
    estimates = fit.estimates[fit.estimates["free"].astype(bool)].drop_duplicates(_PARAMETER_KEYS)
    found = rows.merge(
        estimates[_PARAMETER_KEYS + ["est", "ci_lower", "ci_upper", "pvalue"]], how="left", on=_PARAMETER_KEYS
    )
    measures = {
        name: float(value) for name, value in fit.fit_measures.items() if isinstance(value, (int, float, np.number))
    }
    return found.assign(converged=True, **{f"fit_{name}": value for name, value in measures.items()})


# ----------------------------------------------------------------------------------------------- summary
def _summarise(outcomes, sizes, replications, values, cutoffs, alpha, estimator, seed) -> PowerResult:
    runs = pd.concat(outcomes, ignore_index=True)
    fits = runs.drop_duplicates(["n", "replication"]).set_index(["n", "replication"]).sort_index()
    table = pd.DataFrame(index=pd.Index(sizes, name="n"))
    table["replications"] = replications
    converged = fits["converged"].astype(bool)
    table["converged"] = converged.groupby(level="n").mean().reindex(sizes)
    ok = fits[converged]
    pvalues = ok["fit_pvalue"] if "fit_pvalue" in ok else pd.Series(np.nan, index=ok.index)
    table["power_chisq"] = (pvalues < alpha).groupby(level="n").mean().reindex(sizes)
    if "fit_pvalue_scaled" in ok and ok["fit_pvalue_scaled"].notna().any():  # robust and ordinal estimators
        table["power_chisq_scaled"] = (ok["fit_pvalue_scaled"] < alpha).groupby(level="n").mean().reindex(sizes)
    for index, (side, value) in cutoffs.items():
        column = ok.get(f"fit_{index}")
        if column is None:
            raise ModelError(
                f"the fits have no fit measure {index!r} for a cut-off; known: "
                f"{sorted(c[4:] for c in ok.columns if c.startswith('fit_'))}."
            )
        flagged = column < value if side == "below" else column > value
        table[f"misfit_{index}"] = flagged.groupby(level="n").mean().reindex(sizes)
    return PowerResult(
        table=table,
        parameters=_parameter_summary(runs, values, alpha),
        replications=replications,
        alpha=alpha,
        estimator=estimator,
        cutoffs=cutoffs,
        seed=seed,
    )


def _parameter_summary(runs: pd.DataFrame, values: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per n and parameter: mean estimate, bias, relative bias, CI coverage and power over converged fits."""
    fitted = runs[runs["converged"].astype(bool) & runs["est"].notna()].merge(values, on=_PARAMETER_KEYS)
    fitted = fitted.assign(
        covered=(fitted["ci_lower"] <= fitted["population"]) & (fitted["population"] <= fitted["ci_upper"]),
        significant=fitted["pvalue"] < alpha,
    )
    grouped = fitted.groupby(["n"] + _PARAMETER_KEYS, sort=False)
    summary = grouped.agg(
        population=("population", "first"),
        mean_estimate=("est", "mean"),
        coverage=("covered", "mean"),
        power=("significant", "mean"),
        fits=("est", "size"),
    )
    summary["bias"] = summary["mean_estimate"] - summary["population"]
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["relative_bias"] = np.where(summary["population"] != 0, summary["bias"] / summary["population"], np.nan)
    return summary[["population", "mean_estimate", "bias", "relative_bias", "coverage", "power", "fits"]].reset_index()


# ----------------------------------------------------------------------------------------------- command line
def add_power_arguments(parser) -> None:
    """Arguments of ``psychometrics power MODEL POPULATION --n N ... [--scheduler ADDRESS]``."""
    parser.add_argument("model", help="analysis model: a file of lavaan syntax (or the syntax itself)")
    parser.add_argument("population", help="population model with fixed values: a file (or the syntax itself)")
    parser.add_argument("--n", type=int, nargs="+", required=True, metavar="N", help="sample sizes")
    parser.add_argument("--replications", type=int, default=200, metavar="R", help="data sets per n (200)")
    parser.add_argument("--estimator", default="ML", help="estimator of psychometrics.cfa (ML)")
    parser.add_argument("--alpha", type=float, default=0.05, help="level of the tests (0.05)")
    parser.add_argument(
        "--thresholds",
        type=float,
        nargs="+",
        metavar="T",
        help="simulate ordinal items: cut every observed variable at these thresholds",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed: the same results wherever they run")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="local worker processes (1)")
    parser.add_argument("--out", metavar="DIR", help="write power.csv and parameters.csv into DIR")
    add_scheduler_argument(parser)


def run_power(args) -> int:
    """Print (and with --out write) the power table and the parameter summary."""
    model, population = (_syntax(text) for text in (args.model, args.population))
    with scheduler_client(args.scheduler) as client:
        executor = client if client is not None else (args.jobs if args.jobs > 1 else None)
        result = power(
            model,
            population,
            args.n,
            replications=args.replications,
            estimator=args.estimator,
            alpha=args.alpha,
            seed=args.seed,
            executor=executor,
            thresholds=args.thresholds,
        )
    print(result.table.to_string())
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        result.table.to_csv(out / "power.csv")
        result.parameters.to_csv(out / "parameters.csv", index=False)
    return 0


def _syntax(text: str) -> str:
    """The contents of the file ``text`` names, else ``text`` itself (model syntax given inline)."""
    path = Path(text)
    return path.read_text() if "\n" not in text and path.is_file() else text
