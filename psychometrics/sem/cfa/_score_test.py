"""Score (Lagrange multiplier) tests for releasing equality constraints, as lavaan 0.6-14's lavTestScore().

Every free row of the parameter table, and every row fixed by a ``label == number`` statement, is a parameter
``theta`` of the unconstrained model; the constraints are the model's ``a == b``, ``a == number`` and general
equality statements (a row of ``R`` each: their Jacobian in ``theta``, lavaan's con.jac) and, for parameters made
equal by a shared label or ``group_equal``, the equality
of each later row to the first (lavaan's ``.pN. == .pM.`` rows). At the constrained estimate, with ``g`` the
gradient of the log-likelihood per observation and ``I`` the unit expected information in ``theta``,
``X2 = N g' P g`` where ``P`` is the top-left block of the generalised inverse of ``[[I, R'], [R, 0]]`` and ``R``
holds the constraints kept: none for the total test, all but one for each univariate test, and all but the
``k`` largest univariate ones for the cumulative tests (lavTestScore(fit, cumulative = TRUE); Bentler 1990).
With ``add`` (lavTestScore(fit, add = ...)) the new parameters join ``theta`` at 0 and the constraints tested
are ``new parameter == 0``, the model's own constraints being kept.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats as st

from ..._results import TableResult
from ...errors import ModelError
from ..model_syntax import parse_model
from ._defined import (
    Definitions,
    defined_items,
    evaluate,
    expression_tree,
    numerical_jacobian,
)
from ._model import Elements
from ._modindices import _without_exogenous
from ._partable import _matrix_position


@dataclasses.dataclass(frozen=True, repr=False)
class ScoreTestResult(TableResult):
    """lavTestScore: ``table`` (univariate tests: lhs, op, rhs, X2, df, pvalue, one per constraint),
    ``total`` (X2, df, pvalue of releasing all constraints) and ``cumulative`` (releasing the constraints one by
    one in decreasing order of their univariate X2)."""

    total: dict
    cumulative: pd.DataFrame


def _theta_score_information(problem, x: np.ndarray, elements: Elements) -> tuple[np.ndarray, np.ndarray]:
    """(g, I): gradient of the log-likelihood per observation and unit expected information in theta."""
    model = problem.model
    score = np.zeros(len(elements))
    info = np.zeros((len(elements), len(elements)))
    for g, (w, stats, (sigma, mu)) in enumerate(zip(problem.weights, problem.stats, model.implied(x))):
        jac = model.element_jacobian(x, g, elements)
        info += w * jac.T @ _without_exogenous(problem.moment_information(stats, sigma), model) @ jac
        grad = problem.discrepancy.gradient(stats, sigma, mu if model.meanstructure else None)
        score += -0.5 * w * jac.T @ grad
    return score, info


def _written_constraints(result) -> tuple:
    return tuple(c for c in (parse_model(result.model).constraints if result.model else ()) if c.op == "==")


def _theta_rows(result, written) -> tuple[np.ndarray, np.ndarray]:
    """The rows that are parameters of the unconstrained model and their parameter index: the free rows, and the
    rows a ``label == number`` constraint fixed (one new index per label)."""
    x_index = np.asarray(result._problem.model.columns["x"], dtype=int).copy()
    labels = result.estimates["label"].to_numpy(object)[: len(x_index)]
    constants = [c.lhs if _is_number(c.rhs) else c.rhs for c in written if _is_number(c.lhs) or _is_number(c.rhs)]
    for k, label in enumerate(dict.fromkeys(constants)):
        x_index[(labels == label) & (x_index < 0)] = x_index.max() + 1 + k
    rows = np.flatnonzero(x_index >= 0)
    return rows, x_index[rows]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _general_row(c, result, rows: np.ndarray, first_of: dict) -> dict[int, float]:
    """Jacobian of ``lhs - rhs`` of a general equality constraint with respect to theta (each label's first row;
    central differences), as lavaan's con.jac row."""
    estimates = result.estimates
    definitions = Definitions.from_estimates(defined_items(estimates), estimates[estimates["op"] != ":="])
    sides = [expression_tree(text, c) for text in (c.lhs, c.rhs)]
    labels = sorted(first_of)
    positions = rows[[first_of[label] for label in labels]]
    base = estimates["est"].to_numpy(float)

    def difference(values):
        point = base.copy()
        point[positions] = values
        names = definitions.names(point)
        return np.array([evaluate(sides[0], names) - evaluate(sides[1], names)])

    gradient = numerical_jacobian(difference, base[positions])[0]
    return {first_of[label]: g for label, g in zip(labels, gradient) if g != 0}


def _constraints(result, rows: np.ndarray, x_index: np.ndarray, written) -> list[tuple[str, str, dict[int, float]]]:
    """(lhs, rhs, {theta index: coefficient}) of each equality constraint (its row of lavaan's con.jac): the written
    ones first (a == b, a == number, or general ones: their Jacobian), then one per row that shares a parameter
    with an earlier row and is not yet tied to it."""
    labels = result.estimates["label"].to_numpy(object)[rows]
    first_of: dict[str, int] = {}
    for k, label in enumerate(labels):
        if label:
            first_of.setdefault(label, k)
    parent = list(range(len(rows)))

    def root(k):
        while parent[k] != k:
            k = parent[k]
        return k

    out: list[tuple[str, str, dict[int, float]]] = []
    for c in written:
        if c.lhs in first_of and c.rhs in first_of:
            i, j = first_of[c.lhs], first_of[c.rhs]
            out.append((c.lhs, c.rhs, {i: 1.0, j: -1.0}))
            parent[root(j)] = root(i)
        elif (c.lhs in first_of and _is_number(c.rhs)) or (c.rhs in first_of and _is_number(c.lhs)):
            out.append((c.lhs, c.rhs, {first_of[c.lhs if c.lhs in first_of else c.rhs]: 1.0}))
        else:
            out.append((c.lhs, c.rhs, _general_row(c, result, rows, first_of)))
    first_row: dict[int, int] = {}
    for k, index in enumerate(x_index.tolist()):
        first = first_row.setdefault(index, k)
        if root(k) != root(first):
            out.append((f".p{rows[first] + 1}.", f".p{rows[k] + 1}.", {first: 1.0, k: -1.0}))
            parent[root(k)] = root(first)
    return out


def _statistic(score, info, r_kept: np.ndarray, n: int) -> float:
    size = len(info)
    z = np.block([[info, r_kept.T], [r_kept, np.zeros((len(r_kept), len(r_kept)))]])
    inverse = np.linalg.pinv(z)[:size, :size]
    return float(n * score @ inverse @ score)


def _frame(names, stats, dfs) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lhs": [a for a, _ in names],
            "op": "==",
            "rhs": [b for _, b in names],
            "X2": stats,
            "df": dfs,
            "pvalue": st.chi2.sf(stats, dfs),
        }
    )


def _added(result, add: str) -> tuple[pd.DataFrame, list[str]]:
    """Matrix positions (group, matrix, row, col) and lavaan labels ("visual=~x9", ".g2" in group 2) of the
    parameters ``add`` frees, in every group."""
    variables = result._options["variables"]
    ov = {n: i for i, n in enumerate(variables.observed)}
    lv = {n: i for i, n in enumerate(variables.structural)}
    table = result._problem.model.table
    present = set(zip(table["group"], table["lhs"], table["op"], table["rhs"]))
    rows, names = [], []
    for g in range(len(result.groups)):
        for term in parse_model(add).terms:
            key = (g, term.lhs, term.op, term.rhs)
            if key in present or (term.op == "~~" and (g, term.rhs, term.op, term.lhs) in present):
                raise ModelError(
                    f"'{term.lhs} {term.op} {term.rhs}' is already in the model; add= takes new parameters"
                )
            try:
                position = _matrix_position(term.lhs, term.op, term.rhs, ov, lv)
            except KeyError as missing:
                raise ModelError(
                    f"'{term.lhs} {term.op} {term.rhs}': {missing} is not a variable of the model"
                ) from None
            rows.append((g, *position))
            names.append(f"{term.lhs}{term.op}{term.rhs}" + (f".g{g + 1}" if g else ""))
    return pd.DataFrame(rows, columns=["group", "matrix", "row", "col"]), names


def score_test(result, add: str | None = None) -> ScoreTestResult:
    """lavTestScore(fit, add = add, cumulative = TRUE): releasing the fit's equality constraints, or (``add``)
    freeing new parameters while the constraints hold."""
    if result.estimator != "ML" or type(result._problem).__name__ != "Problem":
        raise ModelError("score_test is available for complete-data ML fits (estimator='ML', missing='listwise')")
    problem, x = result._problem, result._x
    written = _written_constraints(result)
    constraints = result._options.get("constraints")
    if constraints is not None and not constraints.equality.all():
        raise ModelError("score_test does not handle inequality constraints (<, >), as lavaan's lavTestScore")
    rows, x_index = _theta_rows(result, written)
    constraints = _constraints(result, rows, x_index, written)
    extra, extra_names = _added(result, add) if add else (pd.DataFrame(columns=["group", "matrix", "row", "col"]), [])
    if not constraints and not extra_names:
        raise ModelError(
            "the model has no equality constraints to release (shared labels, a == b or group_equal); "
            "pass add= to test new parameters"
        )
    elements = pd.concat([problem.model.table.iloc[rows][["group", "matrix", "row", "col"]], extra], ignore_index=True)
    score, info = _theta_score_information(problem, x, Elements.from_table(elements))
    r = np.zeros((len(constraints) + len(extra_names), len(elements)))
    for k, (_, _, coefficients) in enumerate(constraints):
        for i, value in coefficients.items():
            r[k, i] = value
    r[len(constraints) :, len(rows) :] = np.eye(len(extra_names))
    tested = np.arange(len(constraints), len(r)) if extra_names else np.arange(len(r))
    names = [(a, "0") for a in extra_names] if extra_names else [(a, b) for a, b, _ in constraints]
    n = problem.n_total
    total = _statistic(score, info, np.delete(r, tested, axis=0), n)
    uni = np.array([_statistic(score, info, np.delete(r, k, axis=0), n) for k in tested])
    order = np.argsort(-uni, kind="stable")
    cumulative = np.array(
        [_statistic(score, info, np.delete(r, tested[order[: k + 1]], axis=0), n) for k in range(len(tested))]
    )
    return ScoreTestResult(
        table=_frame(names, uni, np.ones(len(tested), dtype=int)),
        total={"X2": total, "df": len(tested), "pvalue": float(st.chi2.sf(total, len(tested)))},
        cumulative=_frame([names[k] for k in order], cumulative, np.arange(1, len(tested) + 1)),
    )
