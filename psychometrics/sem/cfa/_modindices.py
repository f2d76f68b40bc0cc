"""Modification indices (univariate score tests) as lavaan 0.6-14's modindices().

For candidate parameters c (every fixed parameter of the model and every parameter lavaan's lav_partable_full
adds: loadings of each latent on each observed variable, covariances among observed and among latent variables,
regressions among the variables in regressions, intercepts), with the unit expected information ``I`` of the
extended model and the gradient ``g`` of the log-likelihood per observation:
``V = I_cc - I_c,theta I_theta,theta^-1 I_theta,c``, ``mi = N g^2 / V``, ``epc = g / V`` (Sorbom 1989; Saris,
Satorra & Sorbom 1987 for the standardised EPC). Candidates with ``V < eps^(1/3)`` are not identified and dropped.
The same test releases an equality constraint when the candidate is one group's copy of a shared parameter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._model import Elements
from ._partable import _matrix_position
from ._standardize import standardize


def score_tests(problem, x: np.ndarray, elements: Elements) -> tuple[np.ndarray, np.ndarray]:
    """(mi, epc) for adding each element as a free parameter to the model at the solution ``x``."""
    model = problem.model
    deltas = model.delta(x)
    info_22 = problem.expected_information(x)
    n_cand = len(elements)
    info_11 = np.zeros(n_cand)
    info_12 = np.zeros((n_cand, model.n_free))
    score = np.zeros(n_cand)
    for g, (w, stats, (sigma, mu)) in enumerate(zip(problem.weights, problem.stats, model.implied(x))):
        cand = model.element_jacobian(x, g, elements)
        weight = _without_exogenous(problem.moment_information(stats, sigma), model)
        weighted = cand.T @ weight
        info_11 += w * np.einsum("ij,ji->i", weighted, cand)
        info_12 += w * weighted @ deltas[g]
        grad = problem.discrepancy.gradient(stats, sigma, mu if model.meanstructure else None)
        score += -0.5 * w * cand.T @ grad
    inv_22 = np.linalg.pinv(info_22)
    v = info_11 - np.einsum("ij,jk,ik->i", info_12, inv_22, info_12)
    v = np.where(v < np.finfo(float).eps ** (1 / 3), np.nan, v)
    n = problem.n_total
    return n * score**2 / v, score / v


def _without_exogenous(weight: np.ndarray, model) -> np.ndarray:
    """Zero the information of the exogenous covariates' moments (fixed.x), as lavaan's expected information."""
    nx = model.n_exogenous
    if not nx:
        return weight
    p = model.p
    in_x = (model.vech_rows >= p - nx) & (model.vech_cols >= p - nx)
    if model.meanstructure:
        in_x = np.concatenate([np.arange(p) >= p - nx, in_x])
    weight = weight.copy()
    weight[in_x, :] = 0.0
    weight[:, in_x] = 0.0
    return weight


def _added_candidates(table, variables, group: int) -> list[tuple[str, str, str]]:
    """lavaan's lav_partable_full rows of one group that are not in the parameter table."""
    rows = table[table["group"] == group]
    present = set(zip(rows["lhs"], rows["op"], rows["rhs"]))
    lv, structural = variables.latent, set(variables.structural)
    nox = [o for o in variables.observed if o not in variables.ov_x]
    indicators = {o for names in variables.indicators.values() for o in names}
    ov_ind = [o for o in nox if o in indicators]
    regs = table[table["op"] == "~"]
    eqs = list(dict.fromkeys(list(regs["lhs"]) + list(regs["rhs"])))
    full = [(f, "=~", o) for f in lv for o in nox if o not in eqs]
    full += [(a, "~~", b) for i, a in enumerate(ov_ind) for b in ov_ind[i:] if (a in structural) == (b in structural)]
    full += [(a, "~~", b) for i, a in enumerate(lv) for b in lv[i:]]
    full += [(a, "~", b) for a in eqs for b in eqs if a != b and not (a in indicators and b in lv)]
    if (table["op"] == "~1").any():
        full += [(name, "~1", "") for name in list(variables.observed) + list(lv)]
    return [k for k in full if k not in present and not (k[1] == "~~" and (k[2], k[1], k[0]) in present)]


def modification_indices(result) -> pd.DataFrame:
    """The modindices() table of a fitted CFAResult."""
    problem, x = result._problem, result._x
    table = problem.model.table
    variables = result._options["variables"]
    ov = {n: i for i, n in enumerate(variables.observed)}
    lv = {n: i for i, n in enumerate(variables.structural)}
    # lavaan's order: the model's fixed parameters (table order), then the added ones group by group
    fixed = table[~table["free"].to_numpy(bool)]
    keys = list(zip(fixed["group"], fixed["lhs"], fixed["op"], fixed["rhs"]))
    keys += [(g,) + k for g in range(len(result.groups)) for k in _added_candidates(table, variables, g)]
    cand = pd.DataFrame(keys, columns=["group", "lhs", "op", "rhs"])
    positions = [_matrix_position(lhs, op, rhs, ov, lv) for lhs, op, rhs in zip(cand["lhs"], cand["op"], cand["rhs"])]
    cand["matrix"] = [p[0] for p in positions]
    cand["row"] = [p[1] for p in positions]
    cand["col"] = [p[2] for p in positions]
    mi, epc = score_tests(problem, x, Elements.from_table(cand))
    current = _current_values(problem, x, cand)
    is_var = ((cand["op"] == "~~") & (cand["lhs"] == cand["rhs"])).to_numpy()
    exo = cand["lhs"].isin(variables.ov_x).to_numpy() & cand["op"].isin(["~~", "~1"]).to_numpy()
    scaled = np.where(is_var & ~exo, current, epc)
    std_lv, std_all = standardize(cand, np.abs(scaled), problem.model, x, ov, lv, set(variables.latent))
    tiny = is_var & (np.abs(scaled) < np.sqrt(np.finfo(float).eps))
    # lavaan drops the tiny EPCs of exogenous variances, which leaves their covariances' sepc.all undefined
    std_all = np.where(exo & ~is_var & (cand["op"] == "~~").to_numpy(), np.nan, std_all)
    sign = np.sign(epc)
    out = pd.DataFrame(
        {
            "lhs": cand["lhs"],
            "op": cand["op"],
            "rhs": cand["rhs"],
            "group": [result.groups[g] for g in cand["group"]],
            "mi": mi,
            "epc": epc,
            "sepc_lv": np.where(tiny, 0.0, sign * std_lv),
            "sepc_all": np.where(tiny, 0.0, sign * std_all),
        }
    )
    return out[np.isfinite(out["mi"])].reset_index(drop=True)


def _current_values(problem, x, cand: pd.DataFrame) -> np.ndarray:
    """Current value of each candidate's matrix element (0 for parameters not in the model)."""
    mats = {}
    values = np.zeros(len(cand))
    for k, (g, name, r, c) in enumerate(zip(cand["group"], cand["matrix"], cand["row"], cand["col"])):
        if g not in mats:
            m = problem.model.matrices(x, g)
            mats[g] = {
                "lambda": m.lambda_,
                "theta": m.theta,
                "psi": m.psi,
                "beta": m.beta,
                "nu": m.nu[:, None],
                "alpha": m.alpha[:, None],
            }
        values[k] = mats[g][name][r, c]
    return values
